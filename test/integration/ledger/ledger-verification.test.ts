import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../../src/db/database.ts';
import { checkAccounts } from '../../../src/ledger/account-checks.ts';
import { describeViolation, type LedgerViolation } from '../../../src/ledger/ledger-violations.ts';
import {
  inSnapshot,
  verifyLedger,
  verifyOrganization,
} from '../../../src/verification/ledger-verification.ts';
import { DIALECTS, openTestDatabase } from '../../support/databases.ts';
import { createFreshDatabase, type FreshDatabase } from '../../support/fresh-database.ts';
import {
  chargeAgain,
  nudgeBalanceRow,
  pastTheTriggers,
  populatedOrganization,
  transferWithoutBalances,
} from '../../support/ledger-corruption.ts';
import { createLedgerFixture, fund } from '../../support/ledger-fixture.ts';

/** What a violation names: its kind and the row, without the figures. */
const named = (violation: LedgerViolation) => [
  violation.kind,
  violation.row ? `${violation.row.table} ${violation.row.id}` : violation.subject,
];

/**
 * The verifier on a database of the test's own (the corruptions drop a constraint, and a
 * whole-database verification must not meet other tests' organizations).
 */
describe.each(DIALECTS)('the ledger verification on %s', (dialect) => {
  let db: Database;
  let fresh: FreshDatabase | undefined;
  beforeAll(async () => {
    if (dialect === 'postgres') {
      fresh = await createFreshDatabase('verify', { migrated: true });
      db = await openDatabase({ url: fresh.url, poolSize: 4 });
    } else {
      db = await openTestDatabase('pglite');
    }
  });
  afterAll(async () => {
    await db?.destroy();
    await fresh?.drop();
  });

  it('finds nothing wrong in a ledger that has seen gives, holds, fulfilments and rejections', async () => {
    const { organizationId } = await populatedOrganization(db);
    const found = await verifyOrganization(db, organizationId);
    expect(found.violations.map(describeViolation)).toEqual([]);
    expect(found.total).toBe(0);
    expect(found.sums).toEqual([
      { asset: 'allowance', posted: 0, pending: 0 },
      { asset: 'points', posted: 0, pending: 0 },
    ]);
  });

  it('names each row that a hand-made corruption breaks, and counts them', async () => {
    const clean = await populatedOrganization(db);
    const nudged = await populatedOrganization(db);
    await nudgeBalanceRow(db, nudged.ana.earned, 5);
    const overdrawn = await populatedOrganization(db);
    const issuance = await db
      .selectFrom('ledger_accounts')
      .select('id')
      .where('organization_id', '=', overdrawn.organizationId)
      .where('code', '=', 'issuance')
      .executeTakeFirstOrThrow();
    // Ana holds 40: a 999,999-point debit written past the balance trigger.
    await transferWithoutBalances(db, overdrawn.organizationId, {
      debit: overdrawn.ana.earned,
      credit: issuance.id,
      amount: 999_999,
    });
    const twiceCharged = await populatedOrganization(db);
    await chargeAgain(db, twiceCharged.fulfilled, { dropUniqueCharge: true });
    const rejectedCharged = await populatedOrganization(db);
    await chargeAgain(db, rejectedCharged.rejected, { dropUniqueCharge: false });
    const rowless = await populatedOrganization(db);
    await pastTheTriggers(db, (trx) =>
      trx.deleteFrom('ledger_balances').where('account_id', '=', rowless.ana.allowance).execute(),
    );
    // HR's decision written past the ledger: the hold is still pending, nothing billed.
    const markedFulfilled = await populatedOrganization(db);
    await db
      .updateTable('redemptions')
      .set({ status: 'fulfilled', resolved_at: new Date() })
      .where('id', '=', markedFulfilled.held)
      .execute();

    const seen: LedgerViolation[] = [];
    const result = await verifyLedger(db, { onViolation: (violation) => seen.push(violation) });

    const byOrganization = (organizationId: number) =>
      seen.filter((violation) => violation.organizationId === organizationId).map(named);
    expect(byOrganization(clean.organizationId)).toEqual([]);
    expect(byOrganization(nudged.organizationId)).toEqual([
      ['asset_not_zero', 'points'],
      ['balance_row_mismatch', `ledger_accounts ${nudged.ana.earned}`],
      ['liability_mismatch', 'points outstanding: members’ earned and held points'],
    ]);
    expect(byOrganization(overdrawn.organizationId)).toEqual([
      ['asset_not_zero', 'points'],
      ['balance_row_mismatch', `ledger_accounts ${overdrawn.ana.earned}`],
      ['limited_account_negative', `ledger_accounts ${overdrawn.ana.earned}`],
      ['liability_mismatch', 'points outstanding: members’ earned and held points'],
    ]);
    expect(byOrganization(twiceCharged.organizationId)).toEqual([
      ['charge_count', `redemptions ${twiceCharged.fulfilled}`],
    ]);
    expect(byOrganization(rejectedCharged.organizationId)).toEqual([
      ['charge_count', `redemptions ${rejectedCharged.rejected}`],
    ]);
    expect(byOrganization(rowless.organizationId)).toEqual([
      ['balance_row_missing', `ledger_accounts ${rowless.ana.allowance}`],
    ]);
    const redeemed = await db
      .selectFrom('ledger_accounts')
      .select(['id', 'code'])
      .where('organization_id', '=', markedFulfilled.organizationId)
      .where('code', 'in', ['redeemed', 'redemption_hold'])
      .execute();
    const idOf = (code: string) => redeemed.find((account) => account.code === code)?.id;
    expect(byOrganization(markedFulfilled.organizationId)).toEqual([
      ['charge_count', `redemptions ${markedFulfilled.held}`],
      ['hold_status_mismatch', `redemptions ${markedFulfilled.held}`],
      ['redeemed_mismatch', `ledger_accounts ${idOf('redeemed')}`],
      ['redemption_hold_mismatch', `ledger_accounts ${idOf('redemption_hold')}`],
    ]);

    const lines = seen.map(describeViolation);
    expect(lines).toContain(
      `organization ${overdrawn.organizationId}: limited_account_negative at ledger_accounts ${overdrawn.ana.earned} (earned of member ${overdrawn.f.members.Ana?.id}): expected at least 0 available by its transfers, found -999959 available (debits 1000099 posted + 100 pending, credits 240 posted + 0 pending)`,
    );
    expect(lines).toContain(
      `organization ${twiceCharged.organizationId}: charge_count at redemptions ${twiceCharged.fulfilled} (fulfilled redemption): expected 1 charges, found 2 charges`,
    );
    expect(lines).toContain(
      `organization ${rejectedCharged.organizationId}: charge_count at redemptions ${rejectedCharged.rejected} (rejected redemption): expected 0 charges, found 1 charges`,
    );
    expect(result.violations).toBe(seen.length);
    expect(result.byOrganization).toEqual(
      new Map([
        [nudged.organizationId, 3],
        [overdrawn.organizationId, 4],
        [twiceCharged.organizationId, 1],
        [rejectedCharged.organizationId, 1],
        [rowless.organizationId, 1],
        [markedFulfilled.organizationId, 4],
      ]),
    );
    expect(result.organizations).toBeGreaterThanOrEqual(7);
  });
});

describe('the ledger verification and writers on postgres', () => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase('postgres');
  });
  afterAll(async () => {
    await db?.destroy();
  });

  it('lets a give through while its snapshot is open, and does not see it', async () => {
    const f = await createLedgerFixture(db, 1);
    const [member] = f.members as [(typeof f.members)[0]];
    await fund(f, member, { points: 40 });
    const seen = await inSnapshot(db, async (trx) => {
      const before = await checkAccounts(trx, f.organizationId);
      // Another connection writes the rows the verification has just read.
      await fund(f, member, { points: 5 });
      const after = await checkAccounts(trx, f.organizationId);
      return { before, after };
    });
    expect(seen.before.violations).toEqual([]);
    // One snapshot: the give that committed meanwhile is not half seen.
    expect(seen.after).toEqual(seen.before);
    const balances = await f.ledger.balances([member.earned.id]);
    expect(balances.get(member.earned.id)?.available).toBe(45);
    expect((await verifyOrganization(db, f.organizationId)).total).toBe(0);
  });
});
