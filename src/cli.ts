/** The `postpilot` command line: speaks the terminal's language and runs the program (src/cli/program.ts). */
import { helpInLanguage } from "./cli/help-language.js";
import { cliLocale, speakInLanguage } from "./cli/i18n.js";
import { buildCli } from "./cli/program.js";

const locale = cliLocale();
speakInLanguage(locale);
const program = buildCli();
helpInLanguage(program, locale);
await program.parseAsync(process.argv);
