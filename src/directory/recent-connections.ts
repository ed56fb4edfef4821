import { performance } from 'node:perf_hooks';
import type { Database } from '../db/database.ts';

/**
 * How long a process answers from a connection it read: which organization a Slack
 * workspace or a Teams tenant is connected to (and a workspace's bot user) is read for
 * every command and every notification, and changes only when an app is installed, a
 * tenant is first seen, or an admin links one to another organization. This process
 * forgets them at once when it writes one ({@link forgetConnections}); another process's
 * change is seen within this time, as a settings change is (RecognitionSettingsCache).
 */
export const CONNECTION_TTL_MS = 1000;

interface Entry {
  readonly read: Promise<unknown>;
  /** Monotonic milliseconds when the read was sent. */
  readonly at: number;
  readonly generation: number;
}

/** Each database's reads, apart: one process (a test's) may serve several databases. */
const recent = new WeakMap<Database, Map<string, Entry>>();
/** Moved on by every connection this process writes: older reads are not answered from. */
let generation = 0;

/**
 * The result of `read` under `key`, as read within {@link CONNECTION_TTL_MS} since this
 * process's last connection write, else read now. Inside a transaction, always read now;
 * a result that found nothing (`found` false) is not kept, so a workspace or tenant
 * connected by anyone is found on its first request.
 */
export async function recentRead<T>(
  db: Database,
  key: string,
  read: () => Promise<T>,
  found: (value: T) => boolean,
): Promise<T> {
  if (db.isTransaction) return read();
  let entries = recent.get(db);
  if (!entries) {
    entries = new Map();
    recent.set(db, entries);
  }
  const now = performance.now();
  const kept = entries.get(key);
  if (kept && kept.generation === generation && now - kept.at < CONNECTION_TTL_MS) {
    return kept.read as Promise<T>;
  }
  const entry: Entry = { read: read(), at: now, generation };
  entries.set(key, entry);
  const forget = () => {
    if (entries.get(key) === entry) entries.delete(key);
  };
  const value = await (entry.read as Promise<T>).catch((error: unknown) => {
    forget();
    throw error;
  });
  if (!found(value)) forget();
  return value;
}

/** After this process wrote a workspace or tenant row: what it read before is read again. */
export function forgetConnections(): void {
  generation += 1;
}
