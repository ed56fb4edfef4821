import { readdir, readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createFreshDatabase, type FreshDatabase } from '../support/fresh-database.ts';
import { logLine, type PlauditProcess, startPlauditProcess } from '../support/worker-process.ts';

const ROOT = new URL('../../', import.meta.url);

/** The migrations' names, from the sources (migrations/0001_name.ts → 0001_name). */
async function migrationNames(): Promise<string[]> {
  const files = await readdir(new URL('migrations/', ROOT));
  return files
    .filter((file) => /^\d{4}_[\w-]+\.ts$/.test(file))
    .map((file) => file.replace(/\.ts$/, ''))
    .sort();
}

/** The `msg` of each JSON log line the process wrote, in order. */
function messages(child: PlauditProcess): Array<Record<string, unknown>> {
  return child
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/**
 * What production runs is dist/, built by `npm run build` (here by the test run's global
 * set-up) and started with plain node: no tsx loader, no TypeScript file read at run time,
 * the migrations compiled beside the bundles.
 */
describe('the compiled build', () => {
  const started: PlauditProcess[] = [];
  let database: FreshDatabase | undefined;
  afterEach(async () => {
    for (const child of started.splice(0)) {
      if (child.running()) child.child.kill('SIGKILL');
      await child.exited;
    }
    await database?.drop();
    database = undefined;
  });

  it('imports nothing of tsx and no TypeScript file', async () => {
    const files = (await readdir(new URL('dist/', ROOT), { recursive: true })).filter((file) =>
      file.endsWith('.js'),
    );
    expect(files).toContain('main.js');
    for (const file of files) {
      const code = await readFile(new URL(`dist/${file}`, ROOT), 'utf8');
      expect({ file, imports: code.match(/(from|import\()\s*["'][^"']*(tsx|\.ts)["']/g) }).toEqual({
        file,
        imports: null,
      });
    }
  });

  it('starts with plain node on a new database, migrating it from dist/ and saying so, and answers /healthz', async () => {
    // Postgres rather than the embedded default: a new PGlite database takes seconds more.
    database = await createFreshDatabase('build');
    const child = startPlauditProcess({ PORT: '0', DATABASE_URL: database.url, LOG_LEVEL: 'info' });
    started.push(child);
    const listening = await logLine(child, 'Plaudit is listening');
    expect((await fetch(`${listening.url}/healthz`)).status).toBe(200);
    const lines = messages(child);
    // Progress as it starts: each step, and each migration as it is applied, in order.
    const names = await migrationNames();
    expect(
      lines.map((line) => line.msg).filter((msg) => msg !== 'allowance resets scheduled'),
    ).toEqual([
      'starting',
      'opening the database',
      ...names.map(() => 'migrating'),
      'database ready',
      'Plaudit is listening',
    ]);
    expect(lines.filter((line) => line.msg === 'migrating').map((line) => line.migration)).toEqual(
      names,
    );
    expect(lines.find((line) => line.msg === 'database ready')?.migrationsApplied).toEqual(names);
  });

  it('migrates Postgres with dist/migrate-main.js, a line per migration, then nothing left to apply', async () => {
    database = await createFreshDatabase('build');
    const names = await migrationNames();
    const first = startPlauditProcess({ DATABASE_URL: database.url }, 'migrate-main');
    started.push(first);
    expect((await first.exited).code, first.output()).toBe(0);
    // stderr's lines and stdout's, each in order (the two pipes may interleave).
    const lines = first.output().trim().split('\n');
    const progress = lines.filter((line) => line.startsWith('migrating: '));
    expect(progress).toEqual(names.map((name) => `migrating: ${name}`));
    expect(lines.filter((line) => !progress.includes(line))).toEqual([
      `applied: ${names.join(', ')}`,
    ]);
    const again = startPlauditProcess({ DATABASE_URL: database.url }, 'migrate-main');
    started.push(again);
    expect((await again.exited).code).toBe(0);
    expect(again.output()).toBe('already up to date\n');
  });
});
