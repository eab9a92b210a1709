/**
 * Opaque cursors for keyset pagination (the API's lists): base64url of the last row's sort key and id, so
 * the next page starts strictly after it and rows inserted meanwhile neither repeat nor push rows out.
 */
import { z } from "zod";
import { ValidationError } from "./errors.js";

export interface Cursor {
  /** The direction of the walk; the sort key is the row id (creation order). */
  dir: "asc" | "desc";
  /** The last row already seen. */
  id: number;
}

const shape = z.object({ d: z.enum(["asc", "desc"]), id: z.number().int().min(1) });

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify({ d: cursor.dir, id: cursor.id })).toString("base64url");
}

/** The cursor a previous list answer gave, or a 422 naming `cursor`. */
export function decodeCursor(value: string): Cursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, "base64url").toString("utf8"));
  } catch {
    parsed = null;
  }
  const result = shape.safeParse(parsed);
  if (!result.success) {
    throw new ValidationError({ cursor: "This cursor is not one a list answered: start again without it." });
  }
  return { dir: result.data.d, id: result.data.id };
}

/** A keyset page: the rows after the cursor, and the cursor of the next page (null on the last). */
export interface CursorPage<T> {
  items: T[];
  total: number;
  nextCursor: string | null;
}

/** From limit + 1 rows fetched: the page and whether a next one exists. */
export function cursorPageOf<T extends { id: number }>(
  rows: T[],
  limit: number,
  dir: "asc" | "desc",
  total: number,
): CursorPage<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    items,
    total,
    nextCursor: rows.length > limit && last ? encodeCursor({ dir, id: last.id }) : null,
  };
}

/** What a keyset list takes: a search, a page size, and where to start (a cursor, or the first page). */
export interface CursorQuery {
  q: string;
  limit: number;
  dir: "asc" | "desc";
  cursor: string | undefined;
}

/** The direction and the row to start after: the cursor's own (it fixes the walk), else the query's. */
export function startOf(query: CursorQuery): { dir: "asc" | "desc"; afterId: number | null } {
  if (query.cursor === undefined) return { dir: query.dir, afterId: null };
  const cursor = decodeCursor(query.cursor);
  return { dir: cursor.dir, afterId: cursor.id };
}
