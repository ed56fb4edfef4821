import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { reverseRecognition } from '../../../src/admin/recognition-reversals.ts';
import {
  groupNetwork,
  mutualPairs,
  quietMembers,
  readInsights,
  recognitionsByGroup,
  recognitionsByValue,
  recognitionsOverTime,
  topGivers,
  topReceivers,
} from '../../../src/console/insights/insight-queries.ts';
import { type Database, openDatabase } from '../../../src/db/database.ts';
import { addGroupMembers, createGroup } from '../../../src/directory/groups.ts';
import { setMemberStatus } from '../../../src/directory/members.ts';
import { type AdminFixture, createAdminFixture } from '../../support/admin-fixture.ts';
import { DIALECTS, openTestDatabase } from '../../support/databases.ts';
import { key } from '../../support/ledger-fixture.ts';

/*
 * One organization in New York's time zone (EST, then EDT from 10 March 2024), with
 * kudos given through the command router and then dated back. The range is 1–14 March
 * 2024, local days: 1 March starts at 05:00 UTC, and 14 March ends at 04:00 UTC on the
 * 15th. Each expected number below is counted by hand from the list of gives.
 */
const RANGE = { from: '2024-03-01', to: '2024-03-14' };

const MEMBERS = {
  Ana: { roles: ['member' as const, 'admin' as const] },
  Bo: {},
  Cy: {},
  Di: {},
  Ed: {},
  Fay: {},
  Gus: {},
  Hal: { isBot: true },
  Gia: { isGuest: true },
  Nia: {},
  Ivy: {},
  Jo: {},
};

/** [giver, command, when (UTC)]; the comments give the local day. */
const GIVES: ReadonlyArray<readonly [string, string, string]> = [
  ['Ana', '@Bo 5 for the launch #teamwork', '2024-03-01T15:00:00Z'], // 03-01
  ['Ana', '@Bo 5 for the docs', '2024-03-02T15:00:00Z'], // 03-02
  ['Ana', '@Bo 5 for the demo #teamwork', '2024-03-03T15:00:00Z'], // 03-03
  ['Ana', '@Cy @Ed 2 for the help #kindness', '2024-03-04T15:00:00Z'], // 03-04, two kudos
  ['Ana', '@Fay 1 for the notes', '2024-03-05T15:00:00Z'], // 03-05
  ['Ana', '@Fay 1 for the tea', '2024-03-06T15:00:00Z'], // 03-06
  ['Bo', '@Ana 3 for the plan', '2024-03-02T16:00:00Z'], // 03-02
  ['Bo', '@Ana 3 for the review', '2024-03-03T16:00:00Z'], // 03-03
  ['Bo', '@Ana 3 for the pairing #teamwork', '2024-03-04T16:00:00Z'], // 03-04
  ['Cy', '@Di 2 for the call', '2024-03-05T16:00:00Z'], // 03-05
  ['Cy', '@Di 2 for the deal', '2024-03-06T16:00:00Z'], // 03-06
  ['Cy', '@Di 2 for the cake #kindness', '2024-03-07T16:00:00Z'], // 03-07
  ['Cy', '@Ana 2 for the intro', '2024-03-08T16:00:00Z'], // 03-08
  ['Di', '@Cy 1 for the lead', '2024-03-07T14:00:00Z'], // 03-07
  ['Di', '@Cy 1 for the pitch', '2024-03-08T14:00:00Z'], // 03-08
  ['Di', '@Cy 1 for the slides', '2024-03-09T14:00:00Z'], // 03-09
  ['Di', '@Cy 1 for the late fix', '2024-03-10T03:30:00Z'], // 03-09 22:30 EST (UTC: the 10th)
  ['Di', '@Bo 1 for the build', '2024-03-11T14:00:00Z'], // 03-11
  ['Di', '@Bo 1 for the test', '2024-03-12T14:00:00Z'], // 03-12
  ['Di', '@Bo 1 for the deploy', '2024-03-13T14:00:00Z'], // 03-13
  ['Di', '@Bo 1 for the rollback', '2024-03-14T14:00:00Z'], // 03-14
  ['Ed', '@Fay 1 for the map', '2024-03-11T15:00:00Z'], // 03-11
  ['Ed', '@Fay 1 for the key', '2024-03-12T15:00:00Z'], // 03-12
  ['Ed', '@Fay 1 for the lamp #kindness', '2024-03-13T15:00:00Z'], // 03-13, REVERSED below
  ['Fay', '@Ed 1 for the chair', '2024-03-11T16:00:00Z'], // 03-11
  ['Fay', '@Ed 1 for the desk', '2024-03-12T16:00:00Z'], // 03-12
  ['Fay', '@Ed 1 for the pen', '2024-03-13T16:00:00Z'], // 03-13
  ['Bo', '@Cy 4 for the early bird', '2024-03-01T04:00:00Z'], // 02-29 23:00 EST: before the range
  ['Bo', '@Cy 4 for the night owl', '2024-03-15T03:00:00Z'], // 03-14 23:00 EDT: in the range
];
const REVERSED = 23;

describe.each(DIALECTS)('insight queries on %s', (dialect) => {
  let db: Database;
  let f: AdminFixture & { close(): Promise<void> };
  let other: AdminFixture & { close(): Promise<void> };
  const id = (name: string) => f.members[name]?.id as number;

  async function give(fixture: AdminFixture, as: string, text: string, when: string) {
    const reply = await fixture.command(as, text);
    expect(reply.outcome, reply.text).toBe('ok');
    const recognitionId = reply.events[0]?.recognitionId as number;
    await sql`update recognitions set created_at = ${new Date(when)}
      where id = ${recognitionId}`.execute(db);
    await sql`update recognition_recipients set created_at = ${new Date(when)}
      where recognition_id = ${recognitionId}`.execute(db);
    return recognitionId;
  }

  beforeAll(async () => {
    db = await openTestDatabase(dialect);
    f = await createAdminFixture(db, { members: MEMBERS, timezone: 'America/New_York' });
    other = await createAdminFixture(db, { members: { Ana: {}, Bo: {} } });
    for (const fixture of [f, other]) {
      for (const name of ['teamwork', 'kindness']) {
        await db
          .insertInto('company_values')
          .values({ organization_id: fixture.organizationId, name, description: null })
          .execute();
      }
    }
    const eng = await createGroup(db, f.organizationId, 'Eng');
    const sales = await createGroup(db, f.organizationId, 'Sales');
    if (!eng.ok || !sales.ok) throw new Error('groups');
    await addGroupMembers(db, eng.value, [id('Ana'), id('Bo'), id('Di')]);
    await addGroupMembers(db, sales.value, [id('Cy'), id('Di')]);

    const ids: number[] = [];
    for (const [as, text, when] of GIVES) ids.push(await give(f, as, text, when));
    const reversal = await reverseRecognition(f.services, await f.actor('Ana'), {
      recognitionId: ids[REVERSED] as number,
      reason: 'a test',
      idempotencyKey: key('rev'),
    });
    expect(reversal.ok).toBe(true);
    // Another organization's kudos, on the same days, count for nobody here.
    for (const when of ['2024-03-05T15:00:00Z', '2024-03-06T15:00:00Z', '2024-03-07T15:00:00Z']) {
      await give(other, 'Ana', '@Bo 7 for the other org #teamwork', when);
      await give(other, 'Bo', '@Ana 7 for the other org', when);
    }

    // Everyone joined on 1 January but Nia, who joined on 15 March; Gus has left.
    await sql`update members set created_at = ${new Date('2024-01-01T00:00:00Z')}
      where organization_id = ${f.organizationId}`.execute(db);
    await sql`update members set created_at = ${new Date('2024-03-15T00:00:00Z')}
      where id = ${id('Nia')}`.execute(db);
    await setMemberStatus(db, f.organizationId, id('Gus'), 'deactivated');
    await sql`update recognition_settings
      set who_may_receive = ${JSON.stringify({ kind: 'everyone_except', members: [id('Jo')] })}
      where organization_id = ${f.organizationId}`.execute(db);
  });

  afterAll(async () => {
    await f?.close();
    await other?.close();
    await db?.destroy();
  });

  it('counts recognitions and points per local day, empty days included', async () => {
    const time = await recognitionsOverTime(db, f.organizationId, RANGE);
    expect(time.bucket).toBe('day');
    expect(time.buckets.map((b) => [b.start, b.recognitions, b.points])).toEqual([
      ['2024-03-01', 1, 5],
      ['2024-03-02', 2, 8],
      ['2024-03-03', 2, 8],
      ['2024-03-04', 2, 7],
      ['2024-03-05', 2, 3],
      ['2024-03-06', 2, 3],
      ['2024-03-07', 2, 3],
      ['2024-03-08', 2, 3],
      ['2024-03-09', 2, 2],
      ['2024-03-10', 0, 0],
      ['2024-03-11', 3, 3],
      ['2024-03-12', 3, 3],
      ['2024-03-13', 2, 2],
      ['2024-03-14', 2, 5],
    ]);
  });

  it('counts per week, from the Monday on or before the first day, over long ranges', async () => {
    const time = await recognitionsOverTime(db, f.organizationId, {
      from: '2024-02-01',
      to: '2024-03-31',
    });
    expect(time.bucket).toBe('week');
    expect(time.buckets.map((b) => [b.start, b.recognitions, b.points])).toEqual([
      ['2024-01-29', 0, 0],
      ['2024-02-05', 0, 0],
      ['2024-02-12', 0, 0],
      ['2024-02-19', 0, 0],
      ['2024-02-26', 6, 25],
      ['2024-03-04', 12, 21],
      ['2024-03-11', 10, 13],
      ['2024-03-18', 0, 0],
      ['2024-03-25', 0, 0],
    ]);
  });

  it('counts recognitions by company value', async () => {
    expect(await recognitionsByValue(db, f.organizationId, RANGE)).toEqual([
      { value: 'teamwork', recognitions: 3 },
      { value: 'kindness', recognitions: 2 },
    ]);
  });

  it('ranks receivers and givers by points, then kudos', async () => {
    const person = (name: string, kudos: number, points: number) => ({
      memberId: id(name),
      name,
      kudos,
      points,
    });
    expect(await topReceivers(db, f.organizationId, RANGE)).toEqual([
      person('Bo', 7, 19),
      person('Ana', 4, 11),
      person('Cy', 6, 10),
      person('Di', 3, 6),
      person('Ed', 4, 5),
      person('Fay', 4, 4),
    ]);
    expect(await topGivers(db, f.organizationId, RANGE)).toEqual([
      person('Ana', 7, 21),
      person('Bo', 4, 13),
      person('Di', 8, 8),
      person('Cy', 4, 8),
      person('Fay', 3, 3),
      person('Ed', 2, 2),
    ]);
    expect(await topGivers(db, f.organizationId, RANGE, 2)).toEqual([
      person('Ana', 7, 21),
      person('Bo', 4, 13),
    ]);
  });

  it('finds the pairs who mostly recognise each other, with their shares', async () => {
    // Ana↔Bo give each other 3 each way, but Bo is 3 of Ana's 7 (43%): not a pair.
    // Ed↔Fay gave 3 each way, but one of Ed's was reversed: 2 is too few.
    expect(await mutualPairs(db, f.organizationId, RANGE)).toEqual([
      {
        a: { memberId: id('Cy'), name: 'Cy', toOther: 3, given: 4, share: 0.75 },
        b: { memberId: id('Di'), name: 'Di', toOther: 4, given: 8, share: 0.5 },
      },
    ]);
  });

  it('counts kudos given and received by each group, and between groups', async () => {
    expect(await recognitionsByGroup(db, f.organizationId, RANGE)).toEqual([
      { groupId: expect.any(Number), name: 'Eng', given: 19, received: 14 },
      { groupId: expect.any(Number), name: 'Sales', given: 12, received: 9 },
      { groupId: null, name: '(no group)', given: 5, received: 8 },
    ]);
    const network = await groupNetwork(db, f.organizationId, RANGE);
    expect(network.groups.map((group) => group.name)).toEqual(['Eng', 'Sales', '(no group)']);
    expect(network.kudos).toEqual([
      [10, 6, 3],
      [8, 7, 0],
      [0, 0, 5],
    ]);
  });

  it('lists the active people who may be recognised and have been quiet N days', async () => {
    const asOf = new Date('2024-03-20T12:00:00Z');
    // Not listed: Bo, Cy, Ed (recognised since 13 March, 12:00 UTC), Nia (joined on the
    // 15th), Gus (left), Hal (a bot), Gia (a guest; guests do not take part), Jo (may not
    // receive). Fay's kudos on the 13th was reversed, so her last is the 12th.
    expect(await quietMembers(db, f.organizationId, { days: 7, asOf })).toEqual([
      { memberId: id('Ivy'), name: 'Ivy', lastRecognizedAt: null, quietDays: 79 },
      {
        memberId: id('Di'),
        name: 'Di',
        lastRecognizedAt: new Date('2024-03-07T16:00:00Z'),
        quietDays: 12,
      },
      {
        memberId: id('Ana'),
        name: 'Ana',
        lastRecognizedAt: new Date('2024-03-08T16:00:00Z'),
        quietDays: 11,
      },
      {
        memberId: id('Fay'),
        name: 'Fay',
        lastRecognizedAt: new Date('2024-03-12T15:00:00Z'),
        quietDays: 7,
      },
    ]);
    const longer = await quietMembers(db, f.organizationId, { days: 12, asOf });
    expect(longer.map((member) => member.name)).toEqual(['Ivy', 'Di']);
  });

  it("reads only the organization's own kudos", async () => {
    expect(await topReceivers(db, other.organizationId, RANGE)).toEqual([
      { memberId: other.members.Ana?.id, name: 'Ana', kudos: 3, points: 21 },
      { memberId: other.members.Bo?.id, name: 'Bo', kudos: 3, points: 21 },
    ]);
    expect(await recognitionsByValue(db, other.organizationId, RANGE)).toEqual([
      { value: 'teamwork', recognitions: 3 },
    ]);
  });

  it('reads the whole page alike when many are read at once on a pool of two', async () => {
    const quiet = { days: 30, asOf: new Date('2024-03-20T12:00:00Z') };
    const alone = await readInsights(db, f.organizationId, RANGE, quiet);
    // On a server a page reads its people in a second session; pages that each held one
    // connection and waited for another would wait on each other for good.
    const small =
      dialect === 'postgres' ? await openDatabase({ url: inject('databaseUrl'), poolSize: 2 }) : db;
    try {
      const pages = await Promise.all(
        Array.from({ length: 6 }, () => readInsights(small, f.organizationId, RANGE, quiet)),
      );
      for (const page of pages) expect(page).toEqual(alone);
    } finally {
      if (small !== db) await small.destroy();
    }
  });
});
