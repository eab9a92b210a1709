/**
 * `--help` in the terminal's language: commander's texts (descriptions of commands, options and
 * arguments, and its own headings) are English strings; each is replaced by its translation in src/i18n
 * (`messages`) before the help is formatted, so columns and wrapping fit the translated text.
 */
import { type Command, Help, type Option } from "commander";
import { DEFAULT_LOCALE, type Locale, translateMessage, translator } from "../i18n/index.js";

/** Commander's own words: the help option, the help command and the section titles. */
export const COMMANDER_TEXTS = [
  "display help for command",
  "Usage:",
  "Options:",
  "Commands:",
  "Arguments:",
  "Global Options:",
];

export function helpInLanguage(program: Command, locale: Locale): void {
  if (locale === DEFAULT_LOCALE) return;
  const tr = (text: string) => translateMessage(locale, text);
  const t = translator(locale);
  const byDefault = t("cliHelp.default");
  const usage = (text: string) =>
    text.replace("[options]", `[${t("cliHelp.options")}]`).replace("[command]", `[${t("cliHelp.command")}]`);
  const visit = (cmd: Command) => {
    cmd.description(tr(cmd.description()));
    for (const option of cmd.options) option.description = tr(option.description);
    for (const argument of cmd.registeredArguments) argument.description = tr(argument.description);
    cmd.helpOption("-h, --help", tr("display help for command"));
    if (cmd.commands.length > 0) cmd.helpCommand("help [command]", tr("display help for command"));
    cmd.configureHelp({
      styleTitle: (title: string) => tr(title),
      styleUsage: usage,
      styleSubcommandTerm: usage,
      optionDescription(this: Help, option: Option) {
        return Help.prototype.optionDescription.call(this, option).replace("(default: ", `(${byDefault}: `);
      },
    });
    cmd.commands.forEach(visit);
  };
  visit(program);
}

/** Every English text of the program's help, for the test that each has a translation. */
export function helpTexts(program: Command): string[] {
  const texts = new Set<string>(COMMANDER_TEXTS);
  const visit = (cmd: Command) => {
    texts.add(cmd.description());
    for (const option of cmd.options) texts.add(option.description);
    for (const argument of cmd.registeredArguments) texts.add(argument.description);
    cmd.commands.forEach(visit);
  };
  visit(program);
  texts.delete("");
  return [...texts];
}
