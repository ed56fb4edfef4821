import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/database.ts';
import { DIALECTS, openTestDatabase } from '../../support/databases.ts';
import { createLedgerFixture, fund, holdPoints, key } from '../../support/ledger-fixture.ts';
import {
  assetSums,
  balancesThatDisagreeWithTransfers,
  countRows,
} from '../../support/ledger-invariants.ts';

describe.each(DIALECTS)('ledger rules on %s', (dialect) => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase(dialect);
  });
  afterAll(async () => {
    await db?.destroy();
  });

  it('moves a kudos as two linked transfers and keeps every asset summing to zero', async () => {
    const f = await createLedgerFixture(db, 2);
    const [giver, recipient] = f.members as [(typeof f.members)[0], (typeof f.members)[0]];
    await fund(f, giver, { allowance: 100 });
    const kudos = await f.ledger.transfer({
      organizationId: f.organizationId,
      idempotencyKey: key(),
      transfers: [
        {
          debitAccountId: giver.allowance.id,
          creditAccountId: f.org.allowance_spent.id,
          amount: 30,
          kind: 'kudos',
        },
        {
          debitAccountId: f.org.issuance.id,
          creditAccountId: recipient.earned.id,
          amount: 30,
          kind: 'kudos',
        },
      ],
    });
    expect(kudos.ok).toBe(true);
    const balances = await f.ledger.balances([
      giver.allowance.id,
      recipient.earned.id,
      f.org.issuance.id,
    ]);
    expect(balances.get(giver.allowance.id)?.available).toBe(70);
    expect(balances.get(recipient.earned.id)?.available).toBe(30);
    expect(balances.get(f.org.issuance.id)?.available).toBe(-30);
    expect(await assetSums(db, f.organizationId)).toEqual([
      { asset: 'allowance', posted: 0, pending: 0 },
      { asset: 'points', posted: 0, pending: 0 },
    ]);
    expect(await balancesThatDisagreeWithTransfers(db, f.organizationId)).toEqual([]);
  });

  it('refuses to take a member below zero and writes nothing', async () => {
    const f = await createLedgerFixture(db, 2);
    const [giver, recipient] = f.members as [(typeof f.members)[0], (typeof f.members)[0]];
    await fund(f, giver, { allowance: 10 });
    const before = await countRows(db, f.organizationId);
    const result = await f.ledger.transfer({
      organizationId: f.organizationId,
      idempotencyKey: key(),
      transfers: [
        {
          debitAccountId: f.org.issuance.id,
          creditAccountId: recipient.earned.id,
          amount: 11,
          kind: 'kudos',
        },
        {
          debitAccountId: giver.allowance.id,
          creditAccountId: f.org.allowance_spent.id,
          amount: 11,
          kind: 'kudos',
        },
      ],
    });
    expect(result).toMatchObject({ ok: false, code: 'insufficient_balance' });
    expect(!result.ok && result.message).toContain('has 10 allowance available; this needs 11');
    expect(await countRows(db, f.organizationId)).toEqual(before);
    const balances = await f.ledger.balances([giver.allowance.id, recipient.earned.id]);
    expect(balances.get(giver.allowance.id)?.available).toBe(10);
    expect(balances.get(recipient.earned.id)?.available).toBe(0);
  });

  it('has a CHECK constraint that stops a limited account going negative even past the code', async () => {
    const f = await createLedgerFixture(db, 1);
    const [member] = f.members as [(typeof f.members)[0]];
    await fund(f, member, { points: 5 });
    await expect(
      sql`update ledger_balances set debits_posted = debits_posted + 6 where account_id = ${member.earned.id}`.execute(
        db,
      ),
    ).rejects.toThrow(/debits_must_not_exceed_credits/);
    await expect(
      sql`update ledger_balances set debits_pending = debits_pending + 6 where account_id = ${member.earned.id}`.execute(
        db,
      ),
    ).rejects.toThrow(/debits_must_not_exceed_credits/);
  });

  it('has foreign keys that refuse a transfer between organizations or assets even past the code', async () => {
    const f = await createLedgerFixture(db, 1);
    const other = await createLedgerFixture(db, 1);
    const [member] = f.members as [(typeof f.members)[0]];
    const [stranger] = other.members as [(typeof other.members)[0]];
    const { rows } = await sql<{ id: number }>`
      insert into ledger_requests (organization_id, idempotency_key, request_hash, operation)
      values (${f.organizationId}, ${key()}, 'by hand', 'transfer') returning id`.execute(db);
    const requestId = rows[0]?.id as number;
    const insert = (asset: string, debitAccountId: number, creditAccountId: number) =>
      sql`
        insert into ledger_transfers (organization_id, request_id, asset, debit_account_id,
          credit_account_id, amount, kind, status)
        values (${f.organizationId}, ${requestId}, ${asset}, ${debitAccountId},
          ${creditAccountId}, 1, 'adjustment', 'posted')`.execute(db);

    await expect(insert('points', f.org.issuance.id, stranger.earned.id)).rejects.toThrow(
      /ledger_transfers_credit_account_fkey/,
    );
    await expect(insert('points', other.org.issuance.id, member.earned.id)).rejects.toThrow(
      /ledger_transfers_debit_account_fkey/,
    );
    await expect(insert('points', f.org.issuance.id, member.allowance.id)).rejects.toThrow(
      /ledger_transfers_credit_account_fkey/,
    );
    await expect(insert('allowance', f.org.issuance.id, member.allowance.id)).rejects.toThrow(
      /ledger_transfers_debit_account_fkey/,
    );
    expect(await countRows(db, f.organizationId)).toMatchObject({ transfers: 0 });
  });

  it('commits linked transfers all together or not at all', async () => {
    const f = await createLedgerFixture(db, 4);
    const [giver, a, b, c] = f.members as [
      (typeof f.members)[0],
      (typeof f.members)[0],
      (typeof f.members)[0],
      (typeof f.members)[0],
    ];
    await fund(f, giver, { allowance: 25 });
    const before = await countRows(db, f.organizationId);
    const transfers = [a, b, c].flatMap((recipient) => [
      {
        debitAccountId: giver.allowance.id,
        creditAccountId: f.org.allowance_spent.id,
        amount: 10,
        kind: 'kudos' as const,
      },
      {
        debitAccountId: f.org.issuance.id,
        creditAccountId: recipient.earned.id,
        amount: 10,
        kind: 'kudos' as const,
      },
    ]);
    const result = await f.ledger.transfer({
      organizationId: f.organizationId,
      idempotencyKey: key(),
      transfers,
    });
    expect(result).toMatchObject({ ok: false, code: 'insufficient_balance' });
    expect(await countRows(db, f.organizationId)).toEqual(before);
    const balances = await f.ledger.balances([
      a.earned.id,
      b.earned.id,
      c.earned.id,
      giver.allowance.id,
    ]);
    expect(balances.get(giver.allowance.id)?.available).toBe(25);
    for (const recipient of [a, b, c]) expect(balances.get(recipient.earned.id)?.available).toBe(0);
  });

  it('replays a repeated request and refuses the same key for a different request', async () => {
    const f = await createLedgerFixture(db, 2);
    const [giver, recipient] = f.members as [(typeof f.members)[0], (typeof f.members)[0]];
    await fund(f, giver, { allowance: 50 });
    const request = {
      organizationId: f.organizationId,
      idempotencyKey: key('slack-retry'),
      transfers: [
        {
          debitAccountId: giver.allowance.id,
          creditAccountId: f.org.allowance_spent.id,
          amount: 5,
          kind: 'kudos' as const,
        },
        {
          debitAccountId: f.org.issuance.id,
          creditAccountId: recipient.earned.id,
          amount: 5,
          kind: 'kudos' as const,
        },
      ],
    };
    const first = await f.ledger.transfer(request);
    const again = await f.ledger.transfer({ ...request, transfers: [...request.transfers] });
    expect(first.ok && again.ok).toBe(true);
    if (!first.ok || !again.ok) return;
    expect(first.value.replayed).toBe(false);
    expect(again.value).toEqual({
      requestId: first.value.requestId,
      transfers: first.value.transfers,
      replayed: true,
    });
    expect(first.value.balancesAfter?.get(giver.allowance.id)?.available).toBe(45);
    const rows = await countRows(db, f.organizationId);

    const different = await f.ledger.transfer({
      ...request,
      transfers: [
        { ...(request.transfers[0] as (typeof request.transfers)[0]), amount: 6 },
        request.transfers[1] as (typeof request.transfers)[1],
      ],
    });
    expect(different).toMatchObject({ ok: false, code: 'idempotency_conflict' });
    expect(await countRows(db, f.organizationId)).toEqual(rows);
    const balances = await f.ledger.balances([giver.allowance.id]);
    expect(balances.get(giver.allowance.id)?.available).toBe(45);
  });

  it('lets a refused request be tried again with the same key once it can succeed', async () => {
    const f = await createLedgerFixture(db, 1);
    const [member] = f.members as [(typeof f.members)[0]];
    const request = {
      organizationId: f.organizationId,
      idempotencyKey: key(),
      transfers: [
        {
          debitAccountId: member.allowance.id,
          creditAccountId: f.org.allowance_spent.id,
          amount: 5,
          kind: 'kudos' as const,
        },
      ],
    };
    expect(await f.ledger.transfer(request)).toMatchObject({
      ok: false,
      code: 'insufficient_balance',
    });
    await fund(f, member, { allowance: 5 });
    expect(await f.ledger.transfer(request)).toMatchObject({
      ok: true,
      value: { replayed: false },
    });
  });

  it('holds a pending amount at once and resolves it exactly once', async () => {
    const f = await createLedgerFixture(db, 1);
    const [member] = f.members as [(typeof f.members)[0]];
    await fund(f, member, { points: 100 });
    const hold = await holdPoints(f, member, 60);
    if (!hold.ok) throw new Error(hold.message);
    const pendingId = (hold.value.transfers[0] as { id: number }).id;
    let balance = (await f.ledger.balances([member.earned.id])).get(member.earned.id);
    expect(balance).toMatchObject({ available: 40, debitsPending: 60, debitsPosted: 0 });

    const second = await holdPoints(f, member, 41);
    expect(second).toMatchObject({ ok: false, code: 'insufficient_balance' });

    const posted = await f.ledger.postPending({
      organizationId: f.organizationId,
      idempotencyKey: key(),
      transferId: pendingId,
    });
    expect(posted).toMatchObject({
      ok: true,
      value: { transfers: [{ id: pendingId, status: 'posted_from_pending' }] },
    });
    const voided = await f.ledger.voidPending({
      organizationId: f.organizationId,
      idempotencyKey: key(),
      transferId: pendingId,
    });
    expect(voided).toMatchObject({ ok: false, code: 'already_resolved' });
    const postedAgain = await f.ledger.postPending({
      organizationId: f.organizationId,
      idempotencyKey: key(),
      transferId: pendingId,
    });
    expect(postedAgain).toMatchObject({ ok: false, code: 'already_resolved' });
    balance = (await f.ledger.balances([member.earned.id])).get(member.earned.id);
    expect(balance).toMatchObject({ available: 40, debitsPending: 0, debitsPosted: 60 });
    expect(await balancesThatDisagreeWithTransfers(db, f.organizationId)).toEqual([]);
    expect(await assetSums(db, f.organizationId)).toEqual([
      { asset: 'allowance', posted: 0, pending: 0 },
      { asset: 'points', posted: 0, pending: 0 },
    ]);
  });

  it('voids a hold and gives the points back', async () => {
    const f = await createLedgerFixture(db, 1);
    const [member] = f.members as [(typeof f.members)[0]];
    await fund(f, member, { points: 20 });
    const hold = await holdPoints(f, member, 20);
    if (!hold.ok) throw new Error(hold.message);
    const transferId = (hold.value.transfers[0] as { id: number }).id;
    expect(
      await f.ledger.voidPending({
        organizationId: f.organizationId,
        idempotencyKey: key(),
        transferId,
      }),
    ).toMatchObject({ ok: true });
    expect(
      await f.ledger.postPending({
        organizationId: f.organizationId,
        idempotencyKey: key(),
        transferId,
      }),
    ).toMatchObject({ ok: false, code: 'already_resolved' });
    expect((await f.ledger.balances([member.earned.id])).get(member.earned.id)).toMatchObject({
      available: 20,
      debitsPending: 0,
      debitsPosted: 0,
    });
    expect(
      await f.ledger.voidPending({
        organizationId: f.organizationId,
        idempotencyKey: key(),
        transferId: 999_999_999,
      }),
    ).toMatchObject({ ok: false, code: 'not_found' });
  });

  it('corrects a mistake with a reversal, once, and never below zero', async () => {
    const f = await createLedgerFixture(db, 3);
    const [giver, recipient, other] = f.members as [
      (typeof f.members)[0],
      (typeof f.members)[0],
      (typeof f.members)[0],
    ];
    await fund(f, giver, { allowance: 40 });
    const kudos = await f.ledger.transfer({
      organizationId: f.organizationId,
      idempotencyKey: key(),
      transfers: [
        {
          debitAccountId: giver.allowance.id,
          creditAccountId: f.org.allowance_spent.id,
          amount: 15,
          kind: 'kudos',
        },
        {
          debitAccountId: f.org.issuance.id,
          creditAccountId: recipient.earned.id,
          amount: 15,
          kind: 'kudos',
        },
      ],
    });
    if (!kudos.ok) throw new Error(kudos.message);
    const ids = kudos.value.transfers.map((transfer) => transfer.id);
    const reversal = await f.ledger.reverse({
      organizationId: f.organizationId,
      idempotencyKey: key(),
      transferIds: ids,
      memo: 'given by mistake',
    });
    expect(reversal).toMatchObject({ ok: true });
    if (reversal.ok) {
      expect(reversal.value.transfers.map((t) => [t.kind, t.reversesTransferId])).toEqual(
        ids.map((id) => ['reversal', id]),
      );
    }
    const balances = await f.ledger.balances([giver.allowance.id, recipient.earned.id]);
    expect(balances.get(giver.allowance.id)?.available).toBe(40);
    expect(balances.get(recipient.earned.id)?.available).toBe(0);
    expect(
      await f.ledger.reverse({
        organizationId: f.organizationId,
        idempotencyKey: key(),
        transferIds: ids,
      }),
    ).toMatchObject({ ok: false, code: 'already_reversed' });
    if (reversal.ok) {
      const reversalIds = reversal.value.transfers.map((t) => t.id);
      expect(
        await f.ledger.reverse({
          organizationId: f.organizationId,
          idempotencyKey: key(),
          transferIds: reversalIds,
        }),
      ).toMatchObject({ ok: false, code: 'not_reversible' });
    }

    // Points already passed on cannot be taken back below zero.
    const second = await f.ledger.transfer({
      organizationId: f.organizationId,
      idempotencyKey: key(),
      transfers: [
        {
          debitAccountId: f.org.issuance.id,
          creditAccountId: recipient.earned.id,
          amount: 10,
          kind: 'kudos',
        },
      ],
    });
    if (!second.ok) throw new Error(second.message);
    const spend = await f.ledger.transfer({
      organizationId: f.organizationId,
      idempotencyKey: key(),
      transfers: [
        {
          debitAccountId: recipient.earned.id,
          creditAccountId: other.earned.id,
          amount: 8,
          kind: 'adjustment',
        },
      ],
    });
    expect(spend.ok).toBe(true);
    const tooLate = await f.ledger.reverse({
      organizationId: f.organizationId,
      idempotencyKey: key(),
      transferIds: second.value.transfers.map((t) => t.id),
    });
    expect(tooLate).toMatchObject({ ok: false, code: 'insufficient_balance' });
    expect(await balancesThatDisagreeWithTransfers(db, f.organizationId)).toEqual([]);
  });

  it('keeps transfers append-only: no edit, no delete, no second resolution', async () => {
    const f = await createLedgerFixture(db, 1);
    const [member] = f.members as [(typeof f.members)[0]];
    await fund(f, member, { points: 10 });
    const hold = await holdPoints(f, member, 4);
    if (!hold.ok) throw new Error(hold.message);
    const id = (hold.value.transfers[0] as { id: number }).id;
    await expect(
      sql`update ledger_transfers set amount = 3 where id = ${id}`.execute(db),
    ).rejects.toThrow(/append-only/);
    await expect(
      sql`update ledger_transfers set status = 'posted' where id = ${id}`.execute(db),
    ).rejects.toThrow(/append-only/);
    await expect(sql`delete from ledger_transfers where id = ${id}`.execute(db)).rejects.toThrow(
      /append-only/,
    );
    await expect(
      sql`update ledger_transfers set amount = 1 where organization_id = ${f.organizationId} and status = 'posted'`.execute(
        db,
      ),
    ).rejects.toThrow(/append-only/);
    expect(
      await f.ledger.voidPending({
        organizationId: f.organizationId,
        idempotencyKey: key(),
        transferId: id,
      }),
    ).toMatchObject({ ok: true });
    await expect(
      sql`update ledger_transfers set status = 'posted_from_pending', resolved_at = now() where id = ${id}`.execute(
        db,
      ),
    ).rejects.toThrow(/append-only/);
  });

  describe('bad input gets a clear refusal and writes nothing', () => {
    const cases: Array<[string, number | string, string]> = [
      ['zero', 0, 'invalid_amount'],
      ['negative', -5, 'invalid_amount'],
      ['fractional', 1.5, 'invalid_amount'],
      ['over 2^53', 2 ** 53, 'invalid_amount'],
      ['not a number', Number.NaN, 'invalid_amount'],
      ['infinite', Number.POSITIVE_INFINITY, 'invalid_amount'],
      ['a string', '10', 'invalid_amount'],
    ];
    it.each(cases)('amount %s', async (_label, amount, code) => {
      const f = await createLedgerFixture(db, 1);
      const [member] = f.members as [(typeof f.members)[0]];
      const before = await countRows(db, f.organizationId);
      const result = await f.ledger.transfer({
        organizationId: f.organizationId,
        idempotencyKey: key(),
        transfers: [
          {
            debitAccountId: f.org.issuance.id,
            creditAccountId: member.earned.id,
            amount: amount as number,
            kind: 'adjustment',
          },
        ],
      });
      expect(result).toMatchObject({ ok: false, code });
      expect(!result.ok && result.message).toMatch(/whole number from 1 to 9007199254740991/);
      expect(await countRows(db, f.organizationId)).toEqual(before);
    });

    it('unknown, foreign, same and mismatched accounts, and empty requests', async () => {
      const f = await createLedgerFixture(db, 1);
      const other = await createLedgerFixture(db, 1);
      const [member] = f.members as [(typeof f.members)[0]];
      const [stranger] = other.members as [(typeof other.members)[0]];
      const before = await countRows(db, f.organizationId);
      const attempt = (
        transfers: Parameters<typeof f.ledger.transfer>[0]['transfers'],
        idempotencyKey = key(),
      ) => f.ledger.transfer({ organizationId: f.organizationId, idempotencyKey, transfers });
      expect(
        await attempt([
          {
            debitAccountId: f.org.issuance.id,
            creditAccountId: 999_999_999,
            amount: 1,
            kind: 'adjustment',
          },
        ]),
      ).toMatchObject({
        ok: false,
        code: 'unknown_account',
        message: 'There is no account 999999999 in this organization.',
      });
      expect(
        await attempt([
          {
            debitAccountId: f.org.issuance.id,
            creditAccountId: stranger.earned.id,
            amount: 1,
            kind: 'adjustment',
          },
        ]),
      ).toMatchObject({ ok: false, code: 'unknown_account' });
      expect(
        await attempt([
          {
            debitAccountId: f.org.issuance.id,
            creditAccountId: member.allowance.id,
            amount: 1,
            kind: 'adjustment',
          },
        ]),
      ).toMatchObject({ ok: false, code: 'asset_mismatch' });
      expect(
        await attempt([
          {
            debitAccountId: member.earned.id,
            creditAccountId: member.earned.id,
            amount: 1,
            kind: 'adjustment',
          },
        ]),
      ).toMatchObject({ ok: false, code: 'invalid_request' });
      expect(
        await attempt([
          {
            debitAccountId: f.org.issuance.id,
            creditAccountId: member.earned.id,
            amount: 1,
            kind: 'bogus' as 'kudos',
          },
        ]),
      ).toMatchObject({ ok: false, code: 'invalid_request' });
      expect(await attempt([])).toMatchObject({ ok: false, code: 'invalid_request' });
      expect(
        await attempt(
          [
            {
              debitAccountId: f.org.issuance.id,
              creditAccountId: member.earned.id,
              amount: 1,
              kind: 'adjustment',
            },
          ],
          '',
        ),
      ).toMatchObject({ ok: false, code: 'invalid_request' });
      expect(await countRows(db, f.organizationId)).toEqual(before);
      expect((await f.ledger.balances([member.earned.id])).get(member.earned.id)?.available).toBe(
        0,
      );
    });
  });
});
