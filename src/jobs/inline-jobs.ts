import { CronExpressionParser } from 'cron-parser';
import type { Logger } from 'pino';
import { WorkSlots } from '../core/work-slots.ts';
import { type JobRunObserver, observeRun, UNKNOWN_JOB } from './job-metrics.ts';
import {
  checkJobId,
  type Job,
  JobDeferred,
  type JobHandler,
  type JobOptions,
  type JobSchedule,
  type Jobs,
  type JobToAdd,
  PermanentJobFailure,
  type QueueName,
} from './job-queue.ts';
import { MemoryTurns } from './turns.ts';

/** setTimeout's longest delay; a schedule further off is re-armed on the way. */
const LONGEST_TIMER_MS = 2_147_483_647;

interface Pending {
  readonly id: string;
  readonly name: string;
  readonly data: unknown;
  readonly options: JobOptions;
}

/**
 * The embedded job runner of local mode: jobs run in this process, with the same
 * retries, backoff, job-id deduplication and cron schedules (in a time zone) that one
 * process can give. Nothing survives a restart, which local mode accepts.
 */
export class InlineJobs implements Jobs {
  readonly backend = 'inline';
  readonly #handlers = new Map<QueueName, Readonly<Record<string, JobHandler>>>();
  readonly #waiting = new Map<QueueName, Pending[]>();
  readonly #active = new Set<string>();
  readonly #running = new Set<Promise<void>>();
  readonly #schedules = new Map<string, NodeJS.Timeout>();
  readonly #sleepers = new Set<() => void>();
  readonly #delayed = new Set<NodeJS.Timeout>();
  /** Per queue, how many of its jobs run at once (a job waiting to retry takes no slot). */
  readonly #slots = new Map<QueueName, WorkSlots>();
  readonly #turns = new MemoryTurns();
  readonly #observers = new Set<JobRunObserver>();
  #nextId = 1;
  #closed = false;

  constructor(
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async add(queue: QueueName, name: string, data: unknown, options: JobOptions = {}) {
    if (this.#closed) return;
    if (options.jobId !== undefined) checkJobId(options.jobId);
    const id = options.jobId ?? `inline-${this.#nextId++}`;
    if (this.#active.has(`${queue}:${id}`)) return;
    this.#active.add(`${queue}:${id}`);
    const job = { id, name, data, options };
    if (options.delayMs && options.delayMs > 0) {
      // Not running until then: settled() does not wait for it, and close() drops it.
      const timer = setTimeout(
        () => {
          this.#delayed.delete(timer);
          this.#enqueue(queue, job);
        },
        Math.min(options.delayMs, LONGEST_TIMER_MS),
      );
      timer.unref();
      this.#delayed.add(timer);
      return;
    }
    this.#enqueue(queue, job);
  }

  async addBulk(queue: QueueName, jobs: readonly JobToAdd[]) {
    for (const job of jobs) await this.add(queue, job.name, job.data, job.options);
  }

  #enqueue(queue: QueueName, job: Pending): void {
    if (this.#handlers.has(queue)) this.#start(queue, job);
    else this.#waiting.set(queue, [...(this.#waiting.get(queue) ?? []), job]);
  }

  async schedule(queue: QueueName, schedule: JobSchedule) {
    await this.unschedule(queue, schedule.id);
    this.#arm(queue, schedule);
  }

  async unschedule(queue: QueueName, id: string) {
    const key = `${queue}:${id}`;
    clearTimeout(this.#schedules.get(key));
    this.#schedules.delete(key);
  }

  work(
    queue: QueueName,
    handlers: Readonly<Record<string, JobHandler>>,
    options: { readonly concurrency?: number } = {},
  ) {
    this.#handlers.set(queue, handlers);
    this.#slots.set(queue, new WorkSlots(options.concurrency ?? 4));
    for (const job of this.#waiting.get(queue) ?? []) this.#start(queue, job);
    this.#waiting.delete(queue);
  }

  observe(observer: JobRunObserver): void {
    this.#observers.add(observer);
  }

  /** Jobs run in this process: they are never away. */
  whenBack(_listener: () => void): void {}

  /** Jobs run in this process: there is no Redis to ask. */
  async ping(): Promise<'not used'> {
    return 'not used';
  }

  /** Resolves when every job started so far (and any it added) has finished. */
  async settled(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }

  async close() {
    this.#closed = true;
    for (const timer of [...this.#schedules.values(), ...this.#delayed]) clearTimeout(timer);
    this.#schedules.clear();
    this.#delayed.clear();
    // Jobs waiting to be retried stop waiting (and are not tried again).
    for (const wake of this.#sleepers) wake();
    await this.settled();
  }

  /** A backoff that close() cuts short. */
  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.#sleepers.add(wake);
    });
  }

  #arm(queue: QueueName, schedule: JobSchedule) {
    const key = `${queue}:${schedule.id}`;
    const next = CronExpressionParser.parse(schedule.pattern, {
      currentDate: this.now(),
      tz: schedule.timezone,
    })
      .next()
      .toDate();
    const wait = next.getTime() - this.now().getTime();
    const timer = setTimeout(
      () => {
        if (wait <= LONGEST_TIMER_MS) {
          void this.add(queue, schedule.job.name, schedule.job.data, {
            jobId: `${schedule.id}-${next.getTime()}`,
          });
        }
        this.#arm(queue, schedule);
      },
      Math.max(0, Math.min(wait, LONGEST_TIMER_MS)),
    );
    timer.unref();
    this.#schedules.set(key, timer);
  }

  #start(queue: QueueName, pending: Pending) {
    this.#track(
      this.#run(queue, pending).finally(() => this.#active.delete(`${queue}:${pending.id}`)),
    );
  }

  /** Keeps work in view of settled() until it ends. */
  #track(work: Promise<void>): void {
    const running = work.finally(() => this.#running.delete(running));
    this.#running.add(running);
  }

  async #run(queue: QueueName, pending: Pending): Promise<void> {
    const handler = this.#handlers.get(queue)?.[pending.name];
    const attempts = pending.options.attempts ?? 5;
    for (let attempt = 0; attempt < attempts; attempt++) {
      const job: Job = {
        id: pending.id,
        name: pending.name,
        data: pending.data,
        attemptsMade: attempt,
        updateProgress: async () => {},
        pace: async (key, everyMs) => {
          const wait = await this.#turns.take(key, `${queue}/${pending.id}`, everyMs);
          if (wait > 0) throw new JobDeferred(wait);
        },
      };
      const observed = {
        queue,
        name: handler ? pending.name : UNKNOWN_JOB,
        lastAttempt: attempt + 1 >= attempts,
      };
      const run = handler
        ? () => handler(job)
        : async () => {
            throw new PermanentJobFailure(`no handler for ${queue} job ${pending.name}`);
          };
      try {
        // Timed inside its slot: the wait for one is not the job's run.
        await this.#slots.get(queue)?.run(() => observeRun(this.#observers, observed, run));
        return;
      } catch (error) {
        if (error instanceof JobDeferred) {
          // Its turn is later: wait for it, and try again without counting an attempt.
          await this.#sleep(error.waitMs);
          if (this.#closed) return;
          attempt -= 1;
          continue;
        }
        const last = attempt + 1 >= attempts || error instanceof PermanentJobFailure;
        this.logger.warn(
          { err: error, queue, job: pending.name, id: pending.id, attempt: attempt + 1 },
          last ? 'a job failed' : 'a job failed; retrying',
        );
        if (last || this.#closed) return;
        const delay = (pending.options.backoffMs ?? 1000) * 2 ** attempt;
        await this.#sleep(delay);
        if (this.#closed) return;
      }
    }
  }
}
