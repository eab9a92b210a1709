/**
 * Pages of a list and what the pager needs. Web lists page by keyset (an opaque cursor holding the sort key
 * of the row at a page's edge: `?after=` / `?before=`), never by OFFSET over a large table, and show
 * "N matching" from a counter or a count bounded by MATCH_CAP. `page` / `pages` remain for the small lists
 * and the JSON API that still page by number.
 */
import { z } from "zod";

/** Links to the neighbouring pages of a keyset-paged list; null where there is none. */
export interface Cursors {
  next: string | null;
  prev: string | null;
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
  pages: number;
  /** Set on keyset-paged lists: the pager then shows Previous / Next by cursor. */
  cursors?: Cursors;
  /** True when `total` is only a lower bound (a bounded count reached MATCH_CAP). */
  capped?: boolean;
}

export const PAGE_SIZE = 25;
/** A filtered list counts its matches up to this many, then shows "10,000+ matching". */
export const MATCH_CAP = 10_000;

export function pageOf<T>(items: T[], total: number, page: number, pageSize = PAGE_SIZE): Page<T> {
  return { items, total, page, pageSize, pages: Math.max(1, Math.ceil(total / pageSize)) };
}

/** Escapes LIKE wildcards so a search for "50%" means the text "50%". */
export function likePattern(q: string): string {
  return `%${q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** A sort key: the sort column's value, then the id that breaks ties. */
export type SortKey = [string | number, number];

export function encodeCursor(key: SortKey): string {
  return Buffer.from(JSON.stringify(key)).toString("base64url");
}

const sortKey = z.tuple([z.union([z.string().max(1000), z.number()]), z.number().int()]);

/** The sort key in a cursor, or null when it is missing or not one of ours (the list then starts over). */
export function decodeCursor(raw: unknown): SortKey | null {
  if (typeof raw !== "string" || raw === "" || raw.length > 2000) return null;
  try {
    const parsed = sortKey.safeParse(JSON.parse(Buffer.from(raw, "base64url").toString("utf8")));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Where a keyset page starts: at the beginning, after a row's key, or before it. */
export type Seek = { from: "start" } | { from: "after" | "before"; key: SortKey };

export function seekOf(query: { after?: unknown; before?: unknown }): Seek {
  const after = decodeCursor(query.after);
  if (after) return { from: "after", key: after };
  const before = decodeCursor(query.before);
  if (before) return { from: "before", key: before };
  return { from: "start" };
}

/** Schema fields of a keyset-paged list's query. */
export const cursorFields = {
  after: z.string().max(2000).optional().catch(undefined),
  before: z.string().max(2000).optional().catch(undefined),
};

/**
 * Turns the rows a keyset query returned (up to `limit + 1`, in scan order: reversed when seeking before)
 * into a page's items in display order and the cursors of its neighbours.
 */
export function keysetPage<T>(
  rows: T[],
  limit: number,
  seek: Seek,
  key: (row: T) => SortKey,
): { items: T[]; cursors: Cursors } {
  const more = rows.length > limit;
  const items = rows.slice(0, limit);
  if (seek.from === "before") items.reverse();
  const first = items[0];
  const last = items[items.length - 1];
  const hasPrev = seek.from === "before" ? more : seek.from === "after";
  const hasNext = seek.from === "before" ? true : more;
  return {
    items,
    cursors: {
      prev: hasPrev && first ? encodeCursor(key(first)) : null,
      next: hasNext && last ? encodeCursor(key(last)) : null,
    },
  };
}

/** The "N matching" figure of a keyset page. */
export function keysetOf<T>(
  page: { items: T[]; cursors: Cursors },
  matching: { total: number; capped: boolean },
  pageSize: number,
): Page<T> {
  return { ...pageOf(page.items, matching.total, 1, pageSize), ...page, capped: matching.capped };
}
