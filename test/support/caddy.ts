import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { requiredBinary } from './required-binary.ts';

const CADDY_FOLDER = fileURLToPath(new URL('../../deploy/caddy/', import.meta.url));

/** Caddy running deploy/caddy as the compose proxy does, on a loopback port, over HTTP. */
export interface RunningCaddy {
  readonly url: string;
  stop(): Promise<void>;
}

/** A TCP port free on loopback now (Caddy's address is fixed before it starts). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/**
 * Runs deploy/caddy/start.sh with the real Caddy binary, as the compose `proxy` service
 * does, with PUBLIC_URL an http:// address on loopback (no certificate) and the upstream in
 * place of web:3000. Resolves once Caddy logs that it serves its configuration.
 */
export async function startCaddy(options: {
  upstream: string;
  publicUrl?: (port: number) => string;
}): Promise<RunningCaddy> {
  const caddy = requiredBinary('caddy', 'caddy');
  const port = await freePort();
  const home = await mkdtemp(path.join(tmpdir(), 'plaudit-caddy-'));
  const child = spawn('sh', [path.join(CADDY_FOLDER, 'start.sh')], {
    env: {
      PATH: `${path.dirname(caddy)}${path.delimiter}${process.env.PATH ?? ''}`,
      HOME: home,
      XDG_DATA_HOME: home,
      XDG_CONFIG_HOME: home,
      PUBLIC_URL: options.publicUrl?.(port) ?? `http://127.0.0.1:${port}/`,
      CADDYFILE: path.join(CADDY_FOLDER, 'Caddyfile'),
      PLAUDIT_UPSTREAM: options.upstream,
      // Several tests may run Caddy at once: no admin endpoint on localhost:2019.
      CADDY_ADMIN: 'off',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    await serving(child);
  } catch (error) {
    await rm(home, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(home, { recursive: true, force: true });
    },
  };
}

/** Waits for Caddy's "serving initial configuration" log line; fails if it exits first. */
function serving(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let log = '';
    const read = (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes('"msg":"serving initial configuration"')) resolve();
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    child.once('exit', (code) =>
      reject(new Error(`Caddy exited with ${code} before serving:\n${log}`)),
    );
    child.once('error', reject);
  });
}
