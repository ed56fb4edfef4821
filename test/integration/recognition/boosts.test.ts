import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/database.ts';
import { type BoostRequest, boostKudos, boostsOf } from '../../../src/recognition/boosts.ts';
import { DIALECTS, openTestDatabase } from '../../support/databases.ts';
import { assetSums } from '../../support/ledger-invariants.ts';
import {
  balancesOf,
  createRecognitionFixture,
  type RecognitionFixture,
} from '../../support/recognition-fixture.ts';

const TEAM = { Ana: {}, Li: {}, Bo: {}, Jo: {}, Kim: {} };

/** The id of the organization's newest recognition. */
async function newest(f: RecognitionFixture): Promise<number> {
  const row = await f.db
    .selectFrom('recognitions')
    .select('id')
    .where('organization_id', '=', f.organizationId)
    .orderBy('id', 'desc')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

function boost(
  f: RecognitionFixture,
  from: string,
  recognitionId: number,
  amount: unknown,
): Promise<Awaited<ReturnType<typeof boostKudos>>> {
  const booster = f.members[from];
  if (!booster) throw new Error(`no member ${from}`);
  const request: BoostRequest = {
    booster,
    recognitionId,
    amount,
    platform: 'slack',
    tenantId: 'T0BOOST',
    channel: 'C0GENERAL',
  };
  return boostKudos(f.services, request);
}

for (const dialect of DIALECTS) {
  describe(`boosts on ${dialect}`, () => {
    let db: Database;
    beforeAll(async () => {
      db = await openTestDatabase(dialect);
    });
    afterAll(async () => {
      await db?.destroy();
    });

    it('gives each recipient the amount from the booster’s allowance, linked to the kudos', async () => {
      const f = await createRecognitionFixture(db, { members: TEAM, values: ['teamwork'] });
      expect((await f.kudos('Ana', '@li @bo 10 for the launch #teamwork')).outcome).toBe('ok');
      const kudos = await newest(f);
      const reply = await boost(f, 'Jo', kudos, '3');
      expect(reply).toMatchObject({
        outcome: 'ok',
        text: 'You boosted Ana’s kudos. You gave 3 points to Li and Bo for the launch #teamwork. You have 94 points left to give this month.',
      });
      expect(reply.events[0]).toMatchObject({ boostOf: kudos, amountEach: 3 });
      expect(await balancesOf(f, 'Jo')).toEqual({ allowance: 94, earned: 0 });
      expect(await balancesOf(f, 'Li')).toEqual({ allowance: 0, earned: 13 });
      const stored = await db
        .selectFrom('recognitions')
        .select(['boost_of', 'message', 'company_values'])
        .where('id', '=', await newest(f))
        .executeTakeFirstOrThrow();
      expect({ ...stored, boost_of: Number(stored.boost_of) }).toEqual({
        boost_of: kudos,
        message: 'the launch #teamwork',
        company_values: ['teamwork'],
      });
      // Boosting the boost boosts the kudos it boosts.
      expect((await boost(f, 'Kim', await newest(f), 2)).events[0]).toMatchObject({
        boostOf: kudos,
      });
      expect(await boostsOf(db, kudos)).toEqual([
        { giverName: 'Jo', amountEach: 3 },
        { giverName: 'Kim', amountEach: 2 },
      ]);
      expect(await assetSums(db, f.organizationId)).toEqual([
        { asset: 'allowance', posted: 0, pending: 0 },
        { asset: 'points', posted: 0, pending: 0 },
      ]);
    });

    it('applies the give policy: who may give, and the daily cap per pair', async () => {
      const f = await createRecognitionFixture(db, {
        members: { ...TEAM, Gus: { isGuest: true } },
        settings: { daily_pair_cap: 5 },
      });
      await f.kudos('Ana', '@li 2 for the notes');
      const kudos = await newest(f);
      expect((await boost(f, 'Gus', kudos, 1)).code).toBe('guest_excluded');
      await f.kudos('Jo', '@li 4 for the review');
      expect(await boost(f, 'Jo', kudos, 2)).toMatchObject({
        outcome: 'refused',
        text: 'You have given Li 4 points today; the daily limit per person is 5.',
      });
      expect(await balancesOf(f, 'Jo')).toEqual({ allowance: 96, earned: 0 });
      // Within the cap, the boost goes through the transaction the cap needs.
      expect((await boost(f, 'Jo', kudos, 1)).outcome).toBe('ok');
      expect(await balancesOf(f, 'Li')).toEqual({ allowance: 0, earned: 7 });
    });

    for (const cap of [null, 50]) {
      it(`moves points once for ten boosts at once by one person (pair cap ${cap})`, async () => {
        const f = await createRecognitionFixture(db, {
          members: TEAM,
          settings: { daily_pair_cap: cap },
        });
        await f.kudos('Ana', '@li 5 for the release');
        const kudos = await newest(f);
        // Two clicks can carry two amounts: each attempt asks for its own.
        const replies = await Promise.all(
          Array.from({ length: 10 }, (_, index) => boost(f, 'Bo', kudos, 1 + (index % 2))),
        );
        const moved = replies.filter((reply) => reply.events.length > 0);
        expect(moved).toHaveLength(1);
        expect(replies.filter((reply) => reply.code === 'already_boosted')).toHaveLength(9);
        const amount = moved[0]?.events[0]?.amountEach ?? 0;
        expect(await balancesOf(f, 'Bo')).toEqual({ allowance: 100 - amount, earned: 0 });
        expect(await balancesOf(f, 'Li')).toEqual({ allowance: 0, earned: 5 + amount });
      });
    }

    it('finds no kudos of another organization', async () => {
      const mine = await createRecognitionFixture(db, { members: TEAM });
      const theirs = await createRecognitionFixture(db, { members: TEAM });
      await theirs.kudos('Ana', '@li 5 for elsewhere');
      const reply = await boost(mine, 'Jo', await newest(theirs), 1);
      expect(reply).toMatchObject({ code: 'unknown_kudos', outcome: 'refused' });
      expect(await balancesOf(theirs, 'Li')).toEqual({ allowance: 0, earned: 5 });
    });
  });
}
