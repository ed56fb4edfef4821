import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/database.ts';
import type { LedgerResult } from '../../../src/ledger/ledger.ts';
import { DIALECTS, openTestDatabase } from '../../support/databases.ts';
import { createLedgerFixture, fund, holdPoints, key } from '../../support/ledger-fixture.ts';
import {
  assetSums,
  balancesThatDisagreeWithTransfers,
  countRows,
} from '../../support/ledger-invariants.ts';

const ZERO_SUMS = [
  { asset: 'allowance', posted: 0, pending: 0 },
  { asset: 'points', posted: 0, pending: 0 },
];

function tally(results: LedgerResult[]) {
  const codes: Record<string, number> = {};
  for (const result of results) {
    const code = result.ok ? 'ok' : result.code;
    codes[code] = (codes[code] ?? 0) + 1;
  }
  return codes;
}

describe.each(DIALECTS)('ledger under concurrency on %s', (dialect) => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase(dialect);
  });
  afterAll(async () => {
    await db?.destroy();
  });

  it('200 concurrent debits of 1 from 100 succeed exactly 100 times', async () => {
    const f = await createLedgerFixture(db, 1);
    const [member] = f.members as [(typeof f.members)[0]];
    await fund(f, member, { allowance: 100 });
    const results = await Promise.all(
      Array.from({ length: 200 }, () =>
        f.ledger.transfer({
          organizationId: f.organizationId,
          idempotencyKey: key('debit'),
          transfers: [
            {
              debitAccountId: member.allowance.id,
              creditAccountId: f.org.allowance_spent.id,
              amount: 1,
              kind: 'kudos',
            },
          ],
        }),
      ),
    );
    expect(tally(results)).toEqual({ ok: 100, insufficient_balance: 100 });
    const balance = (await f.ledger.balances([member.allowance.id])).get(member.allowance.id);
    expect(balance?.available).toBe(0);
    expect(await assetSums(db, f.organizationId)).toEqual(ZERO_SUMS);
    expect(await balancesThatDisagreeWithTransfers(db, f.organizationId)).toEqual([]);
  });

  it('many givers at once through the hot organization accounts keep the sums at zero', async () => {
    const f = await createLedgerFixture(db, 8);
    for (const member of f.members) await fund(f, member, { allowance: 50 });
    const results = await Promise.all(
      Array.from({ length: 120 }, (_, index) => {
        const giver = f.members[index % 8] as (typeof f.members)[0];
        const first = f.members[(index + 1) % 8] as (typeof f.members)[0];
        const second = f.members[(index + 3) % 8] as (typeof f.members)[0];
        return f.ledger.transfer({
          organizationId: f.organizationId,
          idempotencyKey: key('kudos'),
          transfers: [first, second].flatMap((recipient) => [
            {
              debitAccountId: giver.allowance.id,
              creditAccountId: f.org.allowance_spent.id,
              amount: 3,
              kind: 'kudos' as const,
            },
            {
              debitAccountId: f.org.issuance.id,
              creditAccountId: recipient.earned.id,
              amount: 3,
              kind: 'kudos' as const,
            },
          ]),
        });
      }),
    );
    // Each giver tries 15 gives of 6 from 50: 8 fit.
    expect(tally(results)).toEqual({ ok: 64, insufficient_balance: 56 });
    expect(await assetSums(db, f.organizationId)).toEqual(ZERO_SUMS);
    expect(await balancesThatDisagreeWithTransfers(db, f.organizationId)).toEqual([]);
    const spent = (await f.ledger.balances([f.org.allowance_spent.id])).get(
      f.org.allowance_spent.id,
    );
    expect(spent?.creditsPosted).toBe(64 * 6);
  });

  it('the same request 50 times at once makes one transfer and gives all the same answer', async () => {
    const f = await createLedgerFixture(db, 2);
    const [giver, recipient] = f.members as [(typeof f.members)[0], (typeof f.members)[0]];
    await fund(f, giver, { allowance: 100 });
    const before = await countRows(db, f.organizationId);
    const idempotencyKey = key('redelivery');
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        f.ledger.transfer({
          organizationId: f.organizationId,
          idempotencyKey,
          transfers: [
            {
              debitAccountId: giver.allowance.id,
              creditAccountId: f.org.allowance_spent.id,
              amount: 7,
              kind: 'kudos',
            },
            {
              debitAccountId: f.org.issuance.id,
              creditAccountId: recipient.earned.id,
              amount: 7,
              kind: 'kudos',
            },
          ],
        }),
      ),
    );
    expect(tally(results)).toEqual({ ok: 50 });
    const outcomes = results.flatMap((result) => (result.ok ? [result.value] : []));
    expect(outcomes.filter((outcome) => !outcome.replayed)).toHaveLength(1);
    for (const outcome of outcomes) expect(outcome.transfers).toEqual(outcomes[0]?.transfers);
    expect(await countRows(db, f.organizationId)).toEqual({
      transfers: before.transfers + 2,
      requests: before.requests + 1,
    });
    const balance = (await f.ledger.balances([giver.allowance.id])).get(giver.allowance.id);
    expect(balance?.available).toBe(93);
  });

  it('a concurrent post and void of one hold: exactly one wins', async () => {
    const f = await createLedgerFixture(db, 1);
    const [member] = f.members as [(typeof f.members)[0]];
    await fund(f, member, { points: 200 });
    const holds: number[] = [];
    for (let index = 0; index < 20; index++) {
      const hold = await holdPoints(f, member, 10);
      if (!hold.ok) throw new Error(hold.message);
      holds.push((hold.value.transfers[0] as { id: number }).id);
    }
    const races = await Promise.all(
      holds.map((transferId) =>
        Promise.all([
          f.ledger.postPending({
            organizationId: f.organizationId,
            idempotencyKey: key('post'),
            transferId,
          }),
          f.ledger.voidPending({
            organizationId: f.organizationId,
            idempotencyKey: key('void'),
            transferId,
          }),
        ]),
      ),
    );
    let posted = 0;
    for (const [post, voided] of races) {
      expect([post.ok, voided.ok].filter(Boolean)).toHaveLength(1);
      const loser = post.ok ? voided : post;
      expect(loser).toMatchObject({ ok: false, code: 'already_resolved' });
      if (post.ok) posted += 1;
    }
    const balance = (await f.ledger.balances([member.earned.id])).get(member.earned.id);
    expect(balance).toMatchObject({
      debitsPending: 0,
      debitsPosted: posted * 10,
      available: 200 - posted * 10,
    });
    expect(await assetSums(db, f.organizationId)).toEqual(ZERO_SUMS);
    expect(await balancesThatDisagreeWithTransfers(db, f.organizationId)).toEqual([]);
  });

  it('concurrent reversals of one transfer: exactly one wins', async () => {
    const f = await createLedgerFixture(db, 1);
    const [member] = f.members as [(typeof f.members)[0]];
    const grant = await f.ledger.transfer({
      organizationId: f.organizationId,
      idempotencyKey: key(),
      transfers: [
        {
          debitAccountId: f.org.issuance.id,
          creditAccountId: member.earned.id,
          amount: 9,
          kind: 'adjustment',
        },
      ],
    });
    if (!grant.ok) throw new Error(grant.message);
    const transferIds = grant.value.transfers.map((transfer) => transfer.id);
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        f.ledger.reverse({
          organizationId: f.organizationId,
          idempotencyKey: key('reverse'),
          transferIds,
        }),
      ),
    );
    expect(tally(results)).toEqual({ ok: 1, already_reversed: 9 });
    expect((await f.ledger.balances([member.earned.id])).get(member.earned.id)?.available).toBe(0);
  });
});
