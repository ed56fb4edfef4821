import { createHash } from 'node:crypto';
import { type PostgresPool, type PostgresPoolClient, sql } from 'kysely';
import type pg from 'pg';
import { isConnectionLost } from './connection-errors.ts';

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
 *
 * A connection that breaks while it is lent out (its server ended the session, its socket
 * died, an answer never came) reports to `onLost` instead of throwing an unhandled 'error'
 * that would end the process, and is closed on release instead of going back to the pool,
 * where the next borrower would inherit a dead or still-busy connection.
 */
export function preparingPool(pool: pg.Pool, onLost: (error: Error) => void): PostgresPool {
  return {
    async connect(): Promise<PostgresPoolClient> {
      const client = await pool.connect();
      let lost: Error | undefined;
      const onError = (error: Error) => {
        lost ??= error;
        onLost(error);
      };
      client.on('error', onError);
      const noteLoss = (error: unknown) => {
        if (isConnectionLost(error)) lost ??= error as Error;
        throw error;
      };
      return {
        query(sqlOrCursor: unknown, parameters?: ReadonlyArray<unknown>) {
          if (typeof sqlOrCursor === 'string' && sqlOrCursor.includes(PREPARE_MARKER)) {
            const name = statementName(sqlOrCursor);
            return client
              .query({ name, text: sqlOrCursor, values: [...(parameters ?? [])] })
              .catch(noteLoss);
          }
          // biome-ignore lint/suspicious/noExplicitAny: pass-through of pg's own overloads.
          const result = (client.query as any)(sqlOrCursor, parameters);
          return result instanceof Promise ? result.catch(noteLoss) : result;
        },
        release: () => {
          client.off('error', onError);
          client.release(lost);
        },
      } as PostgresPoolClient;
    },
    end: () => pool.end(),
  };
}
