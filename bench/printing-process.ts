import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * Starts a process (a benchmark's Plaudit, a fake, a baseline app) that prints a JSON line
 * with its `url` once it listens, and resolves with both and the rest of that line; its
 * later lines go to `onLine` if given, else are read and dropped, so a full pipe never
 * stops it. `args` is node's command line: its options, then the script.
 */
export async function startProcess(
  args: readonly string[],
  env: Record<string, string>,
  onLine: (line: string) => void = () => {},
): Promise<{ url: string; child: ChildProcess; first: Record<string, unknown> }> {
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout as NonNullable<typeof child.stdout> });
  for await (const line of lines) {
    const first = line.startsWith('{') ? (JSON.parse(line) as Record<string, unknown>) : {};
    if (typeof first.url === 'string') {
      lines.on('line', onLine);
      return { url: first.url, child, first };
    }
  }
  throw new Error(`${args.join(' ')} exited before listening`);
}

/** Starts a TypeScript script through tsx (a fake or a baseline app); see `startProcess`. */
export async function startPrintingProcess(
  script: string,
  env: Record<string, string>,
  onLine?: (line: string) => void,
): Promise<{ url: string; child: ChildProcess; first: Record<string, unknown> }> {
  return startProcess(['--import', 'tsx', script], env, onLine);
}

/**
 * Sends SIGTERM and waits for the process to exit (and to write what it writes on exit).
 * After `graceMs`, if given, a second SIGTERM: Plaudit's signal to stop at once (it exits
 * through process.exit, which still writes a --cpu-prof profile). Says how long it took.
 */
export async function stopProcess(
  child: ChildProcess,
  graceMs?: number,
): Promise<{ ms: number; forced: boolean }> {
  const started = performance.now();
  if (child.exitCode !== null || child.signalCode !== null) return { ms: 0, forced: false };
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  let forced = false;
  const timer =
    graceMs === undefined
      ? undefined
      : setTimeout(() => {
          forced = true;
          child.kill('SIGTERM');
        }, graceMs);
  await exited;
  clearTimeout(timer);
  return { ms: performance.now() - started, forced };
}
