import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import pg from 'pg';
import { expect, inject } from 'vitest';
import { type Database, openDatabase } from '../../src/db/database.ts';
import { FakeSlackApi } from './fake-slack-api.ts';
import { createFreshDatabase, type FreshDatabase } from './fresh-database.ts';
import { assetSums, balancesThatDisagreeWithTransfers } from './ledger-invariants.ts';
import { SIGNING_SECRET, slackEnv } from './slack-plaudit.ts';
import { postSlashCommand } from './slack-requests.ts';
import { TcpProxy } from './tcp-proxy.ts';
import { until } from './until.ts';
import { logLine, type PlauditProcess, startPlauditProcess } from './worker-process.ts';

/** What became of one slash command a fault stage sent. */
export interface SentCommand {
  readonly id: string;
  /** The HTTP status of its ack; undefined while unanswered, 0 when the request failed. */
  status?: number;
  /** The text of its ack, when the answer came in it. */
  ackText?: string;
}

/** What a stage's reconciliation found; every list is empty when all is well. */
export interface Reconciliation {
  readonly sent: number;
  readonly committed: number;
  readonly shed: number;
  /** Commands whose give committed but that got no answer saying so. */
  readonly committedUnanswered: string[];
  /** Commands answered with success whose give did not commit. */
  readonly answeredNotCommitted: string[];
  /** Commands answered more than once, or never. */
  readonly notAnsweredOnce: string[];
  /** Assets that do not sum to zero, and balance rows that disagree with their transfers. */
  readonly ledger: unknown[];
}

const PEOPLE = 40;
const GIVEN = /^You gave 1 point to /;

/**
 * Plaudit as a company runs it, for fault tests: a web and a worker process started as a
 * user starts them (the build, `dist/main.js`), on a database of their own, each reaching Postgres and
 * Redis through a TCP proxy the test can cut, freeze and restore. A load of signed Slack
 * gives runs against the web process, and `reconcile` checks the ledger and that every
 * command was answered exactly once, in agreement with what committed.
 */
export class FaultStage {
  readonly slack: FakeSlackApi;
  readonly commands = new Map<string, SentCommand>();
  readonly #teamId = `T${randomUUID().slice(0, 8).toUpperCase()}`;
  readonly #prefix = `test-faults-${randomUUID()}`;
  #database: FreshDatabase | undefined;
  postgres: TcpProxy | undefined;
  redis: TcpProxy | undefined;
  web: PlauditProcess | undefined;
  worker: PlauditProcess | undefined;
  url = '';
  #direct: Database | undefined;
  #sends: Array<Promise<void>> = [];
  #loading: AbortController | undefined;
  #sequence = 0;

  constructor(private readonly env: Record<string, string> = {}) {
    this.slack = new FakeSlackApi({ id: this.#teamId, name: 'Faults', botUserId: 'UBOT' });
  }

  async start(options: { worker?: boolean } = {}): Promise<this> {
    await this.slack.start();
    for (let index = 0; index < PEOPLE; index++) {
      this.slack.addUser(`U${index}`, `Person ${index}`, `person${index}@faults.example`);
    }
    this.#database = await createFreshDatabase('faults', { migrated: true });
    const target = new URL(this.#database.url);
    const redisTarget = new URL(inject('redisUrl'));
    this.postgres = await new TcpProxy(target.hostname, Number(target.port || 5432)).start();
    this.redis = await new TcpProxy(redisTarget.hostname, Number(redisTarget.port || 6379)).start();
    const viaProxy = new URL(target);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(this.postgres.port);
    const env = {
      DATABASE_URL: viaProxy.href,
      REDIS_URL: `redis://127.0.0.1:${this.redis.port}`,
      REDIS_PREFIX: this.#prefix,
      JOBS_LOCK_MS: '2000',
      LOG_LEVEL: 'info',
      ...slackEnv(this.slack),
      // Under faults a command that waited past Slack's window is shed, as in production:
      // what these tests reconcile is that each is then answered busy, with nothing done.
      CHAT_COMMAND_MAX_WAIT_MS: '',
      ...this.env,
    };
    this.web = startPlauditProcess({ ...env, PLAUDIT_ROLE: 'web', PORT: '0' });
    this.url = String((await logLine(this.web, 'Plaudit is listening')).url);
    if (options.worker) {
      this.worker = startPlauditProcess({ ...env, PLAUDIT_ROLE: 'worker', WORKER_PORT: '0' });
      await logLine(this.worker, 'Plaudit worker is taking jobs');
    }
    this.#direct = await openDatabase({ url: this.#database.url, poolSize: 2 });
    return this;
  }

  /** Sends one signed give from a person to the next; resolves once its ack came. */
  give(): Promise<void> {
    const sequence = ++this.#sequence;
    const id = `fault-${sequence}`;
    const giver = sequence % PEOPLE;
    const command: SentCommand = { id };
    this.commands.set(id, command);
    const sent = postSlashCommand(this.url, SIGNING_SECRET, {
      team_id: this.#teamId,
      user_id: `U${giver}`,
      channel_id: 'CFAULTS',
      text: `<@U${(giver + 1) % PEOPLE}> 1 for keeping calm`,
      trigger_id: id,
      response_url: `${this.slack.url}/respond/${id}`,
    }).then(
      (response) => {
        command.status = response.status;
        if (response.status === 200 && response.body !== '') {
          command.ackText = String((JSON.parse(response.body) as { text?: unknown }).text ?? '');
        }
      },
      () => {
        command.status = 0;
      },
    );
    this.#sends.push(sent);
    return sent;
  }

  /**
   * The first answer a command got, once it came; fails at once if its request failed (the
   * web process did not take it), saying which process ended and why.
   */
  async answerTo(id: string): Promise<string> {
    const command = this.commands.get(id) as SentCommand;
    const answered = () => this.answersTo(command).length > 0;
    try {
      await until(() => answered() || command.status === 0, 30_000);
    } catch (error) {
      throw new Error(`${id} was not answered in 30 s\n${this.lastWords()}`, { cause: error });
    }
    if (!answered()) throw new Error(`${id}: its request failed\n${this.lastWords()}`);
    return this.answersTo(command)[0] as string;
  }

  /**
   * Gives, one after another, until one is answered as given: the service is back. Resolves
   * with how many it took.
   */
  async untilGiven(): Promise<number> {
    for (let tries = 1; tries <= 50; tries++) {
      const id = `fault-${this.#sequence + 1}`;
      await this.give();
      if (GIVEN.test(await this.answerTo(id))) return tries;
    }
    throw new Error('no give was answered as given after 50 tries');
  }

  /** Lets a fault last this long: a span of the scenario, not a wait for work. */
  lasts(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  /** Sends `perSecond` gives a second until `stopLoad`, whatever the answers' pace. */
  startLoad(perSecond: number): void {
    const loading = new AbortController();
    this.#loading = loading;
    const timer = setInterval(() => void this.give(), 1000 / perSecond);
    loading.signal.addEventListener('abort', () => clearInterval(timer));
  }

  /** Stops the load and waits for every ack. */
  async stopLoad(): Promise<void> {
    this.#loading?.abort();
    await Promise.all(this.#sends);
  }

  /** The texts a command was answered with: its ack's, and each post to its response URL. */
  answersTo(command: SentCommand): string[] {
    const posted = this.slack
      .callsTo(`respond/${command.id}`)
      .map((call) => String(call.body.text ?? ''));
    return [...(command.ackText ? [command.ackText] : []), ...posted];
  }

  /** Ends every session of the stage's processes on the server, as a restart or failover does. */
  async terminateSessions(state?: 'idle'): Promise<number> {
    const server = new pg.Client({ connectionString: inject('databaseUrl') });
    await server.connect();
    try {
      const { rows } = await server.query<{ ended: boolean }>(
        `select pg_terminate_backend(pid) as ended from pg_stat_activity
         where datname = $1 and pid <> pg_backend_pid() and ($2::text is null or state = $2)`,
        [new URL(this.#database?.url ?? '').pathname.slice(1), state ?? null],
      );
      return rows.filter((row) => row.ended).length;
    } finally {
      await server.end();
    }
  }

  /** The organization the stage's Slack workspace joined. */
  async #organizationId(): Promise<number> {
    const db = this.#direct as Database;
    const { rows } = await sql<{ id: number }>`
      select organization_id as id from slack_workspaces where team_id = ${this.#teamId}`.execute(
      db,
    );
    const id = rows[0]?.id;
    if (id === undefined) throw new Error('the workspace never connected');
    return id;
  }

  /** The commands whose give committed, by id. */
  async #committed(): Promise<Set<string>> {
    const { rows } = await sql<{ key: string }>`
      select q.idempotency_key as key from recognitions r
      join ledger_requests q on q.id = r.ledger_request_id
      where q.idempotency_key like ${'%slack:fault-%'}`.execute(this.#direct as Database);
    return new Set(rows.map((row) => /slack:(fault-\d+)/.exec(row.key)?.[1] ?? row.key));
  }

  /**
   * Once the processes have answered all they took (their response URLs included),
   * checks the ledger and every command's answers against what committed.
   */
  async reconcile(): Promise<Reconciliation> {
    await this.stopLoad();
    const accepted = [...this.commands.values()].filter((command) => command.status === 200);
    // Answers past the ack come from follow-ups; wait until every command has one.
    await until(() => accepted.every((command) => this.answersTo(command).length > 0), 60_000);
    const committed = await this.#committed();
    const organizationId = await this.#organizationId();
    const db = this.#direct as Database;
    const sums = (await assetSums(db, organizationId)).filter(
      (sum) => sum.posted !== 0 || sum.pending !== 0,
    );
    const disagreeing = await balancesThatDisagreeWithTransfers(db, organizationId);
    const result: Reconciliation = {
      sent: this.commands.size,
      committed: committed.size,
      shed: accepted.filter((command) =>
        this.answersTo(command)[0]?.startsWith('Plaudit is too busy'),
      ).length,
      committedUnanswered: [],
      answeredNotCommitted: [],
      notAnsweredOnce: [],
      ledger: [...sums, ...disagreeing],
    };
    for (const command of this.commands.values()) {
      const answers = this.answersTo(command);
      const given = answers.some((text) => GIVEN.test(text));
      // A request refused at the door (the process had stopped listening) was not taken.
      if (command.status === 200 && answers.length !== 1) {
        result.notAnsweredOnce.push(`${command.id}: ${JSON.stringify(answers)}`);
      }
      if (committed.has(command.id) && !given) result.committedUnanswered.push(command.id);
      if (given && !committed.has(command.id)) result.answeredNotCommitted.push(command.id);
    }
    return result;
  }

  /** Whether both processes are still running (none died of the fault). */
  alive(): { web: boolean; worker: boolean | undefined } {
    return { web: this.web?.running() ?? false, worker: this.worker?.running() };
  }

  /** The last output of each process that is no longer running: why it died, for a failure. */
  lastWords(): string {
    return Object.entries({ web: this.web, worker: this.worker })
      .flatMap(([role, child]) =>
        child && !child.running()
          ? [
              `the ${role} process ended (code ${child.child.exitCode}, signal ${child.child.signalCode}); its last output:\n${child.output().slice(-4000)}`,
            ]
          : [],
      )
      .join('\n');
  }

  async stop(): Promise<void> {
    this.#loading?.abort();
    for (const child of [this.web, this.worker]) {
      if (child?.running()) child.child.kill('SIGKILL');
      await child?.exited;
    }
    await this.#direct?.destroy();
    await this.postgres?.cut();
    await this.redis?.cut();
    await this.slack.stop();
    await this.#database?.drop();
    const redis = new Redis(inject('redisUrl'));
    const keys = await redis.keys(`${this.#prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  }
}

/** What a healthy reconciliation shows, whatever the counts. */
export function expectReconciled(result: Reconciliation): void {
  expect({
    committedUnanswered: result.committedUnanswered,
    answeredNotCommitted: result.answeredNotCommitted,
    notAnsweredOnce: result.notAnsweredOnce,
    ledger: result.ledger,
  }).toEqual({
    committedUnanswered: [],
    answeredNotCommitted: [],
    notAnsweredOnce: [],
    ledger: [],
  });
}
