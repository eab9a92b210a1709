/**
 * The run's "mail server response": deliveries counted by reply code, and the failures grouped by code and
 * enhanced status with one sample text (addresses masked), so 500 "user unknown" replies read as one line.
 * Pure.
 */

export interface FailureGroup {
  /** The reply code, or null when no reply came (a timeout, a dropped connection, given up). */
  code: number | null;
  /** The enhanced status ("5.1.1"), or null. */
  enhanced: string | null;
  /** One of the group's texts, with email addresses masked as `<…>`. */
  text: string;
  count: number;
}

export interface RunResponse {
  /** Deliveries by their last reply code ("250", "550"; "none" when no reply came, e.g. a timeout). */
  codes: Record<string, number>;
  /** The largest groups of failed deliveries by (code, enhanced status), largest first. */
  failures: FailureGroup[];
}

export const TOP_FAILURES = 5;

// Local part and domain as servers quote them in replies, with the angle brackets around them if any.
const ADDRESS = /<?[\w.!#$%&'*+?^`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*>?/g;

/** The text with every email address replaced by `<…>` (servers often put the recipient in the reply). */
export function maskAddresses(text: string): string {
  return text.replace(ADDRESS, "<…>");
}

export function summarize(
  codeCounts: { code: number | null; count: number }[],
  failureGroups: { code: number | null; enhanced: string | null; text: string | null; count: number }[],
): RunResponse {
  const codes: Record<string, number> = {};
  for (const { code, count } of codeCounts) {
    const key = code === null ? "none" : String(code);
    codes[key] = (codes[key] ?? 0) + Number(count);
  }
  const failures = failureGroups
    .map(({ code, enhanced, text, count }) => ({
      code,
      enhanced: enhanced || null,
      text: maskAddresses(text ?? "Unknown error"),
      count: Number(count),
    }))
    .sort(
      (a, b) =>
        b.count - a.count ||
        (a.code ?? 1000) - (b.code ?? 1000) ||
        (a.enhanced ?? "").localeCompare(b.enhanced ?? ""),
    )
    .slice(0, TOP_FAILURES);
  return { codes, failures };
}

/**
 * Reads a stored response. Runs finished before failures were grouped hold `{ text, count }` per distinct
 * text: those come back with a null code and enhanced status and their full text, masked.
 */
export function parseResponse(json: string | null): RunResponse | null {
  if (!json) return null;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null) return null;
  const { codes, failures } = value as { codes?: unknown; failures?: unknown };
  const response: RunResponse = { codes: {}, failures: [] };
  if (typeof codes === "object" && codes !== null) {
    for (const [key, count] of Object.entries(codes))
      if (typeof count === "number") response.codes[key] = count;
  }
  for (const f of Array.isArray(failures) ? failures : []) {
    if (typeof f !== "object" || f === null) continue;
    const { code, enhanced, text, count } = f as Record<string, unknown>;
    if (typeof count !== "number") continue;
    response.failures.push({
      code: typeof code === "number" ? code : null,
      enhanced: typeof enhanced === "string" && enhanced ? enhanced : null,
      text: maskAddresses(typeof text === "string" ? text : "Unknown error"),
      count,
    });
  }
  return response;
}

/** The reply's text without the code and enhanced status that are shown beside it. */
export function replyText(text: string, code: number | null, enhanced: string | null): string {
  let rest = text;
  if (code !== null && rest.startsWith(String(code))) rest = rest.slice(3).replace(/^[ -]/, "").trimStart();
  if (enhanced && rest.startsWith(enhanced)) rest = rest.slice(enhanced.length).trimStart();
  return rest;
}

/** One line for a failure group: "501 × 550 5.1.1 user unknown", or "3 × Connection timed out". */
export function failureLine(f: FailureGroup): string {
  const head = [f.code, f.enhanced].filter((x) => x !== null).join(" ");
  const text = replyText(f.text, f.code, f.enhanced);
  return `${f.count} × ${[head, text].filter(Boolean).join(" ")}`;
}
