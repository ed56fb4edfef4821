import pg from 'pg';

/**
 * SQLSTATEs that end a session: the server shut it down (`pg_terminate_backend`, a restart,
 * a failover) or could not take it, and every class 08 connection exception.
 */
const SESSION_ENDED = /^(57P0[1-3]|08...)$/;

/** Messages pg gives a connection that broke on the client's side of the wire. */
const BROKEN_WIRE = [
  'Connection terminated',
  'Query read timeout',
  'timeout exceeded when trying to connect',
  'is not queryable',
];

const SOCKET_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);

/**
 * Whether an error says the connection is gone or unusable, rather than that the server
 * refused a statement: such a connection must not go back to the pool, and the work it
 * carried may be run again on another one (Plaudit's writes are idempotent by key).
 */
export function isConnectionLost(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (error instanceof pg.DatabaseError) return SESSION_ENDED.test(String(code));
  if (typeof code === 'string' && SOCKET_CODES.has(code)) return true;
  return typeof message === 'string' && BROKEN_WIRE.some((part) => message.includes(part));
}
