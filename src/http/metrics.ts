import express, { type RequestHandler, type Router } from 'express';
import type { Logger } from 'pino';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Config } from '../config.ts';
import type { Command } from '../core/command.ts';
import type { CommandAdmission } from '../core/command-admission.ts';
import type { Reply } from '../core/reply.ts';
import type { Database } from '../db/database.ts';
import type { JobRunObserver } from '../jobs/job-metrics.ts';
import { type Jobs, onBullMQ, QUEUE_NAMES } from '../jobs/job-queue.ts';
import { lastVerification, type VerificationRecord } from '../verification/verification-record.ts';
import { requireAdminToken } from './admin-token.ts';
import type { FailedAuthentications } from './failed-authentications.ts';
import { checkReadiness } from './readiness.ts';

export const METRICS_PATH = '/metrics';

const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;
/** Methods reported by name; anything else is `other`, so a client cannot add label values. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** A scrape does not wait longer than this for Redis's queue counts. */
const QUEUE_COUNT_TIMEOUT_MS = 2_000;

/**
 * The Prometheus metrics of one running Plaudit. Each has its own registry (not
 * prom-client's global one), so several apps can run in one process, as tests do.
 */
export class PlauditMetrics {
  readonly registry = new Registry();
  readonly #requests: Counter<'method' | 'route' | 'status_code'>;
  readonly #latency: Histogram<'method' | 'route' | 'status_code'>;
  readonly #commands: Counter<'platform' | 'command' | 'outcome'>;
  readonly #gives: Counter<'platform' | 'outcome'>;
  readonly #refusals: Counter<'platform' | 'command' | 'code'>;
  readonly #redemptions: Counter<'platform' | 'outcome'>;
  readonly #jobDuration: Histogram<'queue' | 'name' | 'outcome'>;
  readonly #jobFailures: Counter<'queue' | 'name' | 'outcome'>;

  /**
   * Given the process's jobs, it reports their queues' depths and the runs it takes; given
   * the database, the last ledger verification.
   */
  constructor(jobs: Jobs | undefined, logger: Logger, db?: Database) {
    collectDefaultMetrics({ register: this.registry, prefix: 'plaudit_' });
    const registers = [this.registry];
    this.#requests = new Counter({
      name: 'plaudit_http_requests_total',
      help: 'HTTP requests answered, by method, route pattern and status code.',
      labelNames: ['method', 'route', 'status_code'],
      registers,
    });
    this.#latency = new Histogram({
      name: 'plaudit_http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by method, route pattern and status code.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.#commands = new Counter({
      name: 'plaudit_commands_total',
      help: 'Kudos commands answered, by platform, command (give, or the subcommand) and outcome.',
      labelNames: ['platform', 'command', 'outcome'],
      registers,
    });
    this.#gives = new Counter({
      name: 'plaudit_gives_total',
      help: 'Gives answered, by platform and outcome (ok, refused, usage).',
      labelNames: ['platform', 'outcome'],
      registers,
    });
    this.#refusals = new Counter({
      name: 'plaudit_refusals_total',
      help: 'Commands refused or answered with usage, by platform, command and refusal code.',
      labelNames: ['platform', 'command', 'code'],
      registers,
    });
    this.#redemptions = new Counter({
      name: 'plaudit_redemptions_total',
      help: 'Redemptions asked for with the redeem command, by platform and outcome.',
      labelNames: ['platform', 'outcome'],
      registers,
    });
    this.#jobDuration = new Histogram({
      name: 'plaudit_job_duration_seconds',
      help: 'Time a job ran in this process, by queue, job name and outcome (completed, retrying, failed, deferred).',
      labelNames: ['queue', 'name', 'outcome'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
      registers,
    });
    this.#jobFailures = new Counter({
      name: 'plaudit_job_failures_total',
      help: 'Job runs that failed in this process, by queue, job name and outcome (retrying: tried again later; failed: for good).',
      labelNames: ['queue', 'name', 'outcome'],
      registers,
    });
    jobs?.observe(this.jobRan);
    if (db) registerLedgerGauges(registers, db, logger);
    if (db && jobs) registerDependencyGauge(registers, db, jobs, logger);
    const bull = jobs && onBullMQ(jobs) ? jobs : undefined;
    new Gauge({
      name: 'plaudit_queue_jobs',
      help: 'Jobs in each queue by state (waiting, active, delayed, failed), read from Redis on scrape.',
      labelNames: ['queue', 'state'],
      registers,
      async collect() {
        this.reset();
        // Inline jobs (local mode) have no queue to read: the gauge stays empty.
        if (!bull) return;
        await Promise.all(
          QUEUE_NAMES.map(async (queue) => {
            try {
              const counts = await withTimeout(
                bull.queue(queue).getJobCounts(...QUEUE_STATES),
                QUEUE_COUNT_TIMEOUT_MS,
              );
              for (const state of QUEUE_STATES) this.set({ queue, state }, counts[state] ?? 0);
            } catch (error) {
              // Redis away: the scrape still answers, without this queue's series.
              logger.debug({ err: error, queue }, 'metrics: queue counts unavailable');
            }
          }),
        );
      },
    });
  }

  /** Reports the chat commands running now and those shed, by reason (`saturated`, `late`). */
  observeAdmission(admission: CommandAdmission): void {
    const registers = [this.registry];
    new Counter({
      name: 'plaudit_commands_shed_total',
      help: 'Chat commands answered "busy" without being run, by reason (saturated: as many running as CHAT_COMMANDS_IN_FLIGHT; late: waited too long to start).',
      labelNames: ['reason'],
      registers,
      collect() {
        this.reset();
        for (const [reason, count] of Object.entries(admission.shed)) this.inc({ reason }, count);
      },
    });
    new Gauge({
      name: 'plaudit_commands_in_flight',
      help: 'Chat commands running now in this process.',
      registers,
      collect() {
        this.set(admission.running);
      },
    });
  }

  /** Counts and times every request, labelled with its route pattern, never its raw URL. */
  readonly middleware: RequestHandler = (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const labels = {
        method: METHODS.has(req.method) ? req.method : 'other',
        route: routePattern(req),
        status_code: String(res.statusCode),
      };
      this.#requests.inc(labels);
      this.#latency.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  };

  /** Records a command's reply; registered on the command router. */
  readonly commandAnswered = (command: Command, reply: Reply, name: string): void => {
    const { platform } = command;
    this.#commands.inc({ platform, command: name, outcome: reply.outcome });
    if (name === 'give') this.#gives.inc({ platform, outcome: reply.outcome });
    if (name === 'redeem') this.#redemptions.inc({ platform, outcome: reply.outcome });
    if (reply.outcome !== 'ok') {
      this.#refusals.inc({ platform, command: name, code: reply.code ?? reply.outcome });
    }
  };

  /** Records a job's run; observes the process's jobs. */
  readonly jobRan: JobRunObserver = ({ queue, name, outcome, seconds }) => {
    this.#jobDuration.observe({ queue, name, outcome }, seconds);
    if (outcome === 'retrying' || outcome === 'failed') {
      this.#jobFailures.inc({ queue, name, outcome });
    }
  };

  /**
   * GET /metrics in Prometheus's text format. With METRICS_TOKEN or PLAUDIT_ADMIN_TOKEN
   * set, the scraper must send one of them (bearer token or HTTP Basic password); with
   * neither, the address is open. Wrong tokens count against the client address's
   * `failures`.
   */
  routes(
    tokens: Pick<Config, 'PLAUDIT_ADMIN_TOKEN' | 'METRICS_TOKEN'>,
    failures: FailedAuthentications,
  ): Router {
    const router = express.Router();
    const serve: RequestHandler = async (_req, res, next) => {
      try {
        const body = await this.registry.metrics();
        res.set('Content-Type', this.registry.contentType).send(body);
      } catch (error) {
        next(error);
      }
    };
    const accepted = [tokens.METRICS_TOKEN, tokens.PLAUDIT_ADMIN_TOKEN].filter(
      (token): token is string => token !== undefined,
    );
    if (accepted.length > 0) {
      router.get(
        METRICS_PATH,
        requireAdminToken(
          accepted,
          tokens.METRICS_TOKEN
            ? 'The metrics need the metrics token or the admin token.'
            : 'The metrics need the admin token.',
          failures,
        ),
        serve,
      );
    } else {
      router.get(METRICS_PATH, serve);
    }
    return router;
  }
}

/**
 * The last scheduled ledger verification, read from the database on scrape: every process
 * reports the same one (use max() across processes, not sum()). Until one has run, or
 * while the database does not answer, both are 0: a verification time of 0 is as old as
 * can be, so an alert on its age fires.
 */
function registerLedgerGauges(registers: Registry[], db: Database, logger: Logger): void {
  let last: ReturnType<typeof lastVerification> | undefined;
  // Both gauges are read in one scrape: one query for the two.
  const read = () => {
    last ??= withTimeout(lastVerification(db), QUEUE_COUNT_TIMEOUT_MS).finally(() => {
      last = undefined;
    });
    return last;
  };
  const gauge = (name: string, help: string, value: (found: VerificationRecord) => number) =>
    new Gauge({
      name,
      help,
      registers,
      async collect() {
        this.reset();
        try {
          const found = await read();
          if (found) this.set(value(found));
        } catch (error) {
          logger.debug({ err: error }, 'metrics: last ledger verification unavailable');
        }
      },
    });
  gauge(
    'plaudit_ledger_violations',
    'Violations of the ledger invariants found by the last scheduled verification (0: none).',
    (found) => found.violations,
  );
  gauge(
    'plaudit_ledger_verified_timestamp_seconds',
    'When the last scheduled ledger verification finished, in Unix seconds.',
    (found) => found.finishedAt.getTime() / 1000,
  );
}

/**
 * What /readyz would say, on each scrape: 1 while the database (or Redis) answers this
 * process, 0 while it does not; no Redis series when jobs run inline. Prometheus sees a
 * process that is up but cannot serve (its /readyz 503), which `up` alone does not show.
 */
function registerDependencyGauge(
  registers: Registry[],
  db: Database,
  jobs: Jobs,
  logger: Logger,
): void {
  new Gauge({
    name: 'plaudit_dependency_up',
    help: 'Whether the database and Redis answer this process now (1) or not (0), as /readyz checks them.',
    labelNames: ['dependency'],
    registers,
    async collect() {
      const readiness = await checkReadiness(db, () => jobs.ping(), logger, 'debug');
      this.reset();
      this.set({ dependency: 'database' }, readiness.database === 'ok' ? 1 : 0);
      if (readiness.redis !== 'not used') {
        this.set({ dependency: 'redis' }, readiness.redis === 'ok' ? 1 : 0);
      }
    },
  });
}

/** The route a request matched as a pattern (`/api/v1/members/:id`), or `unmatched`. */
function routePattern(req: express.Request): string {
  const path: unknown = req.route?.path;
  if (path === undefined) return 'unmatched';
  const pattern = Array.isArray(path) ? path.map(String).join('|') : String(path);
  return `${req.baseUrl}${pattern}` || '/';
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
