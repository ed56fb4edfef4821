import { readdir, readFile } from 'node:fs/promises';
import { transform } from 'esbuild';
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

/** Each module of dist/, parsed: its code without comments, or why it does not parse. */
async function parseBuilt(): Promise<Array<{ file: string; code: string; refusal?: string }>> {
  const files = (await readdir(new URL('dist/', ROOT), { recursive: true })).filter((file) =>
    file.endsWith('.js'),
  );
  return Promise.all(
    files.map(async (file) => {
      const source = await readFile(new URL(`dist/${file}`, ROOT), 'utf8');
      try {
        const parsed = await transform(source, {
          format: 'esm',
          loader: 'js',
          minifyWhitespace: true,
          legalComments: 'none',
          logLevel: 'silent',
        });
        return { file, code: parsed.code };
      } catch (error) {
        const text = (error as { errors?: Array<{ text: string }> }).errors?.[0]?.text;
        return { file, code: source, refusal: `${file}: ${text ?? String(error)}` };
      }
    }),
  );
}

let parsing: ReturnType<typeof parseBuilt> | undefined;
/** {@link parseBuilt}, once for the file's tests. */
const builtModules = () => {
  parsing ??= parseBuilt();
  return parsing;
};

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
    const built = await builtModules();
    expect(built.map((module) => module.file)).toContain('main.js');
    for (const { file, code } of built) {
      // The code as parsed, without its comments: bundled dependencies' JSDoc names .ts files.
      expect({ file, imports: code.match(/(from|import\()\s*["'][^"']*(tsx|\.ts)["']/g) }).toEqual({
        file,
        imports: null,
      });
    }
  });

  it('is made of modules that each parse, dependencies and the banner that gives them require included', async () => {
    // Chunks are loaded as they are first needed, so one that does not parse fails only
    // then, in production: a bundled dependency declaring a name the bundle's banner also
    // declares (__dirname, say) is a syntax error in its chunk.
    expect((await builtModules()).flatMap((module) => module.refusal ?? [])).toEqual([]);
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
