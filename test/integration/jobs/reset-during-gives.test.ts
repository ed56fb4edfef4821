import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/database.ts';
import { resetAllowances } from '../../../src/jobs/allowance-reset.ts';
import { allowancePeriodAt } from '../../../src/recognition/allowance-period.ts';
import { createRecognitionServices } from '../../../src/recognition/recognition-services.ts';
import { openTestDatabase } from '../../support/databases.ts';
import { assetSums, balancesThatDisagreeWithTransfers } from '../../support/ledger-invariants.ts';
import { createRecognitionFixture } from '../../support/recognition-fixture.ts';
import { SeededRandom, testSeed } from '../../support/seeded-random.ts';

/**
 * The reset job and people's first gives race for the same members: both open the period
 * (the give lazily, for its giver), in different processes. Each member's period must be
 * opened once, every give must be answered, and the ledger must balance.
 */
describe('an allowance reset while people give kudos', () => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase('postgres');
  });
  afterAll(async () => {
    await db?.destroy();
  });

  it('opens each period once, answers every give, and keeps the ledger balanced', async () => {
    const names = Array.from({ length: 40 }, (_, index) => `m${index}`);
    const fixture = await createRecognitionFixture(db, {
      members: Object.fromEntries(names.map((name) => [name, {}])),
      settings: { allowance_amount: 50 },
    });
    const random = new SeededRandom(testSeed('reset during gives'));
    const gives = Array.from({ length: 80 }, () => {
      const giver = random.pick(names);
      let recipient = giver;
      while (recipient === giver) recipient = random.pick(names);
      return { giver, recipient, amount: random.int(1, 20) };
    });
    // The job runs in "another process": its own services, with nothing cached.
    const workerServices = createRecognitionServices(db);
    const [reset, ...replies] = await Promise.all([
      resetAllowances(db, workerServices, fixture.organizationId, { batchSize: 3 }),
      ...gives.map(({ giver, recipient, amount }) =>
        fixture.kudos(giver, `@${recipient} ${amount} for racing`),
      ),
    ]);
    for (const reply of replies) {
      expect(['ok', 'refused']).toContain(reply.outcome);
      if (reply.outcome === 'refused') expect(reply.code).toBe('insufficient_allowance');
    }
    expect(replies.filter((reply) => reply.outcome === 'ok').length).toBeGreaterThan(0);
    expect(reset.done).toBe(40);

    const { settings, now } = await fixture.services.settings.load(fixture.organizationId);
    const period = allowancePeriodAt(now, settings.allowanceCadence, settings.timezone);
    const { rows } = await sql<{ member_id: number; grants: number; total: number }>`
      select a.member_id, count(*)::int as grants, sum(t.amount)::int as total
      from ledger_transfers t
      join ledger_accounts a on a.id = t.credit_account_id
      join ledger_requests r on r.id = t.request_id
      where t.organization_id = ${fixture.organizationId} and t.kind = 'allowance_grant'
        and r.idempotency_key like ${`allowance:%:${period.cadence}:${period.firstDay}`}
      group by a.member_id`.execute(db);
    expect(rows).toHaveLength(40);
    expect(rows.every((row) => row.grants === 1 && row.total === 50)).toBe(true);
    // The job opened those the gives had not; together, every member exactly once.
    const openedByGives = new Set(gives.map((give) => give.giver)).size;
    expect(reset.opened).toBeGreaterThanOrEqual(40 - openedByGives);
    expect(reset.opened).toBeLessThanOrEqual(40);

    expect(await balancesThatDisagreeWithTransfers(db, fixture.organizationId)).toEqual([]);
    for (const sum of await assetSums(db, fixture.organizationId)) {
      expect(sum).toMatchObject({ posted: 0, pending: 0 });
    }
  });
});
