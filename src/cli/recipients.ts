/**
 * `postpilot import-recipients` and `postpilot export-recipients`: a user's recipients from and to CSV,
 * run by the operator on that user's behalf.
 */
import { createWriteStream } from "node:fs";
import { open } from "node:fs/promises";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Command } from "commander";
import { DEFAULT_LOCALE, formatNumber, type Locale, translateMessage } from "../i18n/index.js";
import type { ImportSummary } from "../recipients/import/import.service.js";
import { DomainError } from "../shared/errors.js";
import { escapeControls } from "../shared/fields.js";
import { countOf } from "../shared/plural.js";
import { cliLocale, fillIn, inLanguage } from "./i18n.js";
import { formatTable } from "./table.js";
import { withServices } from "./with-services.js";

/**
 * The lines are English, put in the language as they are printed (src/cli/i18n.ts); the figures are
 * written as the language writes them (1,754 / 1 754), and the service's reasons inside a line are
 * translated here, since the line's translation keeps the parts it fills in as they are.
 */
export function progressLine(s: ImportSummary, locale: Locale = DEFAULT_LOCALE): string {
  const n = (value: number) => formatNumber(locale, value);
  return `${n(s.rows)} rows read: ${n(s.added)} added, ${n(s.updated)} updated, ${n(s.skipped)} skipped, ${n(s.invalid)} invalid`;
}

export function summaryLines(s: ImportSummary, locale: Locale = DEFAULT_LOCALE): string[] {
  const tr = (text: string) => translateMessage(locale, text);
  const lines = [`${s.error ? "Stopped before the end" : "Imported"}. ${progressLine(s, locale)}.`];
  if (s.error) lines.unshift(`Stopped: ${tr(s.error)}`);
  // The email is as the file had it, not yet validated: escaped before it reaches the terminal.
  // Looked up as it is printed, indent included: a template "line {{line}}: …" would be too general.
  for (const p of s.problems)
    lines.push(
      fillIn(locale, "  line {{line}}: {{email}}: {{reason}}", {
        line: p.line,
        email: escapeControls(p.email) || tr("(no email)"),
        reason: escapeControls(tr(p.reason)),
      }),
    );
  const more = s.skipped + s.invalid - s.problems.length;
  if (more > 0) lines.push(`  … and ${formatNumber(locale, more)} more.`);
  return lines;
}

/** The file to import, opened before anything is read: a missing or unreadable one is an error naming it. */
export async function openInput(file: string): Promise<Readable> {
  if (file === "-") return process.stdin;
  try {
    const handle = await open(file, "r");
    if (!(await handle.stat()).isFile()) {
      await handle.close();
      throw Object.assign(new Error("not a file"), { code: "ENOTFILE" });
    }
    return handle.createReadStream();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === "ENOENT"
        ? "no such file"
        : code === "EACCES"
          ? "permission denied"
          : code === "ENOTFILE"
            ? "not a file"
            : (error as Error).message;
    // Put in the language here: "Cannot read {{file}}: {{error}}" (a general template) would match first.
    const locale = cliLocale();
    throw new DomainError(
      fillIn(locale, "Cannot read {{file}}: {{reason}}. Nothing was imported.", {
        file: escapeControls(file),
        reason: translateMessage(locale, reason),
      }),
    );
  }
}

export function registerRecipientCommands(program: Command): void {
  program
    .command("import-recipients")
    .description(
      "import a user's recipients from a CSV file (header row naming email, full name, comment); exits 1 if any row was invalid",
    )
    .requiredOption("--owner <email>", "the user whose recipients these are")
    .option("--update", "update recipients that already exist (default: skip them)")
    .option("--list <name>", "put every imported row (new or existing) in this list of the user's")
    .argument("<file>", "the CSV file (UTF-8, comma or semicolon separated), or - for standard input")
    .action(async (file: string, options: { owner: string; update?: boolean; list?: string }) =>
      withServices(async (services) => {
        const owner = await services.recipientImport.ownerByEmail(options.owner);
        const list =
          options.list === undefined ? undefined : await services.lists.findByName(owner, options.list);
        const input = await openInput(file);
        const locale = cliLocale();
        const tty = process.stderr.isTTY;
        let lastPrint = Date.now();
        const summary = await services.recipientImport.importCsv(owner, input, {
          updateExisting: options.update ?? false,
          listId: list?.id,
          onProgress: (s) => {
            // Redrawn in place (carriage return, clear the line), so it is put in the language here.
            if (tty) process.stderr.write(`\r\u001b[K${inLanguage(locale, progressLine(s, locale))}`);
            else if (Date.now() - lastPrint > 5_000) {
              console.error(progressLine(s, locale));
              lastPrint = Date.now();
            }
          },
        });
        if (tty) process.stderr.write("\n");
        for (const line of summaryLines(summary, locale)) console.log(line);
        return summary.invalid > 0 || summary.error ? 1 : 0;
      }),
    );

  program
    .command("lists")
    .description("a user's lists with their member counts and signup forms")
    .requiredOption("--owner <email>", "the user whose lists to show")
    .action(async (options: { owner: string }) =>
      withServices(async (services) => {
        const owner = await services.recipientImport.ownerByEmail(options.owner);
        const page = await services.lists.list(owner, { limit: 100 });
        const n = (value: number) => formatNumber(cliLocale(), value);
        if (page.items.length === 0) console.log("No lists.");
        else {
          console.log(
            formatTable(
              page.items.map((l) => ({
                id: String(l.id),
                name: l.name,
                recipients: n(l.member_count),
                signup: l.signup_enabled ? `/subscribe/${l.slug}` : "off",
              })),
            ),
          );
          if (page.total > page.items.length) console.log(`… and ${n(page.total - page.items.length)} more.`);
        }
        return 0;
      }),
    );

  program
    .command("export-recipients")
    .description("export a user's recipients as CSV (email, full_name, comment)")
    .requiredOption("--owner <email>", "the user whose recipients to export")
    .option("--bom", "start with a UTF-8 byte order mark (helps some spreadsheets)")
    .argument("[file]", "where to write the CSV, or - for standard output", "-")
    .action(async (file: string, options: { owner: string; bom?: boolean }) =>
      withServices(async (services) => {
        const owner = await services.recipientImport.ownerByEmail(options.owner);
        const csv = services.recipientExport.stream(owner, { bom: options.bom ?? false });
        if (file === "-") await pipeline(csv, process.stdout, { end: false });
        else {
          await pipeline(csv, createWriteStream(file));
          console.error(
            `Exported ${countOf(await services.recipients.count(owner), "recipient")} to ${file}.`,
          );
        }
        return 0;
      }),
    );
}
