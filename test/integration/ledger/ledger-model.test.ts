import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/database.ts';
import type { Account } from '../../../src/ledger/accounts.ts';
import type { LedgerResult } from '../../../src/ledger/ledger.ts';
import type { TransferSpec } from '../../../src/ledger/transfer.ts';
import { DIALECTS, openTestDatabase } from '../../support/databases.ts';
import { createLedgerFixture, key } from '../../support/ledger-fixture.ts';
import { assetSums } from '../../support/ledger-invariants.ts';
import { ReferenceLedger } from '../../support/reference-ledger.ts';
import { SeededRandom, testSeed } from '../../support/seeded-random.ts';

const STEPS = { postgres: 400, pglite: 150 } as const;

interface SentRequest {
  idempotencyKey: string;
  specs: TransferSpec[];
  result: LedgerResult;
}

describe.each(DIALECTS)('ledger against a reference model on %s', (dialect) => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase(dialect);
  });
  afterAll(async () => {
    await db?.destroy();
  });

  it('matches the model after every step of a random sequence', async () => {
    const seed = testSeed(`ledger model (${dialect})`);
    const random = new SeededRandom(seed);
    const f = await createLedgerFixture(db, 4);
    const accounts: Account[] = [
      ...Object.values(f.org),
      ...f.members.flatMap((member) => Object.values(member)),
    ];
    const byAsset = {
      allowance: accounts.filter((account) => account.asset === 'allowance'),
      points: accounts.filter((account) => account.asset === 'points'),
    };
    const model = new ReferenceLedger(accounts);
    const sent: SentRequest[] = [];
    const organizationId = f.organizationId;

    const randomSpecs = (): TransferSpec[] =>
      Array.from({ length: random.int(1, 3) }, () => {
        const pool = byAsset[random.chance(0.5) ? 'allowance' : 'points'];
        const debit = random.pick(pool);
        const credit = random.pick(pool.filter((account) => account.id !== debit.id));
        return {
          debitAccountId: debit.id,
          creditAccountId: credit.id,
          amount: random.int(1, 40),
          kind: 'adjustment' as const,
          pending: random.chance(0.3),
        };
      });

    for (let step = 0; step < STEPS[dialect]; step++) {
      const where = `seed ${seed}, step ${step}`;
      const roll = random.next();
      const transferIds = [...model.transfers.keys()];
      if (roll < 0.5 || transferIds.length === 0) {
        const specs = randomSpecs();
        const expected = model.predictTransfer(specs);
        const idempotencyKey = key('model');
        const result = await f.ledger.transfer({
          organizationId,
          idempotencyKey,
          transfers: specs,
        });
        expect(result.ok ? 'ok' : result.code, where).toBe(expected ?? 'ok');
        if (result.ok)
          model.applyTransfer(
            specs,
            result.value.transfers.map((t) => t.id),
          );
        sent.push({ idempotencyKey, specs, result });
      } else if (roll < 0.7) {
        const id = random.chance(0.05) ? 999_999_999 : random.pick(transferIds);
        const post = random.chance(0.5);
        const expected = model.predictResolve(id);
        const request = { organizationId, idempotencyKey: key('resolve'), transferId: id };
        const result = post
          ? await f.ledger.postPending(request)
          : await f.ledger.voidPending(request);
        expect(result.ok ? 'ok' : result.code, where).toBe(expected ?? 'ok');
        if (result.ok) model.applyResolve(id, post);
      } else if (roll < 0.85) {
        const ids = [...new Set([random.pick(transferIds), random.pick(transferIds)])].slice(
          0,
          random.int(1, 2),
        );
        const expected = model.predictReverse(ids);
        const result = await f.ledger.reverse({
          organizationId,
          idempotencyKey: key('reverse'),
          transferIds: ids,
        });
        expect(result.ok ? 'ok' : result.code, where).toBe(expected ?? 'ok');
        if (result.ok)
          model.applyReverse(
            ids,
            result.value.transfers.map((t) => t.id),
          );
      } else if (sent.some((request) => request.result.ok)) {
        const first = random.pick(sent.filter((request) => request.result.ok));
        const changeIt = random.chance(0.4);
        const specs = changeIt
          ? first.specs.map((spec, index) =>
              index === 0 ? { ...spec, amount: spec.amount + 1 } : spec,
            )
          : first.specs;
        const result = await f.ledger.transfer({
          organizationId,
          idempotencyKey: first.idempotencyKey,
          transfers: specs,
        });
        if (changeIt) {
          expect(result, where).toMatchObject({ ok: false, code: 'idempotency_conflict' });
        } else {
          expect(result, where).toEqual({
            ok: true,
            value: {
              requestId: first.result.ok ? first.result.value.requestId : 0,
              transfers: first.result.ok ? first.result.value.transfers : [],
              replayed: true,
            },
          });
        }
      }

      const actual = await f.ledger.balances(accounts.map((account) => account.id));
      for (const account of accounts) {
        const balance = actual.get(account.id);
        expect(
          balance && {
            debitsPosted: balance.debitsPosted,
            creditsPosted: balance.creditsPosted,
            debitsPending: balance.debitsPending,
            creditsPending: balance.creditsPending,
          },
          `${where}, account ${account.id} (${account.code})`,
        ).toEqual(model.totals.get(account.id));
      }
    }
    expect(await assetSums(db, organizationId)).toEqual([
      { asset: 'allowance', posted: 0, pending: 0 },
      { asset: 'points', posted: 0, pending: 0 },
    ]);
  });
});
