import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { type RunningPlaudit, startPlaudit } from '../../src/app.ts';
import { parseConfig } from '../../src/config.ts';
import { builtEntry } from '../support/plaudit-build.ts';

describe('starting Plaudit', () => {
  const running: RunningPlaudit[] = [];
  const folders: string[] = [];
  afterAll(async () => {
    for (const plaudit of running) await plaudit.close();
    for (const folder of folders) await rm(folder, { recursive: true, force: true });
  });

  it('on the embedded defaults: PGlite in a data folder, health and readiness answer', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'plaudit-start-'));
    folders.push(folder);
    const messages: string[] = [];
    const plaudit = await startPlaudit(
      parseConfig({ PORT: '0', PLAUDIT_DATA_DIR: path.join(folder, 'data'), LOG_LEVEL: 'info' }),
      {
        logDestination: { write: (line) => void messages.push(JSON.parse(line).msg) },
        print: () => {},
      },
    );
    running.push(plaudit);
    // A new folder takes PGlite many seconds to make: the log says that is what it waits on.
    expect(messages.slice(0, 2)).toEqual(['creating the embedded database', 'migrating']);
    expect(await (await fetch(`${plaudit.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${plaudit.url}/readyz`);
    expect(ready.status).toBe(200);
    const missing = await fetch(`${plaudit.url}/nope`);
    expect(missing.status).toBe(404);
  });

  it('on Postgres from DATABASE_URL', async () => {
    const plaudit = await startPlaudit(
      parseConfig({ PORT: '0', DATABASE_URL: inject('databaseUrl'), LOG_LEVEL: 'silent' }),
    );
    running.push(plaudit);
    expect((await fetch(`${plaudit.url}/readyz`)).status).toBe(200);
  });

  it('stops with one sentence naming the variable when the configuration is bad', async () => {
    const child = spawn(process.execPath, builtEntry('main'), {
      env: { ...process.env, PORT: 'eighty', LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(78);
    expect(stderr.trim()).toBe('Plaudit cannot start: PORT must be a port number from 0 to 65535.');
  });
});
