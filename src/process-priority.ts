import { readdirSync } from 'node:fs';
import os from 'node:os';

/** Where a process's CPU priority went: its threads' niceness before and after. */
export interface PriorityLowered {
  readonly from: number;
  readonly to: number;
}

/**
 * Lowers this process's CPU priority to `niceness` (0 to 19; higher yields more), so that
 * on a machine it shares, the processes that answer people (web) are scheduled before it
 * whenever both want a core. Never raises it: a process started nicer stays as it was.
 * On Linux a niceness belongs to each thread, and `setpriority` on the process changes
 * only the calling one, so every thread running now (the main one, V8's and libuv's) is
 * lowered by its id; threads started later inherit the main thread's.
 */
export function lowerPriority(niceness: number): PriorityLowered {
  const from = os.getPriority();
  const to = Math.max(from, niceness);
  if (to === from) return { from, to };
  for (const thread of threadIds()) {
    try {
      if (os.getPriority(thread) < to) os.setPriority(thread, to);
    } catch (error) {
      // A thread that ended since it was listed has nothing left to lower.
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
  return { from, to: os.getPriority() };
}

/** This process's threads (Linux: /proc/self/task); elsewhere the process itself (0). */
function threadIds(): number[] {
  try {
    return readdirSync('/proc/self/task').map(Number);
  } catch {
    return [0];
  }
}
