import { type Job as BullJob, DelayedError, Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { deadline, settlesWithin } from '../core/deadline.ts';
import { type JobRunObserver, observeRun, UNKNOWN_JOB } from './job-metrics.ts';
import {
  checkJobId,
  JobDeferred,
  type JobHandler,
  type JobOptions,
  type JobSchedule,
  type Jobs,
  type JobToAdd,
  PermanentJobFailure,
  type QueueName,
} from './job-queue.ts';
import { RedisTurns } from './redis-turns.ts';
import type { Turns } from './turns.ts';

export interface BullJobsOptions {
  readonly url: string;
  /** Key prefix of every queue; tests use a fresh one each. @defaultValue plaudit */
  readonly prefix?: string;
  /** How long a silent worker keeps its jobs before another takes them. @defaultValue 30000 */
  readonly lockDurationMs?: number;
  /** How long closing waits for running jobs before it stops them. @defaultValue 20000 */
  readonly closeGraceMs?: number;
  readonly logger: Logger;
}

/**
 * The job queue port on BullMQ. Connections follow BullMQ's production guide: producers
 * fail fast while Redis is away (a web request must not hang on it), workers retry for
 * ever (`maxRetriesPerRequest: null`) and resume when Redis is back. Finished jobs are
 * kept an hour, failed ones a week, for the dashboard.
 */
export class BullJobs implements Jobs {
  readonly backend = 'bullmq';
  readonly #producer: Redis;
  readonly #queues = new Map<QueueName, Queue>();
  readonly #workers: Worker[] = [];
  readonly #workerConnections: Redis[] = [];
  readonly #observers = new Set<JobRunObserver>();
  readonly #prefix: string;
  /** The producer's connection was lost, or its first attempt failed, and is not back. */
  #away = false;
  readonly #whenBack = new Set<() => void>();

  constructor(private readonly options: BullJobsOptions) {
    this.#prefix = options.prefix ?? 'plaudit';
    this.#producer = new Redis(options.url, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      lazyConnect: false,
      retryStrategy: reconnectDelay,
    });
    this.#producer.on('error', (error) =>
      options.logger.warn({ err: error }, 'Redis (queue producer) connection error'),
    );
    this.#producer.on('ready', () => {
      if (!this.#away) return;
      this.#away = false;
      for (const listener of this.#whenBack) listener();
    });
    this.#producer.on('close', () => {
      this.#away = true;
    });
  }

  queue(name: QueueName): Queue {
    let queue = this.#queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.#producer, prefix: this.#prefix });
      queue.on('error', (error) =>
        this.options.logger.warn({ err: error, queue: name }, 'queue error'),
      );
      this.#queues.set(name, queue);
    }
    return queue;
  }

  async add(queue: QueueName, name: string, data: unknown, options: JobOptions = {}) {
    if (options.jobId !== undefined) checkJobId(options.jobId);
    await this.#reachable();
    await this.queue(queue).add(name, data, bullOptions(options));
  }

  async addBulk(queue: QueueName, jobs: readonly JobToAdd[]) {
    if (jobs.length === 0) return;
    for (const job of jobs) if (job.options?.jobId !== undefined) checkJobId(job.options.jobId);
    await this.#reachable();
    // One MULTI of BullMQ's own add script per job: one round trip for them all.
    await this.queue(queue).addBulk(
      jobs.map((job) => ({ name: job.name, data: job.data, opts: bullOptions(job.options) })),
    );
  }

  async schedule(queue: QueueName, schedule: JobSchedule) {
    // Re-upserting an unchanged scheduler would replace its due (or overdue) job with the
    // next one: a reset waiting for a worker would be lost. Only a change is written.
    const known = await this.queue(queue).getJobScheduler(schedule.id);
    if (known?.pattern === schedule.pattern && known.tz === schedule.timezone) return;
    await this.queue(queue).upsertJobScheduler(
      schedule.id,
      { pattern: schedule.pattern, tz: schedule.timezone },
      {
        name: schedule.job.name,
        data: schedule.job.data,
        opts: {
          attempts: 5,
          backoff: { type: 'exponential', delay: 5000 },
          removeOnComplete: { age: 7 * 24 * 3600 },
          removeOnFail: { age: 30 * 24 * 3600 },
        },
      },
    );
  }

  async unschedule(queue: QueueName, id: string) {
    await this.queue(queue).removeJobScheduler(id);
  }

  work(
    queue: QueueName,
    handlers: Readonly<Record<string, JobHandler>>,
    options: { readonly concurrency?: number } = {},
  ) {
    const connection = new Redis(this.options.url, {
      maxRetriesPerRequest: null,
      retryStrategy: reconnectDelay,
    });
    connection.on('error', (error) =>
      this.options.logger.warn({ err: error }, 'Redis (worker) connection error'),
    );
    this.#workerConnections.push(connection);
    const turns = new RedisTurns(connection, this.#prefix);
    const worker = new Worker(
      queue,
      (job: BullJob, token?: string) => this.#run(queue, handlers, turns, job, token),
      {
        connection,
        prefix: this.#prefix,
        concurrency: options.concurrency ?? 4,
        lockDuration: this.options.lockDurationMs ?? 30_000,
        // A job whose worker vanished is looked for this often, and taken over.
        stalledInterval: Math.max(1000, Math.floor((this.options.lockDurationMs ?? 30_000) / 2)),
        // Every job is safe to run again, so a job whose workers died is taken over a few
        // times before it is given up (BullMQ's default gives up after one).
        maxStalledCount: 5,
      },
    );
    worker.on('failed', (job, error) =>
      this.options.logger.warn(
        { err: error, queue, job: job?.name, id: job?.id, attempts: job?.attemptsMade },
        error instanceof UnrecoverableError
          ? 'a job failed for good (not retried)'
          : 'a job failed',
      ),
    );
    worker.on('error', (error) => this.options.logger.warn({ err: error, queue }, 'worker error'));
    this.#workers.push(worker);
  }

  observe(observer: JobRunObserver): void {
    this.#observers.add(observer);
  }

  whenBack(listener: () => void): void {
    this.#whenBack.add(listener);
  }

  /**
   * PING on the producer connection: it fails at once while Redis is away (no offline
   * queue), and the deadline bounds a Redis that accepts but does not answer.
   */
  async ping(): Promise<'ok'> {
    await deadline(this.#producer.ping(), PING_TIMEOUT_MS, 'Redis PING');
    return 'ok';
  }

  /**
   * Resolves once the producer is connected; fails at once while Redis is away. BullMQ's
   * queue waits for a connection that has never been ready, for ever: with Redis away since
   * the start, every job added hung (the outbox relay's round until its 5 s deadline, and
   * the close of a web process behind it). A first connection still being made is waited
   * for, until it is ready or fails.
   */
  #reachable(): Promise<void> {
    const producer = this.#producer;
    if (producer.status === 'ready') return Promise.resolve();
    const away = () => new Error('Redis is away: the job queue cannot take jobs now');
    if (this.#away) return Promise.reject(away());
    return new Promise<void>((resolve, reject) => {
      const settle = (error?: Error) => {
        producer.off('ready', ready);
        producer.off('close', lost);
        if (error) reject(error);
        else resolve();
      };
      const ready = () => settle();
      const lost = () => settle(away());
      producer.once('ready', ready);
      producer.once('close', lost);
    });
  }

  async close() {
    // Workers first: they stop taking jobs and finish the running ones, for at most the
    // grace period, then they are closed at once (a job cut short is taken over by another
    // worker later, and changes nothing twice). With Redis away no job can be marked done,
    // so nothing is waited for. Not a graceful close(): BullMQ keeps the first close it is
    // given, so a forced one after it would only wait on it too, renewing a stuck job's
    // lock for as long as we live.
    const grace = this.options.closeGraceMs ?? 20_000;
    const away = redisAway(this.#producer);
    await Promise.all(
      this.#workers.map(async (worker) => {
        await Promise.race([
          settlesWithin(jobsFinished(worker), grace, 'finishing a worker’s jobs'),
          away.gone,
        ]);
        await settlesWithin(worker.close(true), 1000, 'closing a worker');
      }),
    );
    away.stop();
    await Promise.all(
      [...this.#queues.values()].map((queue) =>
        settlesWithin(queue.close(), 1000, 'closing a queue'),
      ),
    );
    for (const connection of [...this.#workerConnections, this.#producer]) {
      if (connection.status === 'ready') await connection.quit().catch(() => undefined);
      connection.disconnect();
    }
  }

  async #run(
    queue: QueueName,
    handlers: Readonly<Record<string, JobHandler>>,
    turns: Turns,
    job: BullJob,
    token: string | undefined,
  ) {
    const handler = handlers[job.name];
    const id = job.id ?? '';
    // BullMQ's own rule (Job.shouldRetryJob): attempts left, and not unrecoverable.
    const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    const name = handler ? job.name : UNKNOWN_JOB;
    try {
      await observeRun(this.#observers, { queue, name, lastAttempt }, async () => {
        if (!handler) throw new PermanentJobFailure(`no handler for ${queue} job ${job.name}`);
        await handler({
          id,
          name: job.name,
          data: job.data,
          attemptsMade: job.attemptsMade,
          updateProgress: (progress) => job.updateProgress(progress),
          pace: async (key, everyMs) => {
            const wait = await turns.take(key, `${queue}/${id}`, everyMs);
            if (wait > 0) throw new JobDeferred(wait);
          },
        });
      });
    } catch (error) {
      if (error instanceof PermanentJobFailure) throw new UnrecoverableError(error.message);
      if (error instanceof JobDeferred) {
        // Back to the delayed set until its turn; BullMQ counts no attempt for this.
        await job.moveToDelayed(Date.now() + error.waitMs, token);
        throw new DelayedError();
      }
      throw error;
    }
  }
}

/** A job's options as BullMQ takes them. */
function bullOptions(options: JobOptions = {}) {
  return {
    jobId: options.jobId,
    delay: options.delayMs,
    attempts: options.attempts ?? 5,
    backoff: { type: 'exponential', delay: options.backoffMs ?? 1000 },
    removeOnComplete: { age: 3600, count: 10_000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  };
}

/** How long the readiness probe waits for Redis to answer PING. */
const PING_TIMEOUT_MS = 1000;

/**
 * How long to wait before reconnecting to Redis: growing, but never more than 5 s, so
 * that jobs flow again soon after Redis is back (BullMQ's own default grows to 20 s).
 */
function reconnectDelay(attempt: number): number {
  return Math.min(attempt * 250, 5000);
}

/** Resolves `gone` once the connection to Redis is lost (at once if it is not up now). */
function redisAway(connection: Redis): { gone: Promise<void>; stop(): void } {
  let stop = () => {};
  const gone = new Promise<void>((resolve) => {
    if (connection.status !== 'ready') return resolve();
    const lost = () => resolve();
    connection.once('close', lost);
    stop = () => connection.off('close', lost);
  });
  return { gone, stop };
}

/**
 * Stops the worker taking jobs and resolves once its running ones are done and marked so.
 * BullMQ's pause() waits the same way but then reconnects the worker's blocking
 * connection, which a close racing it would leave retrying for ever; the wait it uses is
 * private in BullMQ 6 (pinned in package.json), hence the cast.
 */
async function jobsFinished(worker: Worker): Promise<void> {
  await worker.pause(true);
  const internal = worker as unknown as {
    whenCurrentJobsFinished(reconnect: boolean): Promise<void>;
  };
  await internal.whenCurrentJobsFinished(false);
}
