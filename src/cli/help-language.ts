/**
 * `--help` and commander's errors in the terminal's language: commander's texts (descriptions of commands,
 * options and arguments, and its own headings) are English strings; each is replaced by its translation in
 * src/i18n (`messages`) before the help is formatted, so columns and wrapping fit the translated text.
 * Its errors ("error: unknown option '--x'") are translated line by line as they are written.
 */
import { type Argument, type Command, Help, type Option } from "commander";
import { DEFAULT_LOCALE, type Locale, translateMessage, translator } from "../i18n/index.js";
import { inLanguage } from "./i18n.js";

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
  // What commander adds after a description: "(choices: "a", "b", default: "a")". Its words are found
  // after the (translated) description only, so a description's own "(default: …)" is left to its translation.
  const extraWords = (described: string, description: string) =>
    description +
    described
      .slice(description.length)
      .replace(/(\(|, )(choices|default|preset|env): /g, (_, lead: string, word: string) =>
        word === "default" ? `${lead}${byDefault}: ` : `${lead}${tr(`${word}:`)} `,
      );
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
        return extraWords(Help.prototype.optionDescription.call(this, option), option.description);
      },
      argumentDescription(this: Help, argument: Argument) {
        return extraWords(Help.prototype.argumentDescription.call(this, argument), argument.description);
      },
    });
    // "error: unknown option '--x'": a line "word: text" translates its text only, so "error:" is put apart.
    const inWords = (text: string) => inLanguage(locale, text).replace(/^error: /, `${tr("error:")} `);
    cmd.configureOutput({ outputError: (text, write) => write(inWords(text)) });
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
