import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAudit } from '../../../src/admin/audit-log.ts';
import {
  mutualPairs,
  quietMembers,
  recognitionsByGroup,
  recognitionsByValue,
  recognitionsOverTime,
  topGivers,
  topReceivers,
} from '../../../src/console/insights/insight-queries.ts';
import { addDays, type InsightRange } from '../../../src/console/insights/insight-range.ts';
import { overviewFigures } from '../../../src/console/overview-figures.ts';
import type { Database } from '../../../src/db/database.ts';
import { readHistory } from '../../../src/recognition/history.ts';
import { readLeaderboard } from '../../../src/recognition/leaderboard.ts';
import { PRIVATE_KUDOS_ACTION } from '../../../src/recognition/recognition-store.ts';
import { openTestDatabase } from '../../support/databases.ts';
import { countRows } from '../../support/ledger-invariants.ts';
import {
  balancesOf,
  createRecognitionFixture,
  type RecognitionFixture,
} from '../../support/recognition-fixture.ts';

const PRIVATELY =
  'It was private: only they are told, in a direct message; there is no celebration, and it stays off the leaderboard.';

/** Issue 18's private kudos through the real router, against Postgres. */
describe('private kudos on postgres', () => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase('postgres');
  });
  afterAll(async () => {
    await db?.destroy();
  });

  const privateFlag = async (f: RecognitionFixture, recognitionId: number) =>
    (
      await db
        .selectFrom('recognitions')
        .select('private')
        .where('id', '=', recognitionId)
        .where('organization_id', '=', f.organizationId)
        .executeTakeFirstOrThrow()
    ).private;

  it('moves the points like any give, says it was private, and stores it so', async () => {
    const f = await createRecognitionFixture(db, { members: { Ana: {}, Li: {} } });
    const reply = await f.kudos('Ana', 'private @Li 5 thanks');
    expect(reply.text).toBe(
      `You gave 5 points to Li for thanks. ${PRIVATELY} You have 95 points left to give this month.`,
    );
    expect(reply.events).toHaveLength(1);
    const event = reply.events[0];
    expect(event).toMatchObject({ private: true, amountEach: 5 });
    expect(await privateFlag(f, event?.recognitionId as number)).toBe(true);
    expect(await balancesOf(f, 'Ana')).toEqual({ allowance: 95, earned: 0 });
    expect(await balancesOf(f, 'Li')).toEqual({ allowance: 0, earned: 5 });
    // The notification the jobs send says it is private, so no celebration is posted.
    const waiting = await db
      .selectFrom('notification_outbox')
      .select('event')
      .where('recognition_id', '=', event?.recognitionId as number)
      .executeTakeFirstOrThrow();
    expect(waiting.event).toMatchObject({ private: true });
  });

  it('keeps a kudos public when "private" is only a word of its reason', async () => {
    const f = await createRecognitionFixture(db, { members: { Ana: {}, Li: {} } });
    const reply = await f.kudos('Ana', '@Li 5 for the private beta');
    expect(reply.text).toBe(
      'You gave 5 points to Li for the private beta. You have 95 points left to give this month.',
    );
    expect(reply.events[0]).toMatchObject({ private: false });
    expect(await privateFlag(f, reply.events[0]?.recognitionId as number)).toBe(false);
  });

  it('refuses "private" alone, and refuses it where admins turned it off: nothing moves', async () => {
    const f = await createRecognitionFixture(db, {
      members: { Ana: {}, Li: {}, Boss: { roles: ['member', 'admin'] } },
      settings: { private_kudos_allowed: false },
    });
    const before = await countRows(db, f.organizationId);
    expect(await f.kudos('Ana', 'private')).toMatchObject({
      code: 'usage',
      text: 'Say who the private kudos is for: /kudos private @ana 10 for … Give kudos like this: /kudos @ana @li 10 for the launch #teamwork',
    });
    expect(await f.kudos('Ana', 'private @Li 5 for the hard week')).toMatchObject({
      outcome: 'refused',
      code: 'private_kudos_off',
      text: "Private kudos are turned off here, so nothing was given. Send it again without 'private' to thank them publicly (/kudos @ana 10 for …), or ask Boss (admin) to allow private kudos.",
    });
    expect(await countRows(db, f.organizationId)).toEqual(before);
    expect(await balancesOf(f, 'Li')).toEqual({ allowance: 0, earned: 0 });
    // The same give without the keyword goes through.
    expect((await f.kudos('Ana', '@Li 5 for the hard week')).outcome).toBe('ok');
  });

  it('is held to the same caps, and a redelivery answers as the first did, audited once', async () => {
    const f = await createRecognitionFixture(db, {
      members: { Ana: {}, Li: {} },
      settings: { daily_pair_cap: 6 },
    });
    const first = await f.kudos('Ana', 'private @Li 5 for the review', 'delivery-1');
    expect(first.outcome).toBe('ok');
    const again = await f.kudos('Ana', 'private @Li 5 for the review', 'delivery-1');
    expect(again.text).toBe(first.text);
    expect(again.events).toEqual([]);
    expect(await f.kudos('Ana', 'private @Li 2 for more')).toMatchObject({
      code: 'daily_pair_cap',
    });
    expect(await balancesOf(f, 'Li')).toEqual({ allowance: 0, earned: 5 });
    const audit = await readAudit(db, f.organizationId, { action: PRIVATE_KUDOS_ACTION });
    expect(audit.entries).toHaveLength(1);
  });

  describe('who sees it', () => {
    let f: RecognitionFixture;
    let privateId: number;
    const today = new Date().toISOString().slice(0, 10);
    const range: InsightRange = { from: addDays(today, -1), to: addDays(today, 1) };

    beforeAll(async () => {
      f = await createRecognitionFixture(db, {
        members: { Ana: {}, Li: {}, José: {}, Bo: {} },
        values: ['teamwork'],
      });
      // Public: Ana → Li 3. Private: Ana → José 10, Bo → Li 7.
      expect((await f.kudos('Ana', '@Li 3 for the docs #teamwork')).outcome).toBe('ok');
      const hidden = await f.kudos('Ana', 'private @José 10 for the hard week #teamwork');
      privateId = hidden.events[0]?.recognitionId as number;
      expect((await f.kudos('Bo', 'private @Li 7 for covering')).outcome).toBe('ok');
    });

    it('is on no leaderboard', async () => {
      const board = await readLeaderboard(db, f.organizationId, null);
      expect(board).toEqual({
        received: [{ name: 'Li', total: 3 }],
        given: [{ name: 'Ana', total: 3 }],
        values: [{ name: 'teamwork', total: 1 }],
      });
      const shown = await f.kudos('Li', 'leaderboard all');
      expect(shown.text).not.toMatch(/José|Bo|10 points|7 points/);
    });

    it('is in the giver’s and the recipient’s own history, marked private', async () => {
      const ana = await readHistory(db, f.members.Ana?.id as number);
      expect(ana.map((entry) => [entry.counterpart, entry.amount, entry.private])).toEqual([
        ['José', 10, true],
        ['Li', 3, false],
      ]);
      const jose = await f.kudos('José', 'history');
      expect(jose.text).toMatch(/— Ana gave you 10: the hard week #teamwork \(private\)$/m);
      // A reader who is neither (HR on the console) is given the public ones only.
      const forHr = await readHistory(db, f.members.Li?.id as number, 10, false);
      expect(forHr.map((entry) => entry.counterpart)).toEqual(['Ana']);
    });

    it('names nobody in the insights’ people-level views', async () => {
      expect(await topReceivers(db, f.organizationId, range)).toEqual([
        { memberId: f.members.Li?.id, name: 'Li', kudos: 1, points: 3 },
      ]);
      expect(await topGivers(db, f.organizationId, range)).toEqual([
        { memberId: f.members.Ana?.id, name: 'Ana', kudos: 1, points: 3 },
      ]);
      // José was only thanked privately: to a people-level view he is still quiet.
      const quiet = await quietMembers(db, f.organizationId, {
        days: 0,
        asOf: new Date(Date.now() + 86_400_000),
      });
      expect(quiet.find((member) => member.name === 'José')?.lastRecognizedAt).toBeNull();
      expect(quiet.find((member) => member.name === 'Li')?.lastRecognizedAt).not.toBeNull();
    });

    it('keeps counting in the totals', async () => {
      const time = await recognitionsOverTime(db, f.organizationId, range);
      const sum = (key: 'recognitions' | 'points') =>
        time.buckets.reduce((total, bucket) => total + bucket[key], 0);
      expect([sum('recognitions'), sum('points')]).toEqual([3, 20]);
      expect(await recognitionsByValue(db, f.organizationId, range)).toEqual([
        { value: 'teamwork', recognitions: 2 },
      ]);
      const groups = await recognitionsByGroup(db, f.organizationId, range);
      expect(groups.reduce((total, group) => total + group.received, 0)).toBe(3);
      const overview = await overviewFigures(f.services, f.organizationId);
      expect([overview.recognitions, overview.pointsGiven]).toEqual([3, 20]);
    });

    it('is in the audit log for admins, marked private', async () => {
      const { entries } = await readAudit(db, f.organizationId, { action: PRIVATE_KUDOS_ACTION });
      expect(entries.map((entry) => [entry.actorName, entry.target])).toEqual([
        ['Bo', expect.stringMatching(/^recognition:\d+$/)],
        ['Ana', `recognition:${privateId}`],
      ]);
      expect(entries[1]).toMatchObject({
        via: 'local',
        outcome: 'done',
        after: {
          private: true,
          recognitionId: privateId,
          amountEach: 10,
          recipients: [{ memberId: f.members.José?.id, name: 'José' }],
          message: 'the hard week #teamwork',
          values: ['teamwork'],
        },
      });
    });

    it('leaves mutual pairs to public kudos', async () => {
      // Li and Bo thank each other privately, three times each way: no pair is shown.
      for (let round = 0; round < 3; round += 1) {
        expect((await f.kudos('Li', 'private @Bo 1 for the pairing')).outcome).toBe('ok');
        expect((await f.kudos('Bo', 'private @Li 1 for the pairing')).outcome).toBe('ok');
      }
      expect(await mutualPairs(db, f.organizationId, range)).toEqual([]);
    });
  });
});
