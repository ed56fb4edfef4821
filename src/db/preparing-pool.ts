import { createHash } from 'node:crypto';
import { type PostgresPool, type PostgresPoolClient, sql } from 'kysely';
import type pg from 'pg';

/** A statement that holds this comment is prepared once per connection and reused. */
export const PREPARE_MARKER = '/* prepared */';

/** The marker as a kysely modifier: `db.selectFrom(…).modifyFront(prepared)`. */
export const prepared = sql.raw(PREPARE_MARKER);

const names = new Map<string, string>();

/** A stable name per statement text; the set of marked texts is small and fixed. */
function statementName(text: string): string {
  let name = names.get(text);
  if (!name) {
    name = createHash('sha1').update(text).digest('base64url');
    names.set(text, name);
  }
  return name;
}

/**
 * Wraps a pg pool so that statements marked with {@link PREPARE_MARKER} (anywhere in the
 * text; values are parameters, so a value cannot carry it) run as named
 * prepared statements: Postgres parses and plans them once per connection instead of on
 * every call. Only hot statements with a bounded set of texts are marked, since pg keeps
 * every prepared statement for the life of the connection.
 */
export function preparingPool(pool: pg.Pool): PostgresPool {
  return {
    async connect(): Promise<PostgresPoolClient> {
      const client = await pool.connect();
      return {
        query(sqlOrCursor: unknown, parameters?: ReadonlyArray<unknown>) {
          if (typeof sqlOrCursor === 'string' && sqlOrCursor.includes(PREPARE_MARKER)) {
            const name = statementName(sqlOrCursor);
            return client.query({ name, text: sqlOrCursor, values: [...(parameters ?? [])] });
          }
          // biome-ignore lint/suspicious/noExplicitAny: pass-through of pg's own overloads.
          return (client.query as any)(sqlOrCursor, parameters);
        },
        release: () => client.release(),
      } as PostgresPoolClient;
    },
    end: () => pool.end(),
  };
}
