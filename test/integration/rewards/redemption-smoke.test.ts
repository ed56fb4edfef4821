import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/database.ts';
import { openTestDatabase } from '../../support/databases.ts';
import { assetSums } from '../../support/ledger-invariants.ts';
import { createRewardsFixture, type RewardsFixture } from '../../support/rewards-fixture.ts';

describe('redemptions, end to end through the commands', () => {
  let db: Database;
  let f: RewardsFixture;
  beforeAll(async () => {
    db = await openTestDatabase('postgres');
    f = await createRewardsFixture(db, { members: { Ana: {}, Hal: { roles: ['member', 'hr'] } } });
  });
  afterAll(async () => {
    await db.destroy();
  });

  it('redeems, fulfils and bills once', async () => {
    await f.earn('Ana', 500);
    const item = await f.item({
      name: 'Coffee voucher',
      pointsCost: 200,
      priceMinor: 550,
      stock: 2,
    });
    const catalog = await f.command('Ana', 'rewards');
    expect(catalog.text).toContain('Coffee voucher: 200 points, 2 left');
    const redeemed = await f.command('Ana', 'redeem coffee');
    expect(redeemed.text).toMatch(/You redeemed “Coffee voucher” \(redemption #\d+\)/);
    expect(await f.points('Ana')).toEqual({ available: 300, held: 200 });
    const [held] = await f.desk.redemptions.held(f.organizationId);
    const fulfilled = await f.command('Hal', `hr fulfil ${held?.id}`);
    expect(fulfilled.text).toContain('is fulfilled; 5.50 EUR is billed');
    expect(await f.points('Ana')).toEqual({ available: 300, held: 0 });
    const again = await f.command('Hal', `hr reject ${held?.id} too late`);
    expect(again.code).toBe('already_resolved');
    const statement = await f.command('Hal', 'hr statement');
    expect(statement.text).toContain('1 redemption billed, 5.50 EUR in all.');
    expect(await assetSums(db, f.organizationId)).toEqual([
      { asset: 'allowance', posted: 0, pending: 0 },
      { asset: 'points', posted: 0, pending: 0 },
    ]);
    expect(
      (await f.desk.catalog.find(f.organizationId, item)).ok &&
        (await f.desk.catalog.find(f.organizationId, item)),
    ).toMatchObject({ value: { stock: 1 } });
  });
});
