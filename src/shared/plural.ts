/** Counts as the pages show them: one number format everywhere ("5,007", never "5007" beside it). */
export function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}

/** A count with its noun in the right number: "1 recipient", "1,754 recipients" (pass `many` when not +s). */
export function countOf(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/** A mailing's recipient count as lists show it: "10,000+" when the count was bounded at its cap. */
export function formatRecipients(m: { recipient_count: number; recipient_count_capped?: boolean }): string {
  return m.recipient_count_capped
    ? `${formatCount(m.recipient_count)}+ recipients`
    : countOf(m.recipient_count, "recipient");
}
