import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** Starts a worker process and resolves once it says it is taking jobs. */
export async function startWorkerProcess(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      PLAUDIT_ROLE: 'worker',
      LOG_LEVEL: 'info',
      // Any free port for its health and metrics: several run at once on this machine.
      WORKER_PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout as NonNullable<typeof child.stdout> });
  for await (const line of lines) {
    if (line.includes('Plaudit worker is taking jobs')) {
      // Keep reading, or the child blocks once the pipe is full.
      lines.on('line', () => {});
      return child;
    }
  }
  throw new Error('the worker exited before taking jobs');
}
