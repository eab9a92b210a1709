/**
 * Checks a message's templates before they are saved: each one parsed and rendered strictly against sample
 * values, so a syntax error, an unknown filter or an unknown variable is refused with its line and column
 * (counted in what the user typed) instead of rendering wrong in a run. No I/O.
 */
import type { TemplateContext } from "./compile.js";
import { liquid, type TemplateProblem, templateProblem } from "./liquid.js";

export type TemplateField = "subject" | "body" | "html" | "text";

export interface FieldProblem extends TemplateProblem {
  field: TemplateField;
}

/** Values that look like a real copy's, for checks and previews without a chosen recipient. */
export function sampleContext(fieldKeys: readonly string[] = [], now = new Date()): TemplateContext {
  return {
    recipient: {
      email: "ada@example.com",
      full_name: "Ada Lovelace",
      first_name: "Ada",
      comment: "",
      fields: Object.fromEntries(fieldKeys.map((k) => [k, ""])),
    },
    mailing: { name: "Sample mailing" },
    sender: { name: "PostPilot", email: "news@example.com", postal_address: "1 Example Street, Springfield" },
    unsubscribe_url: "https://example.com/u/sample",
    view_in_browser_url: "https://example.com/v/sample",
    now: now.toISOString(),
  };
}

/** The first problem of each template, checked as what it is (an HTML body escapes, a subject does not). */
export function checkTemplates(
  templates: { field: TemplateField; source: string; html: boolean; layout?: boolean }[],
  context: TemplateContext,
): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const t of templates) {
    const engine = t.html ? liquid.strictHtml : liquid.strictText;
    const scope = { ...context, subject: "Sample subject", ...(t.layout ? { content: "" } : {}) };
    try {
      engine.renderSync(engine.parse(t.source), scope);
    } catch (error) {
      problems.push({ field: t.field, ...templateProblem(error) });
    }
  }
  return problems;
}

/** "Line 2, column 5: unknown variable: recipient.nmae" */
export function describeProblem(p: TemplateProblem): string {
  return p.line === null ? p.message : `Line ${p.line}, column ${p.column}: ${p.message}`;
}
