import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * Starts a process (a benchmark's Plaudit, a fake, a baseline app) that prints a JSON line
 * with its `url` once it listens, and resolves with both; its later lines are read and
 * dropped, so a full pipe never stops it.
 */
export async function startPrintingProcess(
  script: string,
  env: Record<string, string>,
): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout as NonNullable<typeof child.stdout> });
  for await (const line of lines) {
    const url = line.startsWith('{') ? (JSON.parse(line) as { url?: string }).url : undefined;
    if (url) {
      lines.on('line', () => {});
      return { url, child };
    }
  }
  throw new Error(`${script} exited before listening`);
}
