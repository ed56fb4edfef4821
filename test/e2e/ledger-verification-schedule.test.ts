import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RunningPlaudit, startPlaudit } from '../../src/app.ts';
import { parseConfig } from '../../src/config.ts';
import { type Database, openDatabase } from '../../src/db/database.ts';
import { LEDGER_VERIFICATION_ID, VERIFY_LEDGER } from '../../src/jobs/ledger-verification-jobs.ts';
import { Ledger } from '../../src/ledger/ledger.ts';
import { type RunningWorker, startWorker } from '../../src/worker.ts';
import { ConsoleClient } from '../support/console-client.ts';
import { migratedDataFolder } from '../support/databases.ts';
import { parseExposition } from '../support/exposition.ts';
import { createFreshDatabase, type FreshDatabase } from '../support/fresh-database.ts';
import { nudgeBalanceRow } from '../support/ledger-corruption.ts';
import { until } from '../support/until.ts';

const PATTERN = '*/30 * * * *';

/**
 * The scheduled verification: a worker runs it from BullMQ and records the result in the
 * database, so the web process's /metrics and console report what the worker found, as
 * the worker's own /metrics does. A database of its own: the verification walks every
 * organization, and its record is the database's.
 */
describe('the scheduled ledger verification', () => {
  const prefix = `verify-${randomUUID().slice(0, 8)}`;
  let fresh: FreshDatabase;
  let db: Database;
  let web: RunningPlaudit;
  let worker: RunningWorker;
  let redis: Redis;
  let queue: Queue;

  beforeAll(async () => {
    fresh = await createFreshDatabase('verify_jobs', { migrated: true });
    const shared = {
      DATABASE_URL: fresh.url,
      REDIS_URL: inject('redisUrl'),
      REDIS_PREFIX: prefix,
      LOG_LEVEL: 'silent',
      LEDGER_VERIFY_CRON: PATTERN,
    };
    // Local mode (no chat platform): the demo organization, and its admin's console.
    web = await startPlaudit(parseConfig({ ...shared, PLAUDIT_ROLE: 'web', PORT: '0' }), {
      print: () => {},
    });
    worker = await startWorker(
      parseConfig({ ...shared, PLAUDIT_ROLE: 'worker', WORKER_PORT: '0' }),
    );
    db = await openDatabase({ url: fresh.url, poolSize: 2 });
    redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
    queue = new Queue('ledger', { connection: redis, prefix });
  });
  afterAll(async () => {
    await queue?.obliterate({ force: true }).catch(() => undefined);
    await queue?.close();
    await redis?.quit();
    await worker?.close();
    await web?.close();
    await db?.destroy();
    await fresh?.drop();
  });

  async function gauges(url: string) {
    const response = await fetch(`${url}/metrics`);
    const samples = parseExposition(await response.text());
    const value = (name: string) => samples.find((sample) => sample.name === name)?.value;
    return {
      violations: value('plaudit_ledger_violations'),
      verifiedAt: value('plaudit_ledger_verified_timestamp_seconds'),
    };
  }

  async function overviewLine(): Promise<string | undefined> {
    const page = await new ConsoleClient(web.url).get('/console');
    const line = /<(?:p|div) class="[^"]*" id="ledger-verified">(.*?)<\/(?:p|div)>/.exec(page.html);
    return line?.[1]?.replace(/<[^>]+>/g, '');
  }

  /** Runs a verification now, as the schedule would, and waits until it is recorded. */
  async function verifyNow(): Promise<{ violations?: number; verifiedAt?: number }> {
    const before = (await gauges(web.url)).verifiedAt ?? 0;
    await queue.add(VERIFY_LEDGER, {});
    let seen: { violations?: number; verifiedAt?: number } = {};
    await until(async () => {
      seen = await gauges(web.url);
      return (seen.verifiedAt ?? 0) > before;
    });
    return seen;
  }

  it('is scheduled by the worker on LEDGER_VERIFY_CRON, in UTC', async () => {
    await until(async () => (await queue.getJobScheduler(LEDGER_VERIFICATION_ID)) !== undefined);
    expect(await queue.getJobScheduler(LEDGER_VERIFICATION_ID)).toMatchObject({
      pattern: PATTERN,
      tz: 'UTC',
      name: VERIFY_LEDGER,
    });
  });

  it('reports nothing before it has run, then its findings in every process and the console', async () => {
    // Never verified: a time of 0, which any alert on the verification's age catches.
    expect(await gauges(web.url)).toEqual({ violations: 0, verifiedAt: 0 });
    expect(await overviewLine()).toBe(
      'The ledger has not been verified yet: it is checked on a schedule.',
    );

    const clean = await verifyNow();
    expect(clean.violations).toBe(0);
    expect(await gauges(worker.url)).toEqual(clean);
    expect(await overviewLine()).toMatch(
      /^Ledger verified \d+ \w{3} \d{4}, \d\d:\d\d: no problems\.$/,
    );

    // A demo member's earned points nudged past the triggers: three findings.
    const organization = await db
      .selectFrom('organizations')
      .select('id')
      .executeTakeFirstOrThrow();
    const member = await db
      .selectFrom('members')
      .select('id')
      .where('organization_id', '=', organization.id)
      .orderBy('id')
      .executeTakeFirstOrThrow();
    const accounts = await new Ledger(db).memberAccounts(organization.id, member.id);
    await nudgeBalanceRow(db, accounts.earned.id, 5);

    const broken = await verifyNow();
    expect(broken.violations).toBe(3);
    expect(await gauges(worker.url)).toEqual(broken);
    expect(await overviewLine()).toMatch(
      /^Ledger verified \d+ \w{3} \d{4}, \d\d:\d\d: 3 problems found\. Your operators can list them with npm run ledger:verify\.$/,
    );
  });
});

describe('the ledger verification in local mode', () => {
  it('runs on the inline runner against the embedded database', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'plaudit-verify-local-'));
    await migratedDataFolder(path.join(folder, 'data'));
    const plaudit = await startPlaudit(
      parseConfig({ PORT: '0', PLAUDIT_DATA_DIR: path.join(folder, 'data'), LOG_LEVEL: 'silent' }),
      { print: () => {} },
    );
    try {
      await plaudit.jobs.add('ledger', VERIFY_LEDGER, {});
      await plaudit.settled();
      const samples = parseExposition(await (await fetch(`${plaudit.url}/metrics`)).text());
      const value = (name: string) => samples.find((sample) => sample.name === name)?.value;
      expect(value('plaudit_ledger_violations')).toBe(0);
      expect(value('plaudit_ledger_verified_timestamp_seconds')).toBeGreaterThan(0);
      const page = await new ConsoleClient(plaudit.url).get('/console');
      expect(page.html).toMatch(
        /id="ledger-verified">Ledger verified <time [^>]+>[^<]+<\/time>: no problems\./,
      );
    } finally {
      await plaudit.close();
      await rm(folder, { recursive: true, force: true });
    }
  });
});
