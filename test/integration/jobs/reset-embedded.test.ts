import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/database.ts';
import { resetAllowances } from '../../../src/jobs/allowance-reset.ts';
import { openTestDatabase } from '../../support/databases.ts';
import { assetSums } from '../../support/ledger-invariants.ts';
import { balancesOf, createRecognitionFixture } from '../../support/recognition-fixture.ts';

/** Local mode runs the same reset on the embedded database (PGlite is Postgres 18). */
describe('the allowance reset on the embedded database', () => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase('pglite');
  });
  afterAll(async () => {
    await db?.destroy();
  });

  it('opens every member’s period once, as on the server', async () => {
    const fixture = await createRecognitionFixture(db, {
      members: { ana: {}, li: {}, jose: {}, bot: { isBot: true } },
      settings: { allowance_amount: 30 },
    });
    const first = await resetAllowances(db, fixture.services, fixture.organizationId, {
      batchSize: 2,
    });
    expect(first).toEqual({ done: 3, opened: 3 });
    expect(await resetAllowances(db, fixture.services, fixture.organizationId)).toEqual({
      done: 3,
      opened: 0,
    });
    expect((await balancesOf(fixture, 'ana')).allowance).toBe(30);
    for (const sum of await assetSums(db, fixture.organizationId)) {
      expect(sum).toMatchObject({ posted: 0, pending: 0 });
    }
  });
});
