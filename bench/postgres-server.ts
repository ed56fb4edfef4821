import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

/** The server the benchmarks use; the same one pgbench measures. */
export const SERVER_URL =
  process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** The URL of a database of the benchmark server. */
export function databaseUrl(name: string): string {
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  return url.href;
}

/** The comment of a database of the benchmark server; null when it has none or does not exist. */
export async function databaseComment(name: string): Promise<string | null> {
  const admin = new pg.Client({ connectionString: SERVER_URL });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ comment: string | null }>(
      `select shobj_description(oid, 'pg_database') as comment from pg_database
       where datname = $1`,
      [name],
    );
    return rows[0]?.comment ?? null;
  } finally {
    await admin.end();
  }
}

/** Drops and creates a database on the benchmark server; returns its URL. */
export async function freshDatabase(name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: SERVER_URL });
  await admin.connect();
  try {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  return url.href;
}

/**
 * A benchmark's database at one size: with `keep`, a database of that name left by an
 * earlier run is used as it is (`kept`) when `seeded` says its seed finished; otherwise it
 * is made afresh. Returns its URL.
 */
export async function keptOrFreshDatabase(
  name: string,
  keep: boolean,
  seeded: (client: pg.Client) => Promise<boolean>,
): Promise<{ url: string; kept: boolean }> {
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  if (keep) {
    const admin = new pg.Client({ connectionString: SERVER_URL });
    await admin.connect();
    const exists = await admin
      .query('select 1 from pg_database where datname = $1', [name])
      .finally(() => admin.end());
    if (exists.rowCount === 1) {
      const probe = new pg.Client({ connectionString: url.href });
      await probe.connect();
      try {
        if (await seeded(probe)) return { url: url.href, kept: true };
      } finally {
        await probe.end();
      }
    }
  }
  return { url: await freshDatabase(name), kept: false };
}

/** Whether a database holds a table (a migrated one holds them all). */
export async function hasTable(client: pg.Client, table: string): Promise<boolean> {
  const found = await client.query(
    'select 1 from information_schema.tables where table_name = $1',
    [table],
  );
  return found.rowCount === 1;
}

export async function dropDatabase(name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: SERVER_URL });
  await admin.connect();
  try {
    await admin.query(`drop database if exists ${name} with (force)`);
  } finally {
    await admin.end();
  }
}

/**
 * pgbench's TPC-B-like run (or its select-only one, `-S`) on its own fresh database;
 * returns transactions per second.
 */
export async function pgbenchTps(
  clients: number,
  seconds: number,
  script: 'tpcb-like' | 'select-only' = 'tpcb-like',
): Promise<number> {
  const url = await freshDatabase('plaudit_bench_pgbench');
  await run('pgbench', ['-i', '-q', '-s', '10', url]);
  const { stdout } = await run('pgbench', [
    '-n',
    ...(script === 'select-only' ? ['-S'] : []),
    '-c',
    String(clients),
    '-j',
    String(Math.min(2, clients)),
    '-T',
    String(seconds),
    url,
  ]);
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(stdout)?.[1];
  if (!tps) throw new Error(`could not read tps from pgbench:\n${stdout}`);
  return Number(tps);
}

export function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] as number;
}
