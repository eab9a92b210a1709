/**
 * The two Liquid engines PostPilot renders with: one for HTML (every output HTML-escaped unless `| raw`)
 * and one for text (subject, plain-text bodies, text parts). Both: no file system (include/render/layout
 * find nothing), strict filters, own properties only, dates keep the offset they were given. Sending
 * renders leniently (a missing value is empty); saving checks strictly (templates.check.ts), so a template
 * that would render wrong is refused before any run uses it.
 */
import { Liquid } from "liquidjs";

function engine(html: boolean, strictVariables: boolean): Liquid {
  return new Liquid({
    strictFilters: true,
    strictVariables,
    ownPropertyOnly: true,
    preserveTimezones: true,
    relativeReference: false,
    templates: {},
    ...(html ? { outputEscape: "escape" as const } : {}),
  });
}

export const liquid = {
  html: engine(true, false),
  text: engine(false, false),
  strictHtml: engine(true, true),
  strictText: engine(false, true),
};

/** A template problem with where it is, as the user typed it (1-based). */
export interface TemplateProblem {
  message: string;
  line: number | null;
  column: number | null;
}

/** Liquid's error in plain words: "undefined variable: x, line:1, col:7" → message, line, column. */
export function templateProblem(error: unknown): TemplateProblem {
  const raw = error instanceof Error ? error.message : String(error);
  const at = /,? line:(\d+), col:(\d+)\s*$/.exec(raw);
  let message = (at ? raw.slice(0, at.index) : raw).trim();
  if (/^ENOENT|Failed to lookup/.test(message)) message = "include, render and layout tags are not available";
  message = message
    .replace(/^undefined variable: /, "unknown variable: ")
    .replace(/^undefined filter: /, "unknown filter: ");
  return { message, line: at ? Number(at[1]) : null, column: at ? Number(at[2]) : null };
}
