import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../../src/db/database.ts';
import { migrateToLatest } from '../../../src/db/migrate.ts';
import { verifyLedger } from '../../../src/verification/ledger-verification.ts';
import { databaseContents, ledgerAccountsAndBalances } from '../../support/database-contents.ts';
import { createFreshDatabase, type FreshDatabase } from '../../support/fresh-database.ts';
import { populateOrganizations } from '../../support/plaudit-population.ts';
import { libpqEnvironment, runShellScript } from '../../support/shell-script.ts';
import { until } from '../../support/until.ts';

const BACKUP = 'deploy/backup/backup.sh';
const RESTORE = 'deploy/backup/restore.sh';
const DAY_MS = 24 * 60 * 60 * 1000;

/** The dumps and other files in a backup folder, hidden ones too, sorted. */
const filesIn = async (folder: string) => (await readdir(folder)).sort();

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('deploy/backup: backup.sh and restore.sh on a populated database', () => {
  let source: FreshDatabase;
  let db: Database;
  let folder: string;
  let database: string;
  const restoredNames: string[] = [];
  let server: pg.Client;

  beforeAll(async () => {
    source = await createFreshDatabase('backup', { migrated: true });
    database = new URL(source.url).pathname.slice(1);
    db = await openDatabase({ url: source.url, poolSize: 4 });
    await populateOrganizations(db);
    folder = await mkdtemp(path.join(tmpdir(), 'plaudit-backups-'));
    server = new pg.Client({ connectionString: source.url });
    await server.connect();
  });
  afterAll(async () => {
    for (const name of restoredNames) {
      await server?.query(`drop database if exists ${name} with (force)`);
    }
    await server?.end();
    await db?.destroy();
    await source?.drop();
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  /** backup.sh once into a folder of the test's, of the populated database unless told. */
  const backupOnce = (env: Record<string, string> = {}, into = folder) =>
    runShellScript(BACKUP, ['once'], {
      ...libpqEnvironment(database),
      BACKUP_DIR: into,
      ...env,
    });

  it('dumps, restores into a new database, and the restored ledger verifies with every row and balance equal', async () => {
    const backup = await backupOnce();
    expect(backup.stderr).toBe('');
    expect(backup.code).toBe(0);
    const dumps = (await filesIn(folder)).filter((file) => file.endsWith('.dump'));
    expect(dumps).toHaveLength(1);
    const dump = dumps[0] as string;
    expect(dump).toMatch(new RegExp(`^${database}-\\d{8}T\\d{6}Z\\.dump$`));
    // One line per dump, naming the file.
    expect(backup.stdout).toMatch(
      new RegExp(
        `^\\S+Z backup: ok: ${path.join(folder, dump)} \\(\\d+ bytes, \\d+ s\\); removed 0 older than 14 days\\n$`,
      ),
    );

    const target = `${database}_restored`;
    restoredNames.push(target);
    const restore = await runShellScript(RESTORE, [dump], {
      ...libpqEnvironment(target),
      BACKUP_DIR: folder,
    });
    expect(restore.stderr).toBe('');
    expect(restore.stdout).toContain(
      `restore: ok: ${path.join(folder, dump)} into database ${target}`,
    );
    expect(restore.code).toBe(0);

    const restoredUrl = new URL(source.url);
    restoredUrl.pathname = `/${target}`;
    const restored = await openDatabase({ url: restoredUrl.href, poolSize: 2 });
    try {
      const verification = await verifyLedger(restored);
      expect(verification.sample).toEqual([]);
      expect(verification).toMatchObject({ organizations: 3, violations: 0 });
      // Every account and its balance row, column for column...
      const balances = await ledgerAccountsAndBalances(db);
      expect(balances.accounts.length).toBeGreaterThan(20);
      expect(balances.balances.length).toBeGreaterThan(10);
      expect(await ledgerAccountsAndBalances(restored)).toEqual(balances);
      // ...and every other row of every table, with the sequences where they stood.
      const original = await databaseContents(db);
      expect(original.tables.ledger_transfers?.length).toBeGreaterThan(10);
      expect(original.tables.recognition_reversals).toHaveLength(1);
      expect(original.tables.billing_charges).toHaveLength(2);
      expect(await databaseContents(restored)).toEqual(original);
      // The restored schema is the newest: nothing left to migrate.
      expect(await migrateToLatest(restored)).toEqual([]);
    } finally {
      await restored.destroy();
    }

    // A second restore into the now non-empty database is refused, and changes nothing.
    const again = await runShellScript(RESTORE, [path.join(folder, dump)], {
      ...libpqEnvironment(target),
      BACKUP_DIR: folder,
    });
    expect(again.stderr).toMatch(
      /restore: database \S+ already holds \d+ tables; restore into a new database name/,
    );
    expect(again.code).toBe(73);
  });

  it('restores into an existing empty database (one emptied for it), and lists the dumps', async () => {
    const made = await backupOnce();
    expect(made.code).toBe(0);
    const dump = /ok: (\S+) /.exec(made.stdout)?.[1] as string;
    const target = `${database}_emptied`;
    restoredNames.push(target);
    await server.query(`create database ${target}`);
    const listed = await runShellScript(RESTORE, [], {
      ...libpqEnvironment(target),
      BACKUP_DIR: folder,
    });
    expect(listed.stdout.trim().split('\n')).toContain(path.basename(dump));
    const restore = await runShellScript(RESTORE, [path.basename(dump)], {
      ...libpqEnvironment(target),
      BACKUP_DIR: folder,
    });
    expect(restore).toMatchObject({ code: 0, stderr: '' });
    const restoredUrl = new URL(source.url);
    restoredUrl.pathname = `/${target}`;
    const restored = await openDatabase({ url: restoredUrl.href, poolSize: 1 });
    try {
      expect(await ledgerAccountsAndBalances(restored)).toEqual(
        await ledgerAccountsAndBalances(db),
      );
    } finally {
      await restored.destroy();
    }
  });

  it('removes dumps older than BACKUP_KEEP_DAYS after a dump, keeping recent ones and other files', async () => {
    const retention = await mkdtemp(path.join(folder, 'retention-'));
    const aged = async (name: string, days: number) => {
      const file = path.join(retention, name);
      await writeFile(file, 'an older dump');
      const when = new Date(Date.now() - days * DAY_MS);
      await utimes(file, when, when);
    };
    await aged(`${database}-20261101T030000Z.dump`, 20);
    await aged(`${database}-20261115T030000Z.dump`, 15);
    await aged(`${database}-20261124T030000Z.dump`, 13);
    await aged(`${database}-20261205T030000Z.dump`, 1);
    // Another database's dumps and files that are not dumps are not this backup's to remove.
    await aged('otherdb-20261101T030000Z.dump', 20);
    await aged('notes.txt', 30);
    // A dump kept by hand, under a name of the operator's.
    await aged(`${database}-before-upgrade.dump`, 30);
    // A killed run's temporary file goes after a day; a running dump's (fresh) stays.
    await aged(`.${database}-20261101T030000Z.dump.partial`, 2);
    await aged(`.${database}-20261206T030000Z.dump.partial`, 0);

    const run = await backupOnce({ BACKUP_KEEP_DAYS: '14' }, retention);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/removed 2 older than 14 days\n$/);
    const files = await filesIn(retention);
    const made = files.filter(
      (file) => /T\d{6}Z(-\d+)?\.dump$/.test(file) && !/^(\.|otherdb)/.test(file),
    );
    expect(files).toEqual(
      [
        '.backup-status',
        '.last-success',
        `.${database}-20261206T030000Z.dump.partial`,
        `${database}-20261124T030000Z.dump`,
        `${database}-20261205T030000Z.dump`,
        made.at(-1) as string,
        'notes.txt',
        'otherdb-20261101T030000Z.dump',
        `${database}-before-upgrade.dump`,
      ].sort(),
    );

    // Keeping 0 days removes every older dump of the database, never the one just made
    // (nor the one kept by hand).
    const none = await backupOnce({ BACKUP_KEEP_DAYS: '0' }, retention);
    expect(none.code).toBe(0);
    const left = (await filesIn(retention)).filter(
      (file) => file.startsWith(`${database}-2`) && file.endsWith('.dump'),
    );
    expect(left).toHaveLength(1);
    expect(await filesIn(retention)).toContain(`${database}-before-upgrade.dump`);
    expect(none.stdout).toContain(`ok: ${path.join(retention, left[0] as string)} `);
  });

  it('fails loudly, leaving no dump and no partial file, when the server cannot be reached', async () => {
    const failed = await mkdtemp(path.join(folder, 'unreachable-'));
    const run = await backupOnce({ PGPORT: String(await closedPort()) }, failed);
    expect(run.code).not.toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/backup: FAILED: pg_dump of \S+ on 127\.0\.0\.1 exited non-zero/);
    expect(await filesIn(failed)).toEqual(['.backup-status']);
    // The healthcheck says so.
    const check = await runShellScript(BACKUP, ['check'], { BACKUP_DIR: failed });
    expect(check.stderr).toMatch(/the last backup failed/);
    expect(check.code).toBe(1);
  });

  it('fails on a database that is not there (a wrong name or user), leaving nothing', async () => {
    const failed = await mkdtemp(path.join(folder, 'missing-'));
    const run = await backupOnce({ PGDATABASE: `${database}_missing` }, failed);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/does not exist/);
    expect(run.stderr).toMatch(/backup: FAILED:/);
    expect(await filesIn(failed)).toEqual(['.backup-status']);
  });

  it('fails a dump cut short mid-way (a table lock it waited for too long), leaving no partial file', async () => {
    const failed = await mkdtemp(path.join(folder, 'locked-'));
    // A migration's lock on one table, held while the dump runs.
    const holder = new pg.Client({ connectionString: source.url });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query('lock table ledger_transfers in access exclusive mode');
      const run = await backupOnce({ BACKUP_LOCK_WAIT_SECONDS: '1' }, failed);
      expect(run.stderr).toMatch(/canceling statement due to statement timeout/);
      expect(run.stderr).toMatch(/LOCK TABLE public\.ledger_transfers/);
      expect(run.stderr).toMatch(/backup: FAILED:/);
      expect(run.code).not.toBe(0);
      expect(await filesIn(failed)).toEqual(['.backup-status']);
    } finally {
      await holder.query('rollback');
      await holder.end();
    }
    // The next dump succeeds, and the healthcheck turns healthy again.
    const next = await backupOnce({}, failed);
    expect(next.code).toBe(0);
    const check = await runShellScript(BACKUP, ['check'], { BACKUP_DIR: failed });
    expect(check).toMatchObject({ code: 0, stderr: '' });
  });

  it('refuses settings that are not whole numbers before dumping anything', async () => {
    const refused = path.join(folder, 'refused');
    await mkdir(refused);
    const run = await backupOnce({ BACKUP_KEEP_DAYS: 'two weeks' }, refused);
    expect(run.stderr).toMatch(/BACKUP_KEEP_DAYS must be a whole number, not 'two weeks'/);
    expect(run.code).toBe(78);
    expect(await filesIn(refused)).toEqual([]);
  });

  /** backup.sh schedule, as compose's backup service runs it; stopped with TERM. */
  function scheduled(env: Record<string, string>, into: string) {
    const child = spawn(path.resolve(BACKUP), ['schedule'], {
      env: {
        PATH: process.env.PATH ?? '',
        ...libpqEnvironment(database),
        BACKUP_DIR: into,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = { stdout: '', stderr: '' };
    child.stdout.on('data', (chunk: Buffer) => {
      output.stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output.stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    return {
      output,
      async stop() {
        child.kill('SIGTERM');
        return exited;
      },
    };
  }

  it('on a schedule, dumps at start, is healthy, and stops at once on TERM', async () => {
    const scheduledFolder = await mkdtemp(path.join(folder, 'scheduled-'));
    const run = scheduled({ BACKUP_INTERVAL_SECONDS: '3600' }, scheduledFolder);
    try {
      await until(() => run.output.stdout.includes('backup: ok:'));
    } finally {
      // Waiting out its hour would time the test out: TERM ends the wait.
      expect(await run.stop()).toBe(0);
    }
    expect(run.output.stderr).toBe('');
    const lines = run.output.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/backup: scheduled: \S+ on 127\.0\.0\.1 every 3600 s into /);
    expect(lines.slice(1)).toHaveLength(1);
    expect((await filesIn(scheduledFolder)).filter((file) => file.endsWith('.dump'))).toHaveLength(
      1,
    );
    const check = await runShellScript(BACKUP, ['check'], {
      BACKUP_DIR: scheduledFolder,
      BACKUP_INTERVAL_SECONDS: '3600',
    });
    expect(check).toMatchObject({ code: 0, stderr: '' });
    // Unhealthy once the last success is older than an interval and an hour.
    const twoHoursAgo = new Date(Date.now() - 2.5 * 60 * 60 * 1000);
    await utimes(path.join(scheduledFolder, '.last-success'), twoHoursAgo, twoHoursAgo);
    const stale = await runShellScript(BACKUP, ['check'], {
      BACKUP_DIR: scheduledFolder,
      BACKUP_INTERVAL_SECONDS: '3600',
    });
    expect(stale.stderr).toMatch(/no successful backup for longer than the interval/);
    expect(stale.code).toBe(1);
  });

  it('on a schedule, keeps going after a failed dump and retries it after BACKUP_RETRY_SECONDS', async () => {
    const failing = await mkdtemp(path.join(folder, 'retried-'));
    const run = scheduled(
      {
        PGPORT: String(await closedPort()),
        BACKUP_INTERVAL_SECONDS: '3600',
        BACKUP_RETRY_SECONDS: '0',
      },
      failing,
    );
    try {
      await until(() => (run.output.stderr.match(/backup: FAILED:/g) ?? []).length >= 2);
    } finally {
      expect(await run.stop()).toBe(0);
    }
    expect(await filesIn(failing)).toEqual(['.backup-status']);
  });
});
