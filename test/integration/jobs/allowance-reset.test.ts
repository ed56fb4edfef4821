import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/database.ts';
import { findMember, listMembers, type Member } from '../../../src/directory/members.ts';
import { type ResetProgress, resetAllowances } from '../../../src/jobs/allowance-reset.ts';
import { PermanentJobFailure } from '../../../src/jobs/job-queue.ts';
import { periodOpeningHash } from '../../../src/ledger/period-openings.ts';
import { allowancePeriodAt, type Cadence } from '../../../src/recognition/allowance-period.ts';
import { AllowancePeriods, allowancePeriodKey } from '../../../src/recognition/allowances.ts';
import {
  createRecognitionServices,
  type RecognitionServices,
} from '../../../src/recognition/recognition-services.ts';
import { openTestDatabase } from '../../support/databases.ts';
import { key } from '../../support/ledger-fixture.ts';
import {
  assetSums,
  balancesThatDisagreeWithTransfers,
  countRows,
} from '../../support/ledger-invariants.ts';
import {
  createRecognitionFixture,
  type MemberSpec,
  type RecognitionFixture,
} from '../../support/recognition-fixture.ts';

describe('the allowance reset job on postgres', () => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase('postgres');
  });
  afterAll(async () => {
    await db?.destroy();
  });

  /** Organizations the current test made; the ledger invariants are checked on each after it. */
  let organizations: number[] = [];
  afterEach(async () => {
    const checked = organizations;
    organizations = [];
    for (const organizationId of checked) {
      expect(await assetSums(db, organizationId), `organization ${organizationId}`).toEqual([
        { asset: 'allowance', posted: 0, pending: 0 },
        { asset: 'points', posted: 0, pending: 0 },
      ]);
      expect(
        await balancesThatDisagreeWithTransfers(db, organizationId),
        `organization ${organizationId}`,
      ).toEqual([]);
    }
  });

  async function organization(options: {
    members: Record<string, MemberSpec>;
    timezone: string;
    settings?: Parameters<typeof createRecognitionFixture>[1]['settings'];
  }): Promise<RecognitionFixture> {
    const f = await createRecognitionFixture(db, options);
    organizations.push(f.organizationId);
    // Every organization has its accounts, so the invariants can be read even before a reset.
    await f.services.ledger.organizationAccounts(f.organizationId);
    return f;
  }

  const idOf = (f: RecognitionFixture, name: string) => (f.members[name] as Member).id;

  /** Many members cheaply, in one statement; their ids in ascending order. */
  async function insertMembers(organizationId: number, count: number): Promise<number[]> {
    const rows = await db
      .insertInto('members')
      .values(
        Array.from({ length: count }, (_, index) => ({
          organization_id: organizationId,
          display_name: `Member ${index + 1}`,
        })),
      )
      .returning('id')
      .execute();
    return rows.map((row) => row.id).sort((a, b) => a - b);
  }

  async function setJoined(memberId: number, joinedAt: string): Promise<void> {
    await sql`update members set created_at = ${new Date(joinedAt)} where id = ${memberId}`.execute(
      db,
    );
  }

  async function reloadMember(organizationId: number, memberId: number): Promise<Member> {
    const member = await findMember(db, organizationId, memberId);
    if (!member) throw new Error(`no member ${memberId}`);
    return member;
  }

  /** A member's allowance left, from the ledger. */
  async function allowanceLeft(
    services: RecognitionServices,
    organizationId: number,
    memberId: number,
  ): Promise<number> {
    const accounts = await services.ledger.memberAccounts(organizationId, memberId);
    const balances = await services.ledger.balances([accounts.allowance.id]);
    return balances.get(accounts.allowance.id)?.available ?? 0;
  }

  /** The allowance grants and expiries of an organization, in the order they were written. */
  async function allowanceTransfers(organizationId: number) {
    const { rows } = await sql<{
      key: string;
      kind: string;
      amount: number;
      member_id: number;
      debit: string;
      credit: string;
      memo: string | null;
    }>`
      select r.idempotency_key as key, t.kind, t.amount, m.member_id,
        d.code as debit, c.code as credit, t.memo
      from ledger_transfers t
      join ledger_requests r on r.id = t.request_id
      join ledger_accounts d on d.id = t.debit_account_id
      join ledger_accounts c on c.id = t.credit_account_id
      join ledger_accounts m on m.id in (t.debit_account_id, t.credit_account_id)
        and m.member_id is not null
      where t.organization_id = ${organizationId}
        and t.kind in ('allowance_grant', 'allowance_expire')
      order by t.id`.execute(db);
    return rows;
  }

  /** The keys of an organization's period openings, in ascending order. */
  async function openingKeys(organizationId: number): Promise<string[]> {
    const rows = await db
      .selectFrom('ledger_requests')
      .select('idempotency_key')
      .where('organization_id', '=', organizationId)
      .where('idempotency_key', 'like', 'allowance:%')
      .orderBy('idempotency_key')
      .execute();
    return rows.map((row) => row.idempotency_key);
  }

  /** How many members' periods starting on this day are opened (by anyone). */
  async function openingsOf(organizationId: number, firstDay: string): Promise<number> {
    const row = await db
      .selectFrom('ledger_requests')
      .select(sql<number>`count(*)::int`.as('n'))
      .where('organization_id', '=', organizationId)
      .where('idempotency_key', 'like', `allowance:%:${firstDay}`)
      .executeTakeFirstOrThrow();
    return row.n;
  }

  /** Spends allowance as a give does: from the member's allowance to allowance_spent. */
  async function spend(f: RecognitionFixture, memberId: number, amount: number): Promise<void> {
    const org = await f.services.ledger.organizationAccounts(f.organizationId);
    const accounts = await f.services.ledger.memberAccounts(f.organizationId, memberId);
    const spent = await f.services.ledger.transfer({
      organizationId: f.organizationId,
      idempotencyKey: key('spend'),
      transfers: [
        {
          debitAccountId: accounts.allowance.id,
          creditAccountId: org.allowance_spent.id,
          amount,
          kind: 'kudos',
        },
      ],
    });
    expect(spent.ok).toBe(true);
  }

  const periodKey = (memberId: number, cadence: Cadence, firstDay: string) =>
    `allowance:${memberId}:${cadence}:${firstDay}`;

  describe('periods in the organization’s time zone', () => {
    // 23:30 UTC on 31 March 2026: already 1 April in Auckland (NZDT, +13) and Kolkata
    // (+5:30), still 31 March in UTC and Los Angeles (PDT, -7).
    const AT = '2026-03-31T23:30:00Z';
    // 20:00 UTC on Sunday 29 March: Monday 30 March 09:00 in Auckland, Sunday elsewhere.
    const SUNDAY = '2026-03-29T20:00:00Z';
    const cases: Array<{ timezone: string; cadence: Cadence; at: string; firstDay: string }> = [
      { timezone: 'Pacific/Auckland', cadence: 'monthly', at: AT, firstDay: '2026-04-01' },
      { timezone: 'Asia/Kolkata', cadence: 'monthly', at: AT, firstDay: '2026-04-01' },
      { timezone: 'UTC', cadence: 'monthly', at: AT, firstDay: '2026-03-01' },
      { timezone: 'America/Los_Angeles', cadence: 'monthly', at: AT, firstDay: '2026-03-01' },
      { timezone: 'Pacific/Auckland', cadence: 'quarterly', at: AT, firstDay: '2026-04-01' },
      { timezone: 'America/Los_Angeles', cadence: 'quarterly', at: AT, firstDay: '2026-01-01' },
      { timezone: 'Pacific/Auckland', cadence: 'weekly', at: SUNDAY, firstDay: '2026-03-30' },
      { timezone: 'UTC', cadence: 'weekly', at: SUNDAY, firstDay: '2026-03-23' },
      { timezone: 'America/Los_Angeles', cadence: 'weekly', at: SUNDAY, firstDay: '2026-03-23' },
      // A Wednesday in a weekly organization still belongs to the week from Monday.
      { timezone: 'UTC', cadence: 'weekly', at: '2026-04-01T12:00:00Z', firstDay: '2026-03-30' },
    ];

    it.each(cases)(
      'opens the $cadence period from $firstDay in $timezone at $at',
      async ({ timezone, cadence, at, firstDay }) => {
        const f = await organization({
          timezone,
          members: { Ana: {}, Li: { roles: ['member', 'admin'] }, Kai: { roles: ['admin'] } },
          settings: { allowance_cadence: cadence, allowance_amount: 40 },
        });
        // Li gets the admins' allowance; Kai, an admin too, his own.
        await db
          .insertInto('allowance_overrides')
          .values([
            { organization_id: f.organizationId, role: 'admin', member_id: null, amount: 65 },
            {
              organization_id: f.organizationId,
              role: null,
              member_id: idOf(f, 'Kai'),
              amount: 15,
            },
          ])
          .execute();

        const result = await resetAllowances(db, f.services, f.organizationId, {
          at: new Date(at),
        });

        expect(result).toEqual({ done: 3, opened: 3 });
        const ana = idOf(f, 'Ana');
        const li = idOf(f, 'Li');
        const kai = idOf(f, 'Kai');
        const memo = `${cadence} allowance from ${firstDay}`;
        expect(await allowanceTransfers(f.organizationId)).toEqual([
          {
            key: periodKey(ana, cadence, firstDay),
            kind: 'allowance_grant',
            amount: 40,
            member_id: ana,
            debit: 'allowance_pool',
            credit: 'allowance',
            memo,
          },
          {
            key: periodKey(li, cadence, firstDay),
            kind: 'allowance_grant',
            amount: 65,
            member_id: li,
            debit: 'allowance_pool',
            credit: 'allowance',
            memo,
          },
          {
            key: periodKey(kai, cadence, firstDay),
            kind: 'allowance_grant',
            amount: 15,
            member_id: kai,
            debit: 'allowance_pool',
            credit: 'allowance',
            memo,
          },
        ]);
        expect(await allowanceLeft(f.services, f.organizationId, ana)).toBe(40);
        expect(await allowanceLeft(f.services, f.organizationId, li)).toBe(65);
        expect(await allowanceLeft(f.services, f.organizationId, kai)).toBe(15);
      },
    );

    it('opens the next period exactly at local midnight (Auckland, 11:00 UTC)', async () => {
      const f = await organization({ timezone: 'Pacific/Auckland', members: { Ana: {} } });
      const ana = idOf(f, 'Ana');
      const before = await resetAllowances(db, f.services, f.organizationId, {
        at: new Date('2026-03-31T10:59:59.999Z'),
      });
      const after = await resetAllowances(db, f.services, f.organizationId, {
        at: new Date('2026-03-31T11:00:00.000Z'),
      });
      expect([before, after]).toEqual([
        { done: 1, opened: 1 },
        { done: 1, opened: 1 },
      ]);
      expect(await openingKeys(f.organizationId)).toEqual([
        periodKey(ana, 'monthly', '2026-03-01'),
        periodKey(ana, 'monthly', '2026-04-01'),
      ]);
      // The default rollover cap is 0: March's 100 expire when April's 100 are granted.
      expect(
        (await allowanceTransfers(f.organizationId)).map((t) => [t.key, t.kind, t.amount, t.memo]),
      ).toEqual([
        [
          periodKey(ana, 'monthly', '2026-03-01'),
          'allowance_grant',
          100,
          'monthly allowance from 2026-03-01',
        ],
        [
          periodKey(ana, 'monthly', '2026-04-01'),
          'allowance_expire',
          100,
          'unused before 2026-04-01',
        ],
        [
          periodKey(ana, 'monthly', '2026-04-01'),
          'allowance_grant',
          100,
          'monthly allowance from 2026-04-01',
        ],
      ]);
      expect(await allowanceLeft(f.services, f.organizationId, ana)).toBe(100);
    });
  });

  describe('rollover', () => {
    const MAY = new Date('2026-05-10T12:00:00Z');
    const JUNE = new Date('2026-06-01T00:00:00Z');

    // Ana spends 20 of May's 100 (80 left), Li 90 (10 left), Kai nothing (100 left).
    it.each([
      { cap: 0, expired: [80, 10, 100], after: [100, 100, 100] },
      { cap: 30, expired: [50, 0, 70], after: [130, 110, 130] },
      { cap: 500, expired: [0, 0, 0], after: [180, 110, 200] },
    ])(
      'with a rollover cap of $cap, expires what exceeds it and adds the new grant',
      async ({ cap, expired, after }) => {
        const f = await organization({
          timezone: 'UTC',
          members: { Ana: {}, Li: {}, Kai: {} },
          settings: { rollover_cap: cap },
        });
        const ids = ['Ana', 'Li', 'Kai'].map((name) => idOf(f, name));
        expect(await resetAllowances(db, f.services, f.organizationId, { at: MAY })).toEqual({
          done: 3,
          opened: 3,
        });
        await spend(f, ids[0] as number, 20);
        await spend(f, ids[1] as number, 90);

        expect(await resetAllowances(db, f.services, f.organizationId, { at: JUNE })).toEqual({
          done: 3,
          opened: 3,
        });

        const june = (await allowanceTransfers(f.organizationId)).filter((t) =>
          t.key.endsWith(':monthly:2026-06-01'),
        );
        const expected = ids.flatMap((id, index) => [
          ...((expired[index] as number) > 0
            ? [
                {
                  key: periodKey(id, 'monthly', '2026-06-01'),
                  kind: 'allowance_expire',
                  amount: expired[index],
                  member_id: id,
                  debit: 'allowance',
                  credit: 'allowance_expired',
                  memo: 'unused before 2026-06-01',
                },
              ]
            : []),
          {
            key: periodKey(id, 'monthly', '2026-06-01'),
            kind: 'allowance_grant',
            amount: 100,
            member_id: id,
            debit: 'allowance_pool',
            credit: 'allowance',
            memo: 'monthly allowance from 2026-06-01',
          },
        ]);
        expect(june).toEqual(expected);
        for (const [index, id] of ids.entries()) {
          expect(await allowanceLeft(f.services, f.organizationId, id), `member ${index}`).toBe(
            after[index],
          );
        }
        const org = await f.services.ledger.organizationAccounts(f.organizationId);
        const orgBalances = await f.services.ledger.balances([
          org.allowance_expired.id,
          org.allowance_pool.id,
          org.allowance_spent.id,
        ]);
        expect(orgBalances.get(org.allowance_expired.id)?.creditsPosted).toBe(
          expired.reduce((sum, amount) => sum + amount, 0),
        );
        expect(orgBalances.get(org.allowance_pool.id)?.debitsPosted).toBe(600);
        expect(orgBalances.get(org.allowance_spent.id)?.creditsPosted).toBe(110);
      },
    );

    it('carries over what givers left this period into the next, by the database clock', async () => {
      const f = await organization({
        timezone: 'UTC',
        members: { Ana: {}, Li: {}, José: {}, Kai: {} },
        settings: { rollover_cap: 30 },
      });
      // No `at`: the job opens the period the database clock is in.
      expect(await resetAllowances(db, f.services, f.organizationId)).toEqual({
        done: 4,
        opened: 4,
      });
      const { settings, now } = await f.services.settings.load(f.organizationId);
      const current = allowancePeriodAt(now, settings.allowanceCadence, settings.timezone);
      const ana = idOf(f, 'Ana');
      expect(await openingKeys(f.organizationId)).toContain(allowancePeriodKey(ana, current));
      // The gives' own lazy openings find the period opened by the job.
      expect((await f.kudos('Ana', '@Li 20 for the review')).outcome).toBe('ok');
      expect((await f.kudos('Li', '@José 90 for the launch')).outcome).toBe('ok');

      const next = allowancePeriodAt(current.end, settings.allowanceCadence, settings.timezone);
      expect(await resetAllowances(db, f.services, f.organizationId, { at: next.start })).toEqual({
        done: 4,
        opened: 4,
      });

      const left = async (name: string) =>
        allowanceLeft(f.services, f.organizationId, idOf(f, name));
      expect(await left('Ana')).toBe(130); // 80 left, 50 expire, 30 carried
      expect(await left('Li')).toBe(110); // 10 left, all carried
      expect(await left('José')).toBe(130);
      expect(await left('Kai')).toBe(130);
      const expiries = (await allowanceTransfers(f.organizationId))
        .filter((t) => t.kind === 'allowance_expire')
        .map((t) => [t.member_id, t.amount, t.key]);
      expect(expiries).toEqual([
        [ana, 50, allowancePeriodKey(ana, next)],
        [idOf(f, 'José'), 70, allowancePeriodKey(idOf(f, 'José'), next)],
        [idOf(f, 'Kai'), 70, allowancePeriodKey(idOf(f, 'Kai'), next)],
      ]);
      // Earned points are not allowance: a reset leaves them alone.
      const liEarned = await f.services.ledger.memberAccounts(f.organizationId, idOf(f, 'Li'));
      const earned = await f.services.ledger.balances([liEarned.earned.id]);
      expect(earned.get(liEarned.earned.id)?.available).toBe(20);
    });
  });

  describe('proration', () => {
    // April 2026 in UTC: 30 days from 2026-04-01T00:00Z.
    const APRIL = new Date('2026-04-20T00:00:00Z');

    it('grants a member who joined mid-period the share of the time left, rounded down', async () => {
      const f = await organization({
        timezone: 'UTC',
        members: { Early: {}, AtStart: {}, Mid: {}, Late: {}, Boss: { roles: ['admin'] } },
        settings: { prorate_new_members: true },
      });
      await db
        .insertInto('allowance_overrides')
        .values({ organization_id: f.organizationId, role: 'admin', member_id: null, amount: 90 })
        .execute();
      await setJoined(idOf(f, 'Early'), '2026-03-15T09:00:00Z');
      await setJoined(idOf(f, 'AtStart'), '2026-04-01T00:00:00Z');
      await setJoined(idOf(f, 'Mid'), '2026-04-11T00:00:00Z'); // 20 of 30 days left
      await setJoined(idOf(f, 'Late'), '2026-04-25T12:00:00Z'); // 5.5 of 30 days left
      await setJoined(idOf(f, 'Boss'), '2026-04-11T00:00:00Z');

      expect(await resetAllowances(db, f.services, f.organizationId, { at: APRIL })).toEqual({
        done: 5,
        opened: 5,
      });

      const grants = Object.fromEntries(
        await Promise.all(
          ['Early', 'AtStart', 'Mid', 'Late', 'Boss'].map(async (name) => [
            name,
            await allowanceLeft(f.services, f.organizationId, idOf(f, name)),
          ]),
        ),
      );
      expect(grants).toEqual({
        Early: 100,
        AtStart: 100,
        Mid: 66, // floor(100 × 20/30)
        Late: 18, // floor(100 × 5.5/30)
        Boss: 60, // floor(90 × 20/30)
      });
    });

    it('grants the full allowance to a member who joined mid-period when proration is off', async () => {
      const f = await organization({ timezone: 'UTC', members: { Mid: {}, Late: {} } });
      await setJoined(idOf(f, 'Mid'), '2026-04-11T00:00:00Z');
      await setJoined(idOf(f, 'Late'), '2026-04-25T12:00:00Z');
      await resetAllowances(db, f.services, f.organizationId, { at: APRIL });
      expect(await allowanceLeft(f.services, f.organizationId, idOf(f, 'Mid'))).toBe(100);
      expect(await allowanceLeft(f.services, f.organizationId, idOf(f, 'Late'))).toBe(100);
    });

    it('the lazy opening on a first give grants what the job grants', async () => {
      const f = await organization({
        timezone: 'UTC',
        members: { Lazy: {}, Job: {}, Old: {} },
        settings: { prorate_new_members: true },
      });
      await setJoined(idOf(f, 'Lazy'), '2026-04-11T00:00:00Z');
      await setJoined(idOf(f, 'Job'), '2026-04-11T00:00:00Z');
      await setJoined(idOf(f, 'Old'), '2026-01-11T00:00:00Z');
      const { settings } = await f.services.settings.load(f.organizationId);
      const period = allowancePeriodAt(APRIL, settings.allowanceCadence, settings.timezone);
      const lazy = await reloadMember(f.organizationId, idOf(f, 'Lazy'));
      await f.services.periods.open(settings, lazy, period);

      expect(await resetAllowances(db, f.services, f.organizationId, { at: APRIL })).toEqual({
        done: 3,
        opened: 2,
      });

      const transfers = await allowanceTransfers(f.organizationId);
      expect(transfers.map((t) => [t.member_id, t.kind, t.amount, t.key])).toEqual([
        [lazy.id, 'allowance_grant', 66, allowancePeriodKey(lazy.id, period)],
        [idOf(f, 'Job'), 'allowance_grant', 66, allowancePeriodKey(idOf(f, 'Job'), period)],
        [idOf(f, 'Old'), 'allowance_grant', 100, allowancePeriodKey(idOf(f, 'Old'), period)],
      ]);
    });

    it('prorates by the real length of a period with a DST change (Auckland, April 2026)', async () => {
      // April in Auckland runs from 2026-03-31T11:00Z (NZDT) to 2026-04-30T12:00Z (NZST):
      // 721 hours. Joining at 2026-04-16T00:00Z leaves 348 of them: floor(1000 × 348/721)
      // = 482 (a 720-hour month would give 483).
      const f = await organization({
        timezone: 'Pacific/Auckland',
        members: { Lazy: {}, Job: {} },
        settings: { prorate_new_members: true, allowance_amount: 1000 },
      });
      await setJoined(idOf(f, 'Lazy'), '2026-04-16T00:00:00Z');
      await setJoined(idOf(f, 'Job'), '2026-04-16T00:00:00Z');
      const at = new Date('2026-04-20T00:00:00Z');
      const { settings } = await f.services.settings.load(f.organizationId);
      const period = allowancePeriodAt(at, settings.allowanceCadence, settings.timezone);
      expect(period.start.toISOString()).toBe('2026-03-31T11:00:00.000Z');
      expect(period.end.toISOString()).toBe('2026-04-30T12:00:00.000Z');
      await f.services.periods.open(
        settings,
        await reloadMember(f.organizationId, idOf(f, 'Lazy')),
        period,
      );
      await resetAllowances(db, f.services, f.organizationId, { at });
      expect(await allowanceLeft(f.services, f.organizationId, idOf(f, 'Lazy'))).toBe(482);
      expect(await allowanceLeft(f.services, f.organizationId, idOf(f, 'Job'))).toBe(482);
    });
  });

  describe('exactly once', () => {
    const MARCH = new Date('2026-03-15T12:00:00Z');
    const APRIL = new Date('2026-04-15T12:00:00Z');

    it('a second run opens nothing and changes nothing', async () => {
      const f = await organization({ timezone: 'UTC', members: {} });
      const ids = await insertMembers(f.organizationId, 10);
      expect(await resetAllowances(db, f.services, f.organizationId, { at: APRIL })).toEqual({
        done: 10,
        opened: 10,
      });
      const rowsBefore = await countRows(db, f.organizationId);
      const balancesBefore = await Promise.all(
        ids.map((id) => allowanceLeft(f.services, f.organizationId, id)),
      );

      // Another process, sharing no cache with the first.
      const other = createRecognitionServices(db);
      expect(await resetAllowances(db, other, f.organizationId, { at: APRIL })).toEqual({
        done: 10,
        opened: 0,
      });
      expect(await countRows(db, f.organizationId)).toEqual(rowsBefore);
      expect(
        await Promise.all(ids.map((id) => allowanceLeft(f.services, f.organizationId, id))),
      ).toEqual(balancesBefore);
      expect(balancesBefore).toEqual(ids.map(() => 100));
    });

    it('runs at the same time open each member’s period once between them', async () => {
      const f = await organization({ timezone: 'UTC', members: {} });
      const ids = await insertMembers(f.organizationId, 40);
      // March is open for everyone, so April's openings both expire and grant.
      await resetAllowances(db, f.services, f.organizationId, { at: MARCH });
      await spend(f, ids[0] as number, 30);

      const runs = await Promise.all([
        resetAllowances(db, f.services, f.organizationId, { at: APRIL, batchSize: 7 }),
        resetAllowances(db, f.services, f.organizationId, { at: APRIL, batchSize: 7 }),
        resetAllowances(db, createRecognitionServices(db), f.organizationId, {
          at: APRIL,
          batchSize: 7,
        }),
      ]);

      expect(runs.map((run) => run.done)).toEqual([40, 40, 40]);
      expect(runs.reduce((sum, run) => sum + run.opened, 0)).toBe(40);
      const april = (await allowanceTransfers(f.organizationId)).filter((t) =>
        t.key.endsWith(':monthly:2026-04-01'),
      );
      const perKey = new Map<string, string[]>();
      for (const t of april) perKey.set(t.key, [...(perKey.get(t.key) ?? []), t.kind]);
      expect(perKey.size).toBe(40);
      for (const id of ids) {
        expect(perKey.get(periodKey(id, 'monthly', '2026-04-01')), `member ${id}`).toEqual([
          'allowance_expire',
          'allowance_grant',
        ]);
      }
      expect(april.filter((t) => t.kind === 'allowance_expire').map((t) => t.amount)).toEqual(
        ids.map((_, index) => (index === 0 ? 70 : 100)),
      );
      expect(
        await Promise.all(ids.map((id) => allowanceLeft(f.services, f.organizationId, id))),
      ).toEqual(ids.map(() => 100));
    });

    it('does not grant again periods opened lazily, and reports the rest as opened', async () => {
      const f = await organization({ timezone: 'UTC', members: {} });
      const ids = await insertMembers(f.organizationId, 6);
      const { settings } = await f.services.settings.load(f.organizationId);
      const period = allowancePeriodAt(APRIL, settings.allowanceCadence, settings.timezone);
      for (const id of [ids[1], ids[4]] as number[]) {
        await f.services.periods.open(settings, await reloadMember(f.organizationId, id), period);
      }
      const requests = () =>
        db
          .selectFrom('ledger_requests')
          .select(['id', 'idempotency_key', 'request_hash'])
          .where('organization_id', '=', f.organizationId)
          .orderBy('id')
          .execute();
      const lazy = await requests();
      expect(lazy).toHaveLength(2);

      expect(await resetAllowances(db, f.services, f.organizationId, { at: APRIL })).toEqual({
        done: 6,
        opened: 4,
      });

      const grants = (await allowanceTransfers(f.organizationId)).filter(
        (t) => t.kind === 'allowance_grant',
      );
      expect(grants.map((t) => t.key).sort()).toEqual(
        ids.map((id) => allowancePeriodKey(id, period)).sort(),
      );
      // The lazy openings' requests stand as they were made; the job made only the others.
      const after = await requests();
      expect(after.slice(0, 2)).toEqual(lazy);
      expect(after).toHaveLength(6);
      for (const id of ids) {
        expect(await allowanceLeft(f.services, f.organizationId, id)).toBe(100);
      }
    });

    it('stores an opening under one request hash, whether a first give or the job made it', async () => {
      const f = await organization({ timezone: 'UTC', members: {} });
      const [lazyId, jobId] = (await insertMembers(f.organizationId, 2)) as [number, number];
      const { settings } = await f.services.settings.load(f.organizationId);
      const period = allowancePeriodAt(APRIL, settings.allowanceCadence, settings.timezone);
      await f.services.periods.open(settings, await reloadMember(f.organizationId, lazyId), period);
      await resetAllowances(db, f.services, f.organizationId, { at: APRIL });

      const rows = await db
        .selectFrom('ledger_requests')
        .select(['idempotency_key', 'request_hash'])
        .where('organization_id', '=', f.organizationId)
        .orderBy('idempotency_key')
        .execute();
      const expected = await Promise.all(
        [lazyId, jobId].map(async (id) => ({
          idempotency_key: allowancePeriodKey(id, period),
          request_hash: periodOpeningHash({
            accountId: (await f.services.ledger.memberAccounts(f.organizationId, id)).allowance.id,
          }),
        })),
      );
      expect(rows).toEqual(
        expected.sort((a, b) => a.idempotency_key.localeCompare(b.idempotency_key)),
      );
    });

    it('fails for good, naming it, on a period key used for a different request, and opens the rest', async () => {
      const f = await organization({ timezone: 'UTC', members: {} });
      const ids = await insertMembers(f.organizationId, 5);
      const taken = ids[2] as number;
      const { settings } = await f.services.settings.load(f.organizationId);
      const period = allowancePeriodAt(APRIL, settings.allowanceCadence, settings.timezone);
      const org = await f.services.ledger.organizationAccounts(f.organizationId);
      const accounts = await f.services.ledger.memberAccounts(f.organizationId, taken);
      const other = await f.services.ledger.transfer({
        organizationId: f.organizationId,
        idempotencyKey: allowancePeriodKey(taken, period),
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

      const run = resetAllowances(db, f.services, f.organizationId, { at: APRIL, batchSize: 2 });
      await expect(run).rejects.toBeInstanceOf(PermanentJobFailure);
      await expect(run).rejects.toThrow(
        `organization ${f.organizationId}: 1 period openings were refused, their keys used for a different request: ${allowancePeriodKey(taken, period)}`,
      );
      for (const id of ids) {
        expect(await allowanceLeft(f.services, f.organizationId, id), `member ${id}`).toBe(
          id === taken ? 7 : 100,
        );
      }
    });

    it('a job racing first gives opens each period once', async () => {
      const f = await organization({ timezone: 'UTC', members: {} });
      await insertMembers(f.organizationId, 12);
      const members = await listMembers(db, f.organizationId);
      await resetAllowances(db, f.services, f.organizationId, { at: MARCH });
      const { settings } = await f.services.settings.load(f.organizationId);
      const period = allowancePeriodAt(APRIL, settings.allowanceCadence, settings.timezone);

      const [run, ...lazy] = await Promise.all([
        resetAllowances(db, f.services, f.organizationId, { at: APRIL, batchSize: 3 }),
        // Each give in its own process: no shared cache of opened periods.
        ...members.map((member) =>
          new AllowancePeriods(createRecognitionServices(db).ledger).open(settings, member, period),
        ),
      ]);

      const april = (await allowanceTransfers(f.organizationId)).filter((t) =>
        t.key.endsWith(':monthly:2026-04-01'),
      );
      for (const member of members) {
        const own = april.filter((t) => t.member_id === member.id).map((t) => [t.kind, t.amount]);
        expect(own, `member ${member.id}`).toEqual([
          ['allowance_expire', 100],
          ['allowance_grant', 100],
        ]);
        expect(await allowanceLeft(f.services, f.organizationId, member.id)).toBe(100);
      }
      // Each opening is counted by whoever made it: the job, or the give that was first.
      expect(await openingsOf(f.organizationId, '2026-04-01')).toBe(members.length);
      expect((run as ResetProgress).opened + lazy.filter((opened) => opened === true).length).toBe(
        members.length,
      );
    });

    it('batches written in parallel, by runs racing each other and first gives, open each period once', async () => {
      const f = await organization({ timezone: 'UTC', members: {} });
      const ids = await insertMembers(f.organizationId, 60);
      const members = await listMembers(db, f.organizationId);
      await resetAllowances(db, f.services, f.organizationId, {
        at: MARCH,
        batchSize: 8,
        parallelBatches: 3,
      });
      await spend(f, ids[0] as number, 30);
      const { settings } = await f.services.settings.load(f.organizationId);
      const period = allowancePeriodAt(APRIL, settings.allowanceCadence, settings.timezone);

      // Pages of different sizes: one run's batch overlaps two of another's.
      const [first, second, ...lazy] = await Promise.all([
        resetAllowances(db, f.services, f.organizationId, {
          at: APRIL,
          batchSize: 7,
          parallelBatches: 2,
        }),
        resetAllowances(db, createRecognitionServices(db), f.organizationId, {
          at: APRIL,
          batchSize: 3,
          parallelBatches: 4,
        }),
        ...members
          .filter((_, index) => index % 5 === 0)
          .map((member) =>
            new AllowancePeriods(createRecognitionServices(db).ledger).open(
              settings,
              member,
              period,
            ),
          ),
      ]);

      const april = (await allowanceTransfers(f.organizationId)).filter((t) =>
        t.key.endsWith(':monthly:2026-04-01'),
      );
      for (const [index, id] of ids.entries()) {
        const own = april.filter((t) => t.member_id === id).map((t) => [t.kind, t.amount]);
        expect(own, `member ${id}`).toEqual([
          ['allowance_expire', index === 0 ? 70 : 100],
          ['allowance_grant', 100],
        ]);
        expect(await allowanceLeft(f.services, f.organizationId, id)).toBe(100);
      }
      const [one, two] = [first, second] as [ResetProgress, ResetProgress];
      expect([one.done, two.done]).toEqual([60, 60]);
      expect(await openingsOf(f.organizationId, '2026-04-01')).toBe(60);
      expect(one.opened + two.opened + lazy.filter((opened) => opened === true).length).toBe(60);
    });
  });

  describe('who is reset', () => {
    const APRIL = new Date('2026-04-15T12:00:00Z');

    it('skips deactivated members and bots, and guests unless guests may participate', async () => {
      const f = await organization({
        timezone: 'UTC',
        members: { Ana: {}, Guest: { isGuest: true }, Bot: { isBot: true }, Gone: {} },
      });
      await db
        .updateTable('members')
        .set({ status: 'deactivated' })
        .where('id', '=', idOf(f, 'Gone'))
        .execute();

      expect(await resetAllowances(db, f.services, f.organizationId, { at: APRIL })).toEqual({
        done: 1,
        opened: 1,
      });
      expect(await openingKeys(f.organizationId)).toEqual([
        periodKey(idOf(f, 'Ana'), 'monthly', '2026-04-01'),
      ]);

      await db
        .updateTable('recognition_settings')
        .set({ guests_may_participate: true })
        .where('organization_id', '=', f.organizationId)
        .execute();
      f.services.settings.invalidate(f.organizationId);

      expect(await resetAllowances(db, f.services, f.organizationId, { at: APRIL })).toEqual({
        done: 2,
        opened: 1,
      });
      expect(await openingKeys(f.organizationId)).toEqual(
        [
          periodKey(idOf(f, 'Ana'), 'monthly', '2026-04-01'),
          periodKey(idOf(f, 'Guest'), 'monthly', '2026-04-01'),
        ].sort(),
      );
      expect(await allowanceLeft(f.services, f.organizationId, idOf(f, 'Guest'))).toBe(100);
      // Nobody made accounts for those the job skipped.
      const skippedAccounts = await db
        .selectFrom('ledger_accounts')
        .select('id')
        .where('organization_id', '=', f.organizationId)
        .where('member_id', 'in', [idOf(f, 'Bot'), idOf(f, 'Gone')])
        .execute();
      expect(skippedAccounts).toEqual([]);
    });
  });

  describe('progress', () => {
    it('is reported after each batch, up to the member count', async () => {
      const f = await organization({ timezone: 'UTC', members: {} });
      const ids = await insertMembers(f.organizationId, 8);
      const at = new Date('2026-04-15T12:00:00Z');
      const { settings } = await f.services.settings.load(f.organizationId);
      const period = allowancePeriodAt(at, settings.allowanceCadence, settings.timezone);
      // The second member of the first batch and the first of the third opened lazily.
      for (const id of [ids[1], ids[6]] as number[]) {
        await f.services.periods.open(settings, await reloadMember(f.organizationId, id), period);
      }

      const reports: Array<ResetProgress & { openedInLedger: number }> = [];
      const result = await resetAllowances(db, f.services, f.organizationId, {
        at,
        batchSize: 3,
        onProgress: async (progress) => {
          // Reported once the batch is written (two were opened lazily before).
          const openedInLedger = (await openingsOf(f.organizationId, period.firstDay)) - 2;
          reports.push({ ...progress, openedInLedger });
        },
      });

      expect(reports).toEqual([
        { done: 3, opened: 2, openedInLedger: 2 },
        { done: 6, opened: 5, openedInLedger: 5 },
        { done: 8, opened: 6, openedInLedger: 6 },
      ]);
      expect(result).toEqual({ done: 8, opened: 6 });
    });

    it('with parallel batches, is reported as batches commit, never ahead of the ledger, ending at the totals', async () => {
      const f = await organization({ timezone: 'UTC', members: {} });
      await insertMembers(f.organizationId, 11);
      const reports: Array<ResetProgress & { openedInLedger: number }> = [];
      let reporting = 0;
      const result = await resetAllowances(db, f.services, f.organizationId, {
        at: new Date('2026-04-15T12:00:00Z'),
        batchSize: 3,
        parallelBatches: 2,
        onProgress: async (progress) => {
          reporting++;
          expect(reporting, 'one report at a time').toBe(1);
          const openedInLedger = await openingsOf(f.organizationId, '2026-04-01');
          reports.push({ ...progress, openedInLedger });
          reporting--;
        },
      });

      expect(result).toEqual({ done: 11, opened: 11 });
      expect(reports).toHaveLength(4);
      expect(reports.at(-1)).toMatchObject(result);
      for (const [index, report] of reports.entries()) {
        expect(report.done).toBeGreaterThan(reports[index - 1]?.done ?? 0);
        expect(report.opened).toBe(report.done);
        expect(report.openedInLedger).toBeGreaterThanOrEqual(report.opened);
      }
    });

    it('is reported once per full batch when the count is a multiple of the batch size', async () => {
      const f = await organization({ timezone: 'UTC', members: {} });
      await insertMembers(f.organizationId, 6);
      const reports: ResetProgress[] = [];
      const result = await resetAllowances(db, f.services, f.organizationId, {
        at: new Date('2026-04-15T12:00:00Z'),
        batchSize: 3,
        onProgress: async (progress) => {
          reports.push(progress);
        },
      });
      expect(reports).toEqual([
        { done: 3, opened: 3 },
        { done: 6, opened: 6 },
      ]);
      expect(result).toEqual({ done: 6, opened: 6 });
    });
  });
});
