import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reverseRecognition } from '../../../src/admin/recognition-reversals.ts';
import { readInsights } from '../../../src/console/insights/insight-queries.ts';
import { addDays } from '../../../src/console/insights/insight-range.ts';
import { rollUpKudos } from '../../../src/console/insights/kudos-rollups.ts';
import { overviewFigures } from '../../../src/console/overview-figures.ts';
import type { Database } from '../../../src/db/database.ts';
import { addGroupMembers, createGroup, removeGroupMembers } from '../../../src/directory/groups.ts';
import { boostKudos } from '../../../src/recognition/boosts.ts';
import {
  giveForReaction,
  type Reaction,
  removeReaction,
} from '../../../src/recognition/reaction-kudos.ts';
import { createRecognitionServices } from '../../../src/recognition/recognition-services.ts';
import { type AdminFixture, createAdminFixture } from '../../support/admin-fixture.ts';
import { DIALECTS, openTestDatabase } from '../../support/databases.ts';
import { directInsights } from '../../support/direct-insight-queries.ts';
import { key } from '../../support/ledger-fixture.ts';
import { SeededRandom } from '../../support/seeded-random.ts';

/*
 * The console reads kudos counted as they are written (migrations/0025). Here random
 * gives (typed, to one to three people, with values, some private), boosts of public ones,
 * reversals by an admin, reactions given and taken back within their grace period, kudos
 * dated back, group changes and a change of time zone run through the real write paths
 * (and a recognition made private afterwards, which no write path does but the counts
 * follow), and after each round every
 * insight read from the counts must equal the same insight counted straight from the
 * kudos, as the console counted before, over short (daily) and long (weekly) ranges.
 * The days that are over are read from their roll-ups (migrations/0027): each round
 * compares once with the roll-ups as the round's writes left them (reopened by a reversal,
 * a kudos dated back or made private, a group change; a kudos added to a closed day), and
 * once more after rolling up again.
 */
const NAMES = ['Ana', 'Bo', 'Cy', 'Di', 'Ed', 'Fay', 'Gus', 'Hal'];
const TODAY = new Date();
const ROUNDS = 4;
const GIVES_PER_ROUND = 12;

describe.each(DIALECTS)('kudos counts on %s', (dialect) => {
  let db: Database;
  let f: AdminFixture & { close(): Promise<void> };
  const random = new SeededRandom(19_03);
  const given: number[] = [];
  /** The public kudos given, with who took part, to boost. */
  const boostable: { id: number; giver: string; recipients: string[] }[] = [];
  let privates = 0;
  let boosts = 0;
  let zone = 'America/New_York';
  const id = (name: string) => f.members[name]?.id as number;

  beforeAll(async () => {
    db = await openTestDatabase(dialect);
    f = await createAdminFixture(db, {
      members: Object.fromEntries(
        NAMES.map((name, i) => [name, i === 0 ? { roles: ['member', 'admin'] as const } : {}]),
      ),
      timezone: 'America/New_York',
    });
    await sql`update recognition_settings set allowance_amount = 100000,
        reaction_points = ${JSON.stringify({ taco: 2 })}::jsonb
      where organization_id = ${f.organizationId}`.execute(db);
    for (const name of ['teamwork', 'kindness']) {
      await db
        .insertInto('company_values')
        .values({ organization_id: f.organizationId, name, description: null })
        .execute();
    }
  });

  afterAll(async () => {
    await f?.close();
    await db?.destroy();
  });

  /** Moves a recognition and its kudos back in time, as the kudos of the past were given. */
  async function dateBack(recognitionId: number, days: number, hour: number) {
    const when = new Date(TODAY.getTime() - days * 86_400_000);
    when.setUTCHours(hour);
    await sql`update recognitions set created_at = ${when} where id = ${recognitionId}`.execute(db);
    await sql`update recognition_recipients set created_at = ${when}
      where recognition_id = ${recognitionId}`.execute(db);
  }

  async function give() {
    const giver = random.pick(NAMES);
    const others = NAMES.filter((name) => name !== giver);
    const names = [
      ...new Set([random.pick(others), random.pick(others), random.pick(others)]),
    ].slice(0, random.int(1, 3));
    const recipients = names.map((name) => `@${name}`);
    const value = random.pick(['', ' #teamwork', ' #kindness', ' #teamwork #kindness']);
    const secret = random.chance(0.3);
    const reply = await f.command(
      giver,
      `${secret ? 'private ' : ''}${recipients.join(' ')} ${random.int(1, 5)} for it${value}`,
    );
    expect(reply.outcome, reply.text).toBe('ok');
    const recognitionId = reply.events[0]?.recognitionId as number;
    given.push(recognitionId);
    if (secret) privates++;
    else boostable.push({ id: recognitionId, giver, recipients: names });
    if (random.chance(0.7)) await dateBack(recognitionId, random.int(0, 70), random.int(0, 23));
  }

  /** A boost of a public kudos by someone not in it: a recognition of its own. */
  async function boost() {
    const kudos = random.pick(boostable);
    const outsiders = NAMES.filter(
      (name) => name !== kudos.giver && !kudos.recipients.includes(name),
    );
    const reply = await boostKudos(createRecognitionServices(db), {
      booster: f.members[random.pick(outsiders)] as Reaction['reactor'],
      recognitionId: kudos.id,
      amount: random.int(1, 3),
      platform: 'slack',
      tenantId: 'T0COUNT',
      channel: 'C0COUNT',
    });
    // Taken back, or boosted by them already: refused, and nothing counted.
    if (reply.outcome !== 'ok') return;
    const recognitionId = reply.events[0]?.recognitionId as number;
    given.push(recognitionId);
    boosts++;
    if (random.chance(0.5)) await dateBack(recognitionId, random.int(0, 70), random.int(0, 23));
  }

  function reaction(from: string, to: string, messageId: string): Reaction {
    return {
      reactor: f.members[from] as Reaction['reactor'],
      thanked: [f.members[to] as Reaction['reactor']],
      emoji: 'taco',
      platform: 'slack',
      tenantId: 'T0COUNT',
      channel: 'C0COUNT',
      messageId,
      link: `https://example.slack.com/archives/C0COUNT/p${messageId}`,
    };
  }

  async function react(round: number) {
    const services = createRecognitionServices(db);
    const [from, to] = [random.pick(NAMES.slice(0, 4)), random.pick(NAMES.slice(4))];
    const added = reaction(from, to, `17335${round}0000.0001`);
    expect((await giveForReaction(services, added))?.outcome).toBe('ok');
    if (random.chance(0.5)) expect(await removeReaction(services, added)).toBe('reversed');
  }

  /** The insights agree as the roll-ups are, and again once rolled up through yesterday. */
  async function expectCountsAgree(label: string) {
    await expectInsightsAgree(`${label}, as rolled up before`);
    const through = await rollUpKudos(db, f.organizationId);
    const { rows } = await sql<{ days: number }>`
      select count(distinct day)::int as days from kudos_member_running
      where organization_id = ${f.organizationId}`.execute(db);
    // Rolled up through yesterday, and read from the roll-ups: not only from the day rows.
    expect(through < localToday()).toBe(true);
    expect(rows[0]?.days, label).toBeGreaterThan(30);
    await expectInsightsAgree(`${label}, rolled up through ${through}`);
  }

  const localToday = () => new Intl.DateTimeFormat('en-CA', { timeZone: zone }).format(TODAY);

  async function expectInsightsAgree(label: string) {
    const today = localToday();
    for (const range of [
      { from: addDays(today, -13), to: today },
      { from: addDays(today, -40), to: addDays(today, -10) },
      { from: addDays(today, -89), to: today },
      // Ending yesterday, beginning on the first kudos' day or before it, and today only.
      { from: addDays(today, -75), to: addDays(today, -1) },
      { from: today, to: today },
    ]) {
      for (const days of [3, 30]) {
        const quiet = { days, asOf: TODAY };
        const counted = await readInsights(db, f.organizationId, range, quiet);
        const direct = await directInsights(db, f.organizationId, range, quiet);
        expect(counted, `${label}, ${range.from}…${range.to}`).toEqual(direct);
      }
    }
    const overview = await overviewFigures(f.services, f.organizationId);
    const { rows } = await sql<{ participants: number; recognitions: number; points: number }>`
      with kept as (
        select r.* from recognition_recipients r
        where r.organization_id = ${f.organizationId}
          and r.created_at >= ${overview.period.start} and r.created_at < ${overview.period.end}
          and not exists (select 1 from recognition_reversals v
            where v.recognition_id = r.recognition_id))
      select
        (select count(*)::int from members m where m.organization_id = ${f.organizationId}
          and m.status = 'active' and not m.is_bot
          and m.id in (select giver_id from kept union select recipient_id from kept))
          as participants,
        (select count(distinct recognition_id)::int from kept) as recognitions,
        (select coalesce(sum(amount), 0)::int from kept) as points`.execute(db);
    expect(
      {
        participants: overview.participants,
        recognitions: overview.recognitions,
        points: overview.pointsGiven,
      },
      label,
    ).toEqual(rows[0]);
  }

  it('agree with the kudos counted directly after gives, reversals, undone reactions and group changes', async () => {
    const eng = await createGroup(db, f.organizationId, 'Eng');
    const sales = await createGroup(db, f.organizationId, 'Sales');
    if (!eng.ok || !sales.ok) throw new Error('groups');
    await addGroupMembers(db, eng.value, [id('Ana'), id('Bo'), id('Cy')]);
    await addGroupMembers(db, sales.value, [id('Cy'), id('Di'), id('Ed')]);
    for (let round = 0; round < ROUNDS; round++) {
      for (let n = 0; n < GIVES_PER_ROUND; n++) await give();
      for (let n = 0; n < 3; n++) await boost();
      await react(round);
      for (const recognitionId of given.splice(0, random.int(1, 3))) {
        const reversal = await reverseRecognition(f.services, await f.actor('Ana'), {
          recognitionId,
          reason: 'a test',
          idempotencyKey: key('count-rev'),
        });
        expect(reversal.ok).toBe(true);
      }
      await expectCountsAgree(`round ${round}`);
      const moved = random.pick(NAMES);
      await removeGroupMembers(db, eng.value, [id(moved)]);
      await addGroupMembers(db, sales.value, [id(random.pick(NAMES))]);
    }
    expect(given.length).toBeGreaterThan(0);
    expect(privates).toBeGreaterThan(0);
    expect(boosts).toBeGreaterThan(0);
  });

  it('move a recognition’s kudos between the public and private counts when its privacy changes', async () => {
    // One not taken back (the reversed leave `given`), so its kudos count.
    const kudos = boostable.find((one) => given.includes(one.id));
    if (!kudos) throw new Error('no public kudos kept');
    await sql`update recognitions set private = true where id = ${kudos.id}`.execute(db);
    await expectCountsAgree('made private');
    await sql`update recognitions set private = false where id = ${kudos.id}`.execute(db);
    await expectCountsAgree('made public again');
  });

  it('count the days again when the organization moves to another time zone', async () => {
    await sql`update organizations set timezone = 'Asia/Tokyo' where id = ${f.organizationId}`.execute(
      db,
    );
    f.services.settings.invalidate(f.organizationId);
    zone = 'Asia/Tokyo';
    await expectCountsAgree('in Tokyo');
  });

  it('find the pairs who mostly recognise each other, before and after reversals', async () => {
    const pairCommands = async (from: string, to: string, times: number) => {
      const ids: number[] = [];
      for (let n = 0; n < times; n++) {
        const reply = await f.command(from, `@${to} 1 for the pairing`);
        expect(reply.outcome, reply.text).toBe('ok');
        ids.push(reply.events[0]?.recognitionId as number);
      }
      return ids;
    };
    const gusToHal = await pairCommands('Gus', 'Hal', 14);
    const halToGus = await pairCommands('Hal', 'Gus', 14);
    // Most on closed days, rolled up, a few today.
    for (const [n, recognitionId] of [...gusToHal, ...halToGus].entries()) {
      if (n % 7 !== 0) await dateBack(recognitionId, 2 + (n % 20), 12);
    }
    await expectCountsAgree('a mutual pair');
    const today = localToday();
    const pairs = await readInsights(
      db,
      f.organizationId,
      { from: addDays(today, -30), to: today },
      { days: 30, asOf: TODAY },
    );
    expect(pairs.pairs.map((pair) => [pair.a.name, pair.b.name].sort())).toContainEqual([
      'Gus',
      'Hal',
    ]);
    // A kudos written straight into a rolled-up day: the pairs' totals are counted again
    // from nothing by the next roll-up, and the pair is still found from them.
    await addKudosToClosedDay();
    await expectCountsAgree('a mutual pair, its totals counted again');
    const again = await readInsights(
      db,
      f.organizationId,
      { from: addDays(today, -30), to: today },
      { days: 30, asOf: TODAY },
    );
    expect(again.pairs.map((pair) => [pair.a.name, pair.b.name].sort())).toContainEqual([
      'Gus',
      'Hal',
    ]);
    // Taken back until it is no longer mutual: the pairs' totals move with the reversals.
    for (const recognitionId of gusToHal.slice(0, 12)) {
      const reversal = await reverseRecognition(f.services, await f.actor('Ana'), {
        recognitionId,
        reason: 'a test',
        idempotencyKey: key('pair-rev'),
      });
      expect(reversal.ok).toBe(true);
    }
    await expectCountsAgree('a mutual pair taken back');
  });

  /**
   * A recipient added to a kept recognition of days ago, as an import would: no write
   * path reopens the day, and the roll-ups must see that its kudos changed.
   */
  async function addKudosToClosedDay() {
    const { rows } = await sql<{ recognition_id: number; created_at: Date; giver_id: number }>`
      select rr.recognition_id, rr.created_at, rr.giver_id from recognition_recipients rr
      join recognitions r on r.id = rr.recognition_id
      where rr.organization_id = ${f.organizationId} and not r.private
        and rr.created_at < now() - interval '3 days'
        and not exists (select 1 from recognition_reversals v
          where v.recognition_id = rr.recognition_id)
      order by rr.created_at desc limit 1`.execute(db);
    const kudos = rows[0];
    if (!kudos) throw new Error('no kept kudos before yesterday');
    await sql`insert into recognition_recipients (recognition_id, organization_id, giver_id,
        recipient_id, amount, created_at)
      select ${kudos.recognition_id}, ${f.organizationId}, ${kudos.giver_id}, m.id, 7,
        ${kudos.created_at}
      from members m where m.organization_id = ${f.organizationId} and m.id <> ${kudos.giver_id}
        and m.id not in (select recipient_id from recognition_recipients
          where recognition_id = ${kudos.recognition_id})
      order by m.id limit 1`.execute(db);
  }

  it('count a kudos written straight into a day already rolled up', async () => {
    await rollUpKudos(db, f.organizationId);
    await addKudosToClosedDay();
    await expectCountsAgree('a kudos added to a closed day');
  });
});
