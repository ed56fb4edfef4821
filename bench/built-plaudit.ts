/**
 * Plaudit as the chat benchmarks run it: the compiled build, started as production starts
 * it (`node dist/main.js`, no tsx loader), with V8's sampling profiler on (`--cpu-prof`)
 * writing into a temporary folder when the process exits.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type CpuProfile, readCpuProfile } from './cpu-profile-summary.ts';
import { startProcess, stopProcess } from './printing-process.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
/**
 * How long a stop waits for Plaudit to finish what it has in flight before telling it
 * again (which stops it at once): after a run at a rate it cannot keep up with, its
 * leftover work (the recipients' messages) can take minutes.
 */
const GRACE_MS = 15_000;

export interface BuiltPlaudit {
  readonly url: string;
  /**
   * Stops the process (SIGTERM: it finishes what is in flight and exits, writing its
   * profile; again after a grace period) and reads the profile, which it then removes;
   * undefined when BENCH_CPU_PROFILE=0 ran it without the profiler (to see its cost).
   */
  stopAndReadProfile(): Promise<CpuProfile | undefined>;
  /** Stops the process, if it still runs, and removes its profile (a run that failed). */
  stop(): Promise<void>;
}

/** `npm run build`: compiles dist/ unless it is up to date with the sources. */
async function build(): Promise<void> {
  await promisify(execFile)(process.execPath, [path.join(ROOT, 'scripts/build.mjs')]);
}

/**
 * Builds dist/, then starts `node --cpu-prof dist/main.js` with the environment given;
 * `preload` is a plain JavaScript module node loads first (`--import`), for what only a
 * benchmark changes (where the Teams bot gets its tokens).
 */
export async function startBuiltPlaudit(
  env: Record<string, string>,
  preload?: string,
): Promise<BuiltPlaudit> {
  await build();
  const profiles = await mkdtemp(path.join(tmpdir(), 'plaudit-bench-profile-'));
  const profiling = process.env.BENCH_CPU_PROFILE !== '0';
  const { url, child } = await startProcess(
    [
      ...(profiling ? ['--cpu-prof', '--cpu-prof-dir', profiles] : []),
      ...(preload ? ['--import', path.join(ROOT, preload)] : []),
      path.join(ROOT, 'dist/main.js'),
    ],
    env,
  );
  const stop = async () => {
    await stopProcess(child);
    await rm(profiles, { recursive: true, force: true });
  };
  return {
    url,
    stop,
    async stopAndReadProfile() {
      const stopped = await stopProcess(child, GRACE_MS);
      console.log(
        `Plaudit stopped ${(stopped.ms / 1000).toFixed(1)} s after SIGTERM` +
          (stopped.forced ? ` (told twice: it had not stopped within ${GRACE_MS / 1000} s)` : ''),
      );
      try {
        if (!profiling) return undefined;
        const [file] = (await readdir(profiles)).filter((name) => name.endsWith('.cpuprofile'));
        if (!file) throw new Error(`Plaudit wrote no CPU profile into ${profiles}`);
        return await readCpuProfile(path.join(profiles, file));
      } finally {
        await stop();
      }
    },
  };
}
