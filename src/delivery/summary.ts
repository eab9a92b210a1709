/** The run's "mail server response": counts by reply code and the most frequent failure texts. Pure. */

export interface RunResponse {
  /** Deliveries by their last reply code ("250", "550"; "none" when no reply came, e.g. a timeout). */
  codes: Record<string, number>;
  /** The most frequent texts of failed deliveries, most frequent first. */
  failures: { text: string; count: number }[];
}

export const TOP_FAILURES = 5;

export function summarize(
  codeCounts: { code: number | null; count: number }[],
  failureCounts: { text: string | null; count: number }[],
): RunResponse {
  const codes: Record<string, number> = {};
  for (const { code, count } of codeCounts) {
    const key = code === null ? "none" : String(code);
    codes[key] = (codes[key] ?? 0) + Number(count);
  }
  const failures = failureCounts
    .map(({ text, count }) => ({ text: text ?? "Unknown error", count: Number(count) }))
    .sort((a, b) => b.count - a.count || a.text.localeCompare(b.text))
    .slice(0, TOP_FAILURES);
  return { codes, failures };
}

export function parseResponse(json: string | null): RunResponse | null {
  if (!json) return null;
  try {
    return JSON.parse(json) as RunResponse;
  } catch {
    return null;
  }
}
