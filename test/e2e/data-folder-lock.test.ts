import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DataFolderInUse } from '../../src/db/data-folder-lock.ts';
import { openDatabase } from '../../src/db/database.ts';
import { migratedDataFolder } from '../support/databases.ts';
import { until } from '../support/until.ts';
import { type PlauditProcess, startPlauditProcess } from '../support/worker-process.ts';

/**
 * PGlite keeps the database in its process's memory and writes it back to the folder: two
 * processes on one folder lose each other's commits. The folder is held by the process
 * that opened it; a second one, `npm start`, `npm run migrate` or `npm run admin:grant`, is refused naming the
 * holder, and a holder that was killed leaves nothing in the way.
 */
describe('one process per embedded data folder', () => {
  const started: PlauditProcess[] = [];
  let folder: string | undefined;
  afterEach(async () => {
    for (const child of started.splice(0)) {
      if (child.running()) child.child.kill('SIGKILL');
      await child.exited;
    }
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  it('refuses a second process naming the holder, and is taken over once the holder is killed', async () => {
    folder = await mkdtemp(path.join(tmpdir(), 'plaudit-lock-'));
    const dataDir = path.join(folder, 'data');
    await migratedDataFolder(dataDir);
    const env = { PORT: '0', PLAUDIT_DATA_DIR: dataDir, LOG_LEVEL: 'info' };
    const holder = startPlauditProcess(env);
    started.push(holder);
    await until(
      () => holder.output().includes('Plaudit is listening') || !holder.running(),
      60_000,
    );
    expect(holder.running()).toBe(true);
    const pid = holder.child.pid as number;

    const migrate = startPlauditProcess(env, 'migrate-main');
    started.push(migrate);
    expect(await migrate.exited).toEqual({ code: 75, signal: null });
    expect(migrate.output()).toContain(
      `Cannot migrate: The embedded database in ${dataDir} is in use by process ${pid} on `,
    );
    const grant = startPlauditProcess(env, 'admin-grant-main', ['ana@demo.example']);
    started.push(grant);
    expect(await grant.exited).toEqual({ code: 75, signal: null });
    expect(grant.output()).toContain(
      `Cannot grant admin: The embedded database in ${dataDir} is in use by process ${pid} on `,
    );
    const refusal = await openDatabase({ dataDir }).then(
      (db) => db.destroy().then(() => 'opened'),
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(DataFolderInUse);
    expect((refusal as Error).message).toMatch(/stop that Plaudit first, or set PLAUDIT_DATA_DIR/);

    holder.child.kill('SIGKILL');
    await holder.exited;
    // The operator's grant takes the killed holder's folder over: the demo's Ana is admin already.
    const granted = startPlauditProcess(env, 'admin-grant-main', ['ana@demo.example']);
    started.push(granted);
    expect(await granted.exited, granted.output()).toEqual({ code: 0, signal: null });
    expect(granted.output()).toMatch(
      /^Ana Silva \(member \d+\) is an admin of Demo Company already\.\n$/,
    );
    // Opened and closed unused, the folder is let go: the next opening takes it at once.
    await (await openDatabase({ dataDir })).destroy();
    await (await openDatabase({ dataDir })).destroy();
  });
});
