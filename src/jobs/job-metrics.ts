import { JobDeferred, PermanentJobFailure, type QueueName } from './job-queue.ts';

/**
 * How one run of a job ended: `completed`; `retrying` (it failed and will be tried
 * again); `failed` (it failed for good: a permanent failure, or its last attempt);
 * `deferred` (its turn was later, so it waits without spending an attempt).
 */
export type JobOutcome = 'completed' | 'retrying' | 'failed' | 'deferred';

/** One run of a job's handler, as the adapter that ran it saw it. */
export interface JobRun {
  readonly queue: QueueName;
  /** The job's name, or `unknown` for a name no handler takes. */
  readonly name: string;
  readonly outcome: JobOutcome;
  /** How long the handler ran. */
  readonly seconds: number;
}

/** Told of every run of a job in this process (`Jobs.observe`); must not throw. */
export type JobRunObserver = (run: JobRun) => void;

/** The label of a job no handler takes: names read from Redis never become label values. */
export const UNKNOWN_JOB = 'unknown';

/**
 * Runs one attempt of a job, times it, and tells the observers how it ended; the
 * attempt's result or error passes through unchanged. Both job adapters run their
 * handlers through this, so BullMQ and the inline runner report alike.
 */
export async function observeRun(
  observers: ReadonlySet<JobRunObserver>,
  job: { readonly queue: QueueName; readonly name: string; readonly lastAttempt: boolean },
  run: () => Promise<void>,
): Promise<void> {
  const started = performance.now();
  const report = (outcome: JobOutcome) => {
    const seconds = (performance.now() - started) / 1000;
    for (const observe of observers)
      observe({ queue: job.queue, name: job.name, outcome, seconds });
  };
  try {
    await run();
  } catch (error) {
    report(outcomeOf(error, job.lastAttempt));
    throw error;
  }
  report('completed');
}

function outcomeOf(error: unknown, lastAttempt: boolean): JobOutcome {
  if (error instanceof JobDeferred) return 'deferred';
  if (error instanceof PermanentJobFailure || lastAttempt) return 'failed';
  return 'retrying';
}
