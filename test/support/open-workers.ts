import { Worker } from 'bullmq';
import { afterAll } from 'vitest';

// Files share their vitest worker (isolate: false), so a BullMQ worker a file leaves
// running keeps renewing its jobs' locks on timers into the next file: under that file's
// fake timers the renewal loop never ends ("Aborting after running 10000 timers"). Each
// file must close what it started; this fails the file that did not, naming it, instead
// of whichever file comes next.
const started = new Set<Worker>();
const marked = Symbol.for('plaudit.test.open-workers');
const prototype = Worker.prototype as Worker & { [marked]?: true };
if (!prototype[marked]) {
  prototype[marked] = true;
  const run = prototype.run;
  prototype.run = function (this: Worker, ...args: Parameters<Worker['run']>) {
    started.add(this);
    return run.apply(this, args);
  };
}

/** BullMQ's own flag, set once close() has stopped the lock renewals and disconnected. */
function closed(worker: Worker): boolean {
  return (worker as unknown as { closed: boolean }).closed;
}

/** The BullMQ workers started in this process that are not closed (closing counts as open). */
export function runningWorkers(): string[] {
  return [...started].filter((worker) => !closed(worker)).map((worker) => worker.name);
}

afterAll(() => {
  const open = runningWorkers();
  for (const worker of started) if (closed(worker)) started.delete(worker);
  if (open.length > 0) {
    started.clear();
    throw new Error(
      `this file left ${open.length} BullMQ worker(s) running or stuck closing (queues: ${open.join(', ')}): close them, or what started them, in its afterAll`,
    );
  }
});
