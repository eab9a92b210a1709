/** A count with its noun in the right number: "1 recipient", "1,754 recipients" (pass `many` when not +s). */
export function countOf(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;
}
