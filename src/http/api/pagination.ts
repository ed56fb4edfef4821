import { type SelectQueryBuilder, type StringReference, sql } from 'kysely';
import { z } from 'zod/v4';

/**
 * Cursor pagination: a page names where the next one starts with an opaque `next_cursor`
 * (base64url of the last id on the page); `null` on the last page. Ids never change, so
 * a cursor stays good while rows are added.
 */
export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 1000;

export const pageQuery = {
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_LIMIT)
    .default(DEFAULT_LIMIT)
    .describe(`How many items a page holds, 1 to ${MAX_LIMIT}.`),
  /** Parsed to the id the page starts after. */
  cursor: z
    .string()
    .transform((cursor, context) => {
      const id = /^[A-Za-z0-9_-]{1,40}$/.test(cursor) ? decodeCursor(cursor) : undefined;
      if (id === undefined) {
        context.issues.push({
          code: 'custom',
          input: cursor,
          message: 'not a cursor this API gave out',
        });
        return z.NEVER;
      }
      return id;
    })
    .optional()
    .describe('The `next_cursor` of the page before; omitted for the first page.'),
};

export interface PageQuery {
  readonly limit: number;
  /** The id the page starts after. */
  readonly cursor?: number | undefined;
}

/** A page's envelope around its items' schema. */
export function pageOf<Item extends z.ZodType>(item: Item) {
  return z.object({
    items: z.array(item),
    next_cursor: z
      .string()
      .nullable()
      .describe('Pass it as `cursor` for the next page; null on the last one.'),
  });
}

export function encodeCursor(id: number): string {
  return Buffer.from(String(id), 'utf8').toString('base64url');
}

/** The id a cursor names, or undefined when it is not one this API gave out. */
export function decodeCursor(cursor: string): number | undefined {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^\d{1,15}$/.test(text)) return undefined;
  return Number(text);
}

/**
 * A page of rows fetched `limit + 1` at a time: the extra row only says there is more.
 */
export function pageFrom<Row, Item>(
  rows: readonly Row[],
  limit: number,
  idOf: (row: Row) => number,
  toItem: (row: Row) => Item,
): { items: Item[]; next_cursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map(toItem),
    next_cursor: rows.length > limit && last !== undefined ? encodeCursor(idOf(last)) : null,
  };
}

/**
 * A page of a query's rows, newest (highest id) first: those after the cursor, read
 * `limit + 1` at a time.
 */
export async function newestFirstPage<DB, TB extends keyof DB, Row extends { id: number }, Item>(
  select: SelectQueryBuilder<DB, TB, Row>,
  idColumn: StringReference<DB, TB>,
  query: PageQuery,
  toItem: (row: Row) => Item,
): Promise<{ items: Item[]; next_cursor: string | null }> {
  let page = select.orderBy(idColumn, 'desc').limit(query.limit + 1);
  if (query.cursor !== undefined) {
    page = page.where(sql<boolean>`${sql.ref(idColumn)} < ${query.cursor}`);
  }
  const rows = (await page.execute()) as Row[];
  return pageFrom(rows, query.limit, (row) => row.id, toItem);
}

/** Pages a short list a service returns whole, in ascending id order. */
export function pageOfList<Item>(
  list: readonly Item[],
  query: PageQuery,
  idOf: (item: Item) => number,
): { items: Item[]; next_cursor: string | null } {
  const sorted = [...list]
    .filter((item) => query.cursor === undefined || idOf(item) > query.cursor)
    .sort((a, b) => idOf(a) - idOf(b));
  return pageFrom(sorted, query.limit, idOf, (item) => item);
}
