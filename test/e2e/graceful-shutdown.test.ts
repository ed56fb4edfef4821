import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { type Database, openDatabase } from '../../src/db/database.ts';
import { BullJobs } from '../../src/jobs/bullmq-jobs.ts';
import { createFreshDatabase, type FreshDatabase } from '../support/fresh-database.ts';
import { key } from '../support/ledger-fixture.ts';
import { createRewardsFixture } from '../support/rewards-fixture.ts';
import { until } from '../support/until.ts';
import {
  RECEIVER_ALLOWED_HOSTS,
  receiverAllowList,
  startWebhookReceiver,
  type WebhookReceiver,
} from '../support/webhook-receiver.ts';
import { logLine, startWorkerProcess, type WorkerProcess } from '../support/worker-process.ts';

const ADMIN_TOKEN = 'shutdown-test-admin-token-0123456789';
const WEBHOOK_SECRET = 'shutdown-test-webhook-secret-0123456';
/** From SIGTERM to exit, with the work in flight finished in between. */
const EXIT_WITHIN_MS = 15_000;

/** Whether a new TCP connection to the URL's port is refused (nobody listens any more). */
function refused(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

/** Waits for the process to exit; rejects with its output when it takes longer than `ms`. */
async function exitWithin(child: WorkerProcess, ms: number) {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new Error(`still running ${ms} ms after SIGTERM:\n${child.output()}`)),
      ms,
    );
  });
  try {
    return await Promise.race([child.exited, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A TCP proxy to Postgres that holds every connection until opened: a process starting
 * on it waits at its first query, so a test can signal it mid-start.
 */
async function startGate(target: string) {
  const upstream = new URL(target);
  const sockets = new Set<Socket>();
  let open = false;
  const waiting: Array<() => void> = [];
  const server = createServer((client) => {
    sockets.add(client);
    client.pause();
    const pipe = () => {
      const postgres = connect(Number(upstream.port || 5432), upstream.hostname);
      sockets.add(postgres);
      for (const socket of [client, postgres]) socket.on('error', () => socket.destroy());
      client.pipe(postgres).pipe(client);
      client.resume();
      client.on('close', () => postgres.destroy());
      postgres.on('close', () => client.destroy());
    };
    if (open) pipe();
    else waiting.push(pipe);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const gated = new URL(target);
  gated.hostname = '127.0.0.1';
  gated.port = String((server.address() as AddressInfo).port);
  return {
    url: gated.href,
    /** Connections held so far. */
    held: () => waiting.length,
    open() {
      open = true;
      for (const pipe of waiting.splice(0)) pipe();
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('graceful shutdown of the real process (dist/main.js, the build) on SIGTERM', () => {
  const prefixes: string[] = [];
  const cleanups: Array<() => Promise<void>> = [];
  let child: WorkerProcess | undefined;

  /** Migrated unless `empty`: the start-up test's process migrates its own after the signal. */
  const database = async (label: string, empty = false): Promise<FreshDatabase> => {
    const fresh = await createFreshDatabase(label, { migrated: !empty });
    cleanups.push(() => fresh.drop());
    return fresh;
  };
  const prefix = () => {
    const made = `test-shutdown-${randomUUID()}`;
    prefixes.push(made);
    return made;
  };

  afterEach(async () => {
    if (child?.running()) child.child.kill('SIGKILL');
    await child?.exited;
    child = undefined;
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  afterAll(async () => {
    const redis = new Redis(inject('redisUrl'));
    for (const made of prefixes) {
      const keys = await redis.keys(`${made}:*`);
      if (keys.length > 0) await redis.del(...keys);
    }
    redis.disconnect();
  });

  it('a web process stops listening, answers the request in flight, and exits 0', async () => {
    const fresh = await database('shutdown_web');
    // startWorkerProcess runs dist/main.js; the role given here makes it a web process.
    const web = startWorkerProcess({
      PLAUDIT_ROLE: 'web',
      DATABASE_URL: fresh.url,
      REDIS_URL: inject('redisUrl'),
      REDIS_PREFIX: prefix(),
      PORT: '0',
      LOG_LEVEL: 'info',
      PLAUDIT_ADMIN_TOKEN: ADMIN_TOKEN,
    });
    child = web;
    const { url } = (await logLine(web, 'Plaudit is listening')) as { url: string };
    // Started in full: with no chat platform set this is local mode, which starts its
    // Teams adapter once it listens, most of a second of CPU during which nothing else runs.
    await logLine(web, 'Teams adapter ready');

    // Keep-alive, as Slack, Teams and load balancers connect: the connection must not hold
    // the process up after its request is answered.
    const agent = new http.Agent({ keepAlive: true });
    cleanups.push(async () => agent.destroy());
    const body = JSON.stringify({ name: 'Finished before the exit' });
    const request = http.request(`${url}/api/v1/groups`, {
      method: 'POST',
      agent,
      headers: {
        authorization: `Bearer ${ADMIN_TOKEN}`,
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        // The server says "100 Continue" once it has handed the request to the app: the
        // request is then in flight, waiting for its body.
        expect: '100-continue',
      },
    });
    const continued = new Promise<void>((resolve) => request.once('continue', resolve));
    const answered = new Promise<{ status: number; body: string; at: number }>(
      (resolve, reject) => {
        request.once('error', reject);
        request.once('response', (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            text += chunk;
          });
          response.once('end', () =>
            resolve({ status: response.statusCode ?? 0, body: text, at: performance.now() }),
          );
        });
      },
    );
    request.flushHeaders();
    await continued;

    web.child.kill('SIGTERM');
    await until(() => web.output().includes('SIGTERM received: shutting down'));
    // No new connection is taken while the request in flight is still open.
    await until(() => refused(url));
    expect(web.running()).toBe(true);

    request.end(body);
    const answer = await answered;
    expect(answer.status, answer.body).toBe(201);
    expect(JSON.parse(answer.body)).toMatchObject({ name: 'Finished before the exit' });

    const exit = await exitWithin(web, EXIT_WITHIN_MS);
    expect(exit, web.output()).toEqual({ code: 0, signal: null });
    // Not held up by the keep-alive connection (Node would keep it 5 s).
    expect(performance.now() - answer.at).toBeLessThan(4000);
    expect(web.output()).toContain('"msg":"Plaudit stopped"');
  }, 120_000);

  it('a signal during start-up stops the process once it has started, and it exits 0', async () => {
    const fresh = await database('shutdown_start', true);
    const gate = await startGate(fresh.url);
    cleanups.push(() => gate.close());
    const worker = startWorkerProcess({
      DATABASE_URL: gate.url,
      REDIS_URL: inject('redisUrl'),
      REDIS_PREFIX: prefix(),
      WORKER_PORT: '0',
      LOG_LEVEL: 'info',
    });
    child = worker;
    // Starting: it waits for its database.
    await until(() => gate.held() > 0 || !worker.running(), 60_000);
    expect(worker.running(), worker.output()).toBe(true);

    worker.child.kill('SIGTERM');
    await until(() => worker.output().includes('SIGTERM received: shutting down'));
    expect(worker.running()).toBe(true);
    gate.open();

    // Here the process first finishes its start: all the migrations of a new database and
    // the worker's set-up, which took more than 15 s twice in today's full runs at load 7–9.
    // A minute still tells a process that stops from one that never does.
    const exit = await exitWithin(worker, 60_000);
    expect(exit, worker.output()).toEqual({ code: 0, signal: null });
    // It finished starting (migrations and all), then closed what it had opened.
    const said = worker.output();
    expect(said.indexOf('"msg":"Plaudit worker is taking jobs"')).toBeGreaterThan(-1);
    expect(said.indexOf('"msg":"Plaudit worker stopped"')).toBeGreaterThan(
      said.indexOf('"msg":"Plaudit worker is taking jobs"'),
    );
  }, 120_000);

  it('a worker process stops taking jobs, lets the running one finish, and exits 0', async () => {
    const fresh = await database('shutdown_worker');
    const db: Database = await openDatabase({ url: fresh.url, poolSize: 4 });
    cleanups.push(() => db.destroy());
    const jobPrefix = prefix();
    const producer = new BullJobs({
      url: inject('redisUrl'),
      prefix: jobPrefix,
      logger: pino({ level: 'silent' }),
    });
    cleanups.push(() => producer.close());
    const queue = new Queue('redemptions', {
      connection: { url: inject('redisUrl') },
      prefix: jobPrefix,
    });
    cleanups.push(() => queue.close());

    // The company's system answers the webhook only when the test lets it.
    let release: (status: number) => void = () => {};
    const held = new Promise<number>((resolve) => {
      release = resolve;
    });
    const receiver: WebhookReceiver = await startWebhookReceiver(() => held);
    cleanups.push(() => receiver.close());

    const f = await createRewardsFixture(db, {
      members: { Ana: {} },
      jobs: producer,
      webhookAllowList: receiverAllowList,
    });
    await f.earn('Ana', 1000);
    const item = await f.item({
      name: 'Gift card',
      pointsCost: 10,
      fulfilment: 'webhook',
      webhookUrl: receiver.url,
      stock: 10,
    });
    const redeem = async () => {
      const ana = f.members.Ana;
      if (!ana) throw new Error('no Ana');
      const result = await f.desk.redeem({
        organizationId: f.organizationId,
        memberId: ana.id,
        requestedBy: ana.id,
        itemId: item,
        requestKey: key('shutdown-redeem'),
      });
      if (!result.ok) throw new Error(result.message);
      return result.value.redemption.id;
    };

    const worker = startWorkerProcess({
      DATABASE_URL: fresh.url,
      REDIS_URL: inject('redisUrl'),
      REDIS_PREFIX: jobPrefix,
      WORKER_PORT: '0',
      LOG_LEVEL: 'info',
      REWARD_WEBHOOK_SECRET: WEBHOOK_SECRET,
      REWARD_WEBHOOK_ALLOWED_HOSTS: RECEIVER_ALLOWED_HOSTS,
    });
    child = worker;
    const { url } = (await logLine(worker, 'Plaudit worker is taking jobs')) as { url: string };

    const first = await redeem();
    // The worker is sending the first redemption's webhook: its job is running.
    await until(() => receiver.requests.length === 1 || !worker.running());
    expect(receiver.requests, worker.output()).toHaveLength(1);

    worker.child.kill('SIGTERM');
    await until(() => worker.output().includes('SIGTERM received: shutting down'));
    // A job queued now waits for another worker.
    const second = await redeem();
    // While its job finishes, the worker still answers its health and metrics.
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect(worker.running()).toBe(true);

    release(200);
    const exit = await exitWithin(worker, EXIT_WITHIN_MS);
    expect(exit, worker.output()).toEqual({ code: 0, signal: null });
    expect(worker.output()).toContain('"msg":"Plaudit worker stopped"');

    expect(await (await queue.getJob(`redemption-${first}`))?.getState()).toBe('completed');
    expect((await f.desk.redemptions.find(f.organizationId, first))?.status).toBe('fulfilled');
    expect(await (await queue.getJob(`redemption-${second}`))?.getState()).toBe('waiting');
    expect((await f.desk.redemptions.find(f.organizationId, second))?.status).toBe('held');
    expect(receiver.requests).toHaveLength(1);
    expect(await refused(url)).toBe(true);
  }, 120_000);
});
