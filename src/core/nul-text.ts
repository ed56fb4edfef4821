/*
 * Postgres text and jsonb cannot hold U+0000 (NUL): a query given one fails, and the person
 * who sent it read "Something went wrong". Nobody means to type a NUL (it comes pasted from
 * another program, or from a client that is probing), and removing it would store
 * something other than what was sent, so every surface refuses input that holds one,
 * before reading or writing anything, in one place each: the chat command router (Slack's
 * commands, modals and buttons, Teams' messages and cards, the local console's), the
 * Teams turn (the whole activity), the web console's form reader and the HTTP API's (the
 * path, the query and the body), and the local console's endpoint.
 */

const NUL = '\u0000';

/**
 * Where the first NUL in a value is: '' for a string that holds one, else the path of keys
 * and indexes to the string or key that does (`items.0.name`); undefined when there is
 * none. Object keys count: they are stored too (a jsonb column, an audit entry).
 */
export function nulPath(value: unknown): string | undefined {
  if (typeof value === 'string') return value.includes(NUL) ? '' : undefined;
  if (value === null || typeof value !== 'object') return undefined;
  const entries = Array.isArray(value) ? value.entries() : Object.entries(value);
  for (const [key, item] of entries) {
    const name = String(key);
    if (name.includes(NUL)) return name.replaceAll(NUL, '\\0');
    const inner = nulPath(item);
    if (inner !== undefined) return inner === '' ? name : `${name}.${inner}`;
  }
  return undefined;
}

/** The chat platforms' answer to a message that holds a NUL. */
export const NUL_IN_MESSAGE =
  'Your message holds a NUL character (\\0, often pasted in from another program), which Plaudit cannot store, so nothing was done. Send it again without it.';
