import type { BullJobs } from './bullmq-jobs.ts';
import type { JobRunObserver } from './job-metrics.ts';

/** The queues Plaudit runs jobs on. */
export const QUEUE_NAMES = ['allowance', 'ledger', 'notifications', 'redemptions'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

/** A job as its handler sees it, whichever adapter runs it. */
export interface Job<T = unknown> {
  readonly id: string;
  readonly name: string;
  readonly data: T;
  /** Attempts made before this one. */
  readonly attemptsMade: number;
  /** Reports how far the job has come (shown by the queue dashboard). */
  updateProgress(progress: Record<string, number>): Promise<void>;
  /**
   * Takes this job's turn on `key` (a Slack channel, a person), which gives one turn per
   * `everyMs` among every job of every process on the queue. Resolves when the turn is
   * now; when it is later, throws {@link JobDeferred}: the adapter puts the job back until
   * its turn (kept for it) without counting an attempt, and runs it again from the start.
   */
  pace(key: string, everyMs: number): Promise<void>;
}

export type JobHandler<T = unknown> = (job: Job<T>) => Promise<void>;

/**
 * A failure that retrying cannot fix (a user gone, a bot removed): the job fails at once
 * instead of being tried again. Anything else thrown is retried with backoff.
 */
export class PermanentJobFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentJobFailure';
  }
}

/**
 * Thrown by {@link Job.pace} when the job's turn is later. Handlers let it pass; the
 * adapters catch it.
 */
export class JobDeferred extends Error {
  constructor(
    /** How long until the job's turn. */
    readonly waitMs: number,
  ) {
    super(`deferred ${waitMs} ms for its turn`);
    this.name = 'JobDeferred';
  }
}

export interface JobOptions {
  /**
   * A job with the id of one still known to the queue (queued, running, or kept after it
   * finished) is not added again. No ':' and not an integer (BullMQ's rules).
   */
  readonly jobId?: string;
  /** @defaultValue 5 */
  readonly attempts?: number;
  /** First retry delay; each next one doubles. @defaultValue 1000 */
  readonly backoffMs?: number;
  /** Runs the job no sooner than this long after it is added. @defaultValue 0 */
  readonly delayMs?: number;
}

/** A job added on a cron pattern, in a time zone. */
export interface JobSchedule {
  readonly id: string;
  /** Five-field cron pattern, e.g. `1 0 1 * *`. */
  readonly pattern: string;
  /** IANA zone the pattern is read in. */
  readonly timezone: string;
  readonly job: { readonly name: string; readonly data: unknown };
}

/** One job of {@link Jobs.addBulk}. */
export interface JobToAdd {
  readonly name: string;
  readonly data: unknown;
  readonly options?: JobOptions;
}

/**
 * The job queue port. BullMQ on Redis in production; an inline runner in local mode.
 * Handlers know nothing of which one runs them.
 */
export interface Jobs {
  /**
   * Which runs them: what reads BullMQ's queues directly (the queue dashboard, the metrics'
   * counts) asks this rather than the class, so that BullMQ is loaded only where it runs.
   */
  readonly backend: 'bullmq' | 'inline';
  add(queue: QueueName, name: string, data: unknown, options?: JobOptions): Promise<void>;
  /**
   * Adds these jobs as {@link Jobs.add} adds each (a job whose id the queue knows is not
   * added again), in one round trip to the queue's store: resolves once it has them all,
   * rejects when it may have none or only some (adding them again adds only the missing).
   */
  addBulk(queue: QueueName, jobs: readonly JobToAdd[]): Promise<void>;
  /**
   * Creates a schedule, or changes it when its pattern or zone differ (same id: one
   * schedule). An unchanged schedule is left alone, with its next job where it is.
   */
  schedule(queue: QueueName, schedule: JobSchedule): Promise<void>;
  unschedule(queue: QueueName, id: string): Promise<void>;
  /** Starts taking a queue's jobs with these handlers, by job name. */
  work(
    queue: QueueName,
    handlers: Readonly<Record<string, JobHandler>>,
    options?: { readonly concurrency?: number },
  ): void;
  /**
   * Tells `observer` of every run of a job this process takes (its queue, name, outcome
   * and duration), for the metrics.
   */
  observe(observer: JobRunObserver): void;
  /**
   * Calls `listener` each time the queue's store can be reached again after it was away
   * (never when jobs run inline, which need none), so that work kept for it meanwhile goes
   * at once rather than at its next round.
   */
  whenBack(listener: () => void): void;
  /**
   * Whether the queue's store answers, for the readiness probe: 'ok' when Redis answered
   * within a short deadline, 'not used' when jobs run inline (no Redis). Rejects when
   * Redis is unreachable or too slow; never hangs.
   */
  ping(): Promise<'ok' | 'not used'>;
  /** Stops taking jobs, lets the running ones finish, and closes connections. */
  close(): Promise<void>;
}

/** BullMQ refuses custom job ids with a colon or that are integers; both adapters say so. */
export function checkJobId(id: string): void {
  if (id.includes(':') || /^\d+$/.test(id)) {
    throw new Error(`job id ${JSON.stringify(id)} must not contain ':' nor be an integer`);
  }
}

/** Whether these jobs run on BullMQ (Redis), whose queues can then be read directly. */
export function onBullMQ(jobs: Jobs): jobs is BullJobs {
  return jobs.backend === 'bullmq';
}
