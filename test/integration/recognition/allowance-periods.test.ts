import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/database.ts';
import type { Member } from '../../../src/directory/members.ts';
import { allowancePeriodAt } from '../../../src/recognition/allowance-period.ts';
import { AllowancePeriods, allowancePeriodKey } from '../../../src/recognition/allowances.ts';
import { loadRecognitionSettings } from '../../../src/recognition/settings.ts';
import { openTestDatabase } from '../../support/databases.ts';
import { key } from '../../support/ledger-fixture.ts';
import { balancesOf, createRecognitionFixture } from '../../support/recognition-fixture.ts';

const OCTOBER = allowancePeriodAt(new Date('2026-10-15T12:00:00Z'), 'monthly', 'Europe/Lisbon');
const NOVEMBER = allowancePeriodAt(new Date('2026-11-15T12:00:00Z'), 'monthly', 'Europe/Lisbon');

describe('allowance periods on postgres', () => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase('postgres');
  });
  afterAll(async () => {
    await db?.destroy();
  });

  async function requestsFor(organizationId: number, idempotencyKey: string) {
    return db
      .selectFrom('ledger_requests as r')
      .innerJoin('ledger_transfers as t', 't.request_id', 'r.id')
      .select(['t.kind', 't.amount'])
      .where('r.organization_id', '=', organizationId)
      .where('r.idempotency_key', '=', idempotencyKey)
      .orderBy('t.id')
      .execute();
  }

  it('grants on first use, by member override, else the largest role override, else the default', async () => {
    const f = await createRecognitionFixture(db, {
      members: {
        Ana: {},
        Li: { roles: ['member', 'admin'] },
        José: { roles: ['member', 'hr', 'admin'] },
        Kai: {},
      },
      settings: { allowance_amount: 50 },
    });
    await db
      .insertInto('allowance_overrides')
      .values([
        { organization_id: f.organizationId, role: 'admin', member_id: null, amount: 80 },
        { organization_id: f.organizationId, role: 'hr', member_id: null, amount: 120 },
        {
          organization_id: f.organizationId,
          role: null,
          member_id: f.members.Kai?.id as number,
          amount: 10,
        },
      ])
      .execute();
    for (const name of ['Ana', 'Li', 'José', 'Kai']) {
      expect((await f.kudos(name, 'balance')).outcome).toBe('ok');
    }
    expect((await balancesOf(f, 'Ana')).allowance).toBe(50);
    expect((await balancesOf(f, 'Li')).allowance).toBe(80);
    expect((await balancesOf(f, 'José')).allowance).toBe(120);
    expect((await balancesOf(f, 'Kai')).allowance).toBe(10);
    const reply = await f.kudos('Li', 'balance');
    expect(reply.text).toMatch(
      /^You have 80 points left to give this month \(of 80; resets \w{3} 1 \w{3}\)\. You have earned 0 points to spend\.$/,
    );
  });

  it('opens a period once, however many openers race for it', async () => {
    const f = await createRecognitionFixture(db, { members: { Ana: {} } });
    const { settings } = await loadRecognitionSettings(db, f.organizationId);
    const ana = f.members.Ana as Member;
    // Separate openers share no cache, like separate processes (web, worker, lazy grant).
    await Promise.all(
      Array.from({ length: 20 }, () =>
        new AllowancePeriods(f.services.ledger).open(settings, ana, NOVEMBER),
      ),
    );
    expect(await requestsFor(f.organizationId, allowancePeriodKey(ana.id, NOVEMBER))).toEqual([
      { kind: 'allowance_grant', amount: 100 },
    ]);
    expect((await balancesOf(f, 'Ana')).allowance).toBe(100);
  });

  it('expires what is left at the period end, or carries it over up to the cap', async () => {
    for (const [rolloverCap, expired, carried] of [
      [0, 70, 0],
      [50, 20, 50],
      [100, 0, 70],
    ] as const) {
      const f = await createRecognitionFixture(db, {
        members: { Ana: {}, Li: {} },
        settings: { rollover_cap: rolloverCap },
      });
      const { settings } = await loadRecognitionSettings(db, f.organizationId);
      const ana = f.members.Ana as Member;
      await new AllowancePeriods(f.services.ledger).open(settings, ana, OCTOBER);
      const org = await f.services.ledger.organizationAccounts(f.organizationId);
      const accounts = await f.services.ledger.memberAccounts(f.organizationId, ana.id);
      const spend = await f.services.ledger.transfer({
        organizationId: f.organizationId,
        idempotencyKey: key('spend'),
        transfers: [
          {
            debitAccountId: accounts.allowance.id,
            creditAccountId: org.allowance_spent.id,
            amount: 30,
            kind: 'kudos',
          },
        ],
      });
      expect(spend.ok).toBe(true);
      await new AllowancePeriods(f.services.ledger).open(settings, ana, NOVEMBER);
      await new AllowancePeriods(f.services.ledger).open(settings, ana, NOVEMBER);
      const november = await requestsFor(f.organizationId, allowancePeriodKey(ana.id, NOVEMBER));
      expect(november, `rollover cap ${rolloverCap}`).toEqual([
        ...(expired > 0 ? [{ kind: 'allowance_expire', amount: expired }] : []),
        { kind: 'allowance_grant', amount: 100 },
      ]);
      expect((await balancesOf(f, 'Ana')).allowance, `rollover cap ${rolloverCap}`).toBe(
        100 + carried,
      );
    }
  });

  it('a later opener that saw a different balance does not open the period again', async () => {
    const f = await createRecognitionFixture(db, { members: { Ana: {}, Li: {} } });
    const { settings } = await loadRecognitionSettings(db, f.organizationId);
    const ana = f.members.Ana as Member;
    await new AllowancePeriods(f.services.ledger).open(settings, ana, OCTOBER);
    await new AllowancePeriods(f.services.ledger).open(settings, ana, NOVEMBER);
    const org = await f.services.ledger.organizationAccounts(f.organizationId);
    const accounts = await f.services.ledger.memberAccounts(f.organizationId, ana.id);
    await f.services.ledger.transfer({
      organizationId: f.organizationId,
      idempotencyKey: key('spend'),
      transfers: [
        {
          debitAccountId: accounts.allowance.id,
          creditAccountId: org.allowance_spent.id,
          amount: 40,
          kind: 'kudos',
        },
      ],
    });
    // A reset job arriving late sees 60 left, not 100, and asks for a different expiry.
    await new AllowancePeriods(f.services.ledger).open(settings, ana, NOVEMBER);
    expect((await balancesOf(f, 'Ana')).allowance).toBe(60);
    expect(await requestsFor(f.organizationId, allowancePeriodKey(ana.id, NOVEMBER))).toEqual([
      { kind: 'allowance_expire', amount: 100 },
      { kind: 'allowance_grant', amount: 100 },
    ]);
  });

  it('a first give does not take a period key used for a different request for an opening', async () => {
    const f = await createRecognitionFixture(db, { members: { Ana: {} } });
    const { settings } = await loadRecognitionSettings(db, f.organizationId);
    const ana = f.members.Ana as Member;
    const org = await f.services.ledger.organizationAccounts(f.organizationId);
    const accounts = await f.services.ledger.memberAccounts(f.organizationId, ana.id);
    const periodKey = allowancePeriodKey(ana.id, NOVEMBER);
    const other = await f.services.ledger.transfer({
      organizationId: f.organizationId,
      idempotencyKey: periodKey,
      transfers: [
        {
          debitAccountId: org.allowance_pool.id,
          creditAccountId: accounts.allowance.id,
          amount: 7,
          kind: 'adjustment',
        },
      ],
    });
    expect(other.ok).toBe(true);

    await expect(
      new AllowancePeriods(f.services.ledger).open(settings, ana, NOVEMBER),
    ).rejects.toThrow(`could not open ${periodKey}: the key was used for a different request`);
    expect(await requestsFor(f.organizationId, periodKey)).toEqual([
      { kind: 'adjustment', amount: 7 },
    ]);
  });

  it('a first give after the period was opened is a replay of the same request', async () => {
    const f = await createRecognitionFixture(db, { members: { Ana: {} } });
    const { settings } = await loadRecognitionSettings(db, f.organizationId);
    const ana = f.members.Ana as Member;
    expect(await new AllowancePeriods(f.services.ledger).open(settings, ana, NOVEMBER)).toBe(true);
    // Another process, after an admin changed the allowance: the same opening, not another.
    const changed = { ...settings, allowanceAmount: settings.allowanceAmount + 50 };
    expect(await new AllowancePeriods(f.services.ledger).open(changed, ana, NOVEMBER)).toBe(false);
    expect(await requestsFor(f.organizationId, allowancePeriodKey(ana.id, NOVEMBER))).toEqual([
      { kind: 'allowance_grant', amount: 100 },
    ]);
  });
});
