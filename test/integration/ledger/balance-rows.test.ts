import { type RawBuilder, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/database.ts';
import { DIALECTS, openTestDatabase } from '../../support/databases.ts';
import {
  createLedgerFixture,
  fund,
  key,
  type LedgerFixture,
} from '../../support/ledger-fixture.ts';
import { balancesThatDisagreeWithTransfers, countRows } from '../../support/ledger-invariants.ts';

/**
 * The database moves the limited accounts' balance rows with their transfers (migration
 * 0016), so a transfer written past the ledger's code (by hand, or by a code path that
 * forgot them) cannot leave them apart, nor overdraw an account.
 */
describe.each(DIALECTS)('balance rows follow their transfers on %s', (dialect) => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase(dialect);
  });
  afterAll(async () => {
    await db?.destroy();
  });

  /** A ledger request made by hand, for transfers inserted by hand. */
  async function handRequest(f: LedgerFixture): Promise<number> {
    const { rows } = await sql<{ id: number }>`
      insert into ledger_requests (organization_id, idempotency_key, request_hash, operation)
      values (${f.organizationId}, ${key('hand')}, 'by hand', 'transfer') returning id`.execute(db);
    return rows[0]?.id as number;
  }

  function insertTransfer(
    f: LedgerFixture,
    requestId: number,
    transfer: { debit: number; credit: number; amount: number; status: 'posted' | 'pending' },
  ) {
    return sql`
      insert into ledger_transfers (organization_id, request_id, asset, debit_account_id,
        credit_account_id, amount, kind, status)
      values (${f.organizationId}, ${requestId}, 'points', ${transfer.debit}, ${transfer.credit},
        ${transfer.amount}, 'adjustment', ${transfer.status})`.execute(db);
  }

  async function earned(f: LedgerFixture, index: number) {
    const member = f.members[index] as LedgerFixture['members'][number];
    return (await f.ledger.balances([member.earned.id])).get(member.earned.id);
  }

  it('refuses a hand-written transfer of 999,999 points from a member who holds 40', async () => {
    const f = await createLedgerFixture(db, 1);
    const [member] = f.members as [LedgerFixture['members'][number]];
    await fund(f, member, { points: 40 });
    const requestId = await handRequest(f);
    const before = await countRows(db, f.organizationId);

    await expect(
      insertTransfer(f, requestId, {
        debit: member.earned.id,
        credit: f.org.issuance.id,
        amount: 999_999,
        status: 'posted',
      }),
    ).rejects.toThrow(/debits_must_not_exceed_credits/);

    expect(await countRows(db, f.organizationId)).toEqual(before);
    expect(await earned(f, 0)).toMatchObject({ available: 40, debitsPosted: 0 });
    expect(await balancesThatDisagreeWithTransfers(db, f.organizationId)).toEqual([]);
  });

  it('moves the balance rows of a hand-written transfer and of its resolution', async () => {
    const f = await createLedgerFixture(db, 2);
    const [ana, ben] = f.members as [
      LedgerFixture['members'][number],
      LedgerFixture['members'][number],
    ];
    await fund(f, ana, { points: 40 });
    const requestId = await handRequest(f);
    await insertTransfer(f, requestId, {
      debit: ana.earned.id,
      credit: ben.earned.id,
      amount: 15,
      status: 'pending',
    });
    expect(await earned(f, 0)).toMatchObject({ available: 25, debitsPending: 15 });
    expect(await earned(f, 1)).toMatchObject({ available: 0, creditsPending: 15 });

    await sql`update ledger_transfers set status = 'posted_from_pending', resolved_at = now()
      where request_id = ${requestId}`.execute(db);
    expect(await earned(f, 0)).toMatchObject({
      available: 25,
      debitsPending: 0,
      debitsPosted: 15,
    });
    expect(await earned(f, 1)).toMatchObject({ available: 15, creditsPending: 0 });
    expect(await balancesThatDisagreeWithTransfers(db, f.organizationId)).toEqual([]);
  });

  it('keeps a balance row for every limited account, and none for an unlimited one', async () => {
    const f = await createLedgerFixture(db, 1);
    const { rows } = await sql<{ id: number }>`
      insert into members (organization_id, display_name)
      values (${f.organizationId}, 'No row') returning id`.execute(db);
    await expect(
      sql`insert into ledger_accounts (organization_id, asset, code, member_id,
          debits_must_not_exceed_credits)
        values (${f.organizationId}, 'points', 'earned', ${rows[0]?.id}, true)`.execute(db),
    ).rejects.toThrow(/is limited: its balance row is created with it, in the same statement/);
    await expect(
      sql`insert into ledger_balances (account_id, debits_must_not_exceed_credits)
        values (${f.org.redeemed.id}, true)`.execute(db),
    ).rejects.toThrow(/only a limited ledger account has a balance row/);
    // An account never changes, so an unlimited one cannot become limited without a row.
    await expect(
      sql`update ledger_accounts set debits_must_not_exceed_credits = true
        where id = ${f.org.redeemed.id}`.execute(db),
    ).rejects.toThrow(/ledger accounts never change: UPDATE/);
    await expect(
      sql`delete from ledger_accounts where id = ${f.org.redeemed.id}`.execute(db),
    ).rejects.toThrow(/ledger accounts never change: DELETE/);
  });

  it('refuses balance rows changed, removed or made without their transfers', async () => {
    const f = await createLedgerFixture(db, 1);
    const [member] = f.members as [LedgerFixture['members'][number]];
    await fund(f, member, { points: 40 });
    await expect(
      sql`update ledger_balances set credits_posted = credits_posted + 1
        where account_id = ${member.earned.id}`.execute(db),
    ).rejects.toThrow(/move only with their transfers/);
    await expect(
      sql`delete from ledger_balances where account_id = ${member.earned.id}`.execute(db),
    ).rejects.toThrow(/move only with their transfers/);
    // A balance row made with points in it.
    await expect(
      sql`insert into ledger_balances (account_id, debits_must_not_exceed_credits, credits_posted)
        values (${f.org.redeemed.id}, true, 5)`.execute(db),
    ).rejects.toThrow(/starts at zero/);
    expect(await earned(f, 0)).toMatchObject({ available: 40 });
  });

  it('refuses to truncate transfers, balance rows or accounts', async () => {
    /** Runs a statement in a transaction that is rolled back whatever it does. */
    async function rolledBack(statement: RawBuilder<unknown>): Promise<unknown> {
      const rollback = new Error('rolled back');
      try {
        await db.transaction().execute(async (trx) => {
          await statement.execute(trx);
          throw rollback;
        });
      } catch (error) {
        return error === rollback ? 'done' : error;
      }
      return 'done';
    }
    expect(String(await rolledBack(sql`truncate ledger_transfers cascade`))).toMatch(
      /ledger_transfers is append-only: it cannot be truncated/,
    );
    expect(String(await rolledBack(sql`truncate ledger_balances`))).toMatch(
      /move only with their transfers: TRUNCATE on ledger_balances refused/,
    );
    expect(String(await rolledBack(sql`truncate ledger_accounts cascade`))).toMatch(
      /ledger accounts never change: TRUNCATE/,
    );
  });
});
