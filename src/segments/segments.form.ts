/**
 * The segment form's rows (c0_what, c0_op, c0_value …) turned into a definition, and back. Pure: the page
 * adapter calls it before the service, which checks the definition like any other input.
 */
import type { Condition, SegmentDefinition } from "./segments.schemas.js";

export const FORM_ROWS = 8;

export const OP_LABELS: Record<string, string> = {
  contains: "contains",
  is: "is",
  ends_with_domain: "ends with domain",
  in: "is in",
  not_in: "is not in",
  eq: "=",
  ne: "≠",
  lt: "<",
  gt: ">",
  set: "is set",
};

const str = (v: unknown) => (typeof v === "string" ? v : "");

/** The rows that were filled in, with their row numbers (for error messages next to them). */
export function definitionFromForm(body: Record<string, unknown>): { definition: unknown; rows: number[] } {
  const conditions: unknown[] = [];
  const rows: number[] = [];
  for (let i = 0; i < FORM_ROWS; i++) {
    const what = str(body[`c${i}_what`]);
    const op = str(body[`c${i}_op`]);
    const value = str(body[`c${i}_value`]);
    if (what === "") continue;
    rows.push(i);
    const [kind, ref] = what.includes(":")
      ? [what.slice(0, what.indexOf(":")), what.slice(what.indexOf(":") + 1)]
      : [what, ""];
    if (kind === "email" || kind === "full_name" || kind === "comment")
      conditions.push({ kind: "text", column: kind, op, value });
    else if (kind === "list") conditions.push({ kind: "list", op, list_id: ref });
    else if (kind === "field") conditions.push({ kind: "field", key: ref, op, value });
    else if (kind === "received") conditions.push({ kind: "received", mailing_id: ref });
    else if (kind === "bounced") conditions.push({ kind: "bounced" });
    else if (kind === "quiet") conditions.push({ kind: "quiet", days: value });
    else conditions.push({ kind: "unknown" });
  }
  return { definition: { match: str(body.match) === "any" ? "any" : "all", conditions }, rows };
}

/** A definition as the form's values. */
export function formFromDefinition(definition: SegmentDefinition): Record<string, string> {
  const values: Record<string, string> = { match: definition.match };
  definition.conditions.forEach((c: Condition, i) => {
    const set = (what: string, op = "", value = "") => {
      values[`c${i}_what`] = what;
      values[`c${i}_op`] = op;
      values[`c${i}_value`] = value;
    };
    if (c.kind === "text") set(c.column, c.op, c.value);
    else if (c.kind === "list") set(`list:${c.list_id}`, c.op);
    else if (c.kind === "field") set(`field:${c.key}`, c.op, c.value);
    else if (c.kind === "received") set(`received:${c.mailing_id}`);
    else if (c.kind === "bounced") set("bounced");
    else set("quiet", "", String(c.days));
  });
  return values;
}

/** The service's error keys (name, definition.conditions.N.x) as the form's (name, cR_value). */
export function formErrors(errors: Record<string, string>, rows: number[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, message] of Object.entries(errors)) {
    const m = /^definition\.conditions\.(\d+)/.exec(key);
    if (m) out[`c${rows[Number(m[1])] ?? 0}_value`] ??= message;
    else if (key.startsWith("definition")) out.c0_value ??= message;
    else out[key] = message;
  }
  return out;
}
