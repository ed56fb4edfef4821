import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reverseRecognition } from '../../../src/admin/recognition-reversals.ts';
import { readInsights } from '../../../src/console/insights/insight-queries.ts';
import { addDays } from '../../../src/console/insights/insight-range.ts';
import { overviewFigures } from '../../../src/console/overview-figures.ts';
import type { Database } from '../../../src/db/database.ts';
import { addGroupMembers, createGroup, removeGroupMembers } from '../../../src/directory/groups.ts';
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
 * gives (typed, to one to three people, with values), reversals by an admin, reactions
 * given and taken back within their grace period, kudos dated back, group changes and a
 * change of time zone run through the real write paths, and after each round every
 * insight read from the counts must equal the same insight counted straight from the
 * kudos, as the console counted before, over short (daily) and long (weekly) ranges.
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
    const recipients = [...new Set([random.pick(others), random.pick(others), random.pick(others)])]
      .slice(0, random.int(1, 3))
      .map((name) => `@${name}`);
    const value = random.pick(['', ' #teamwork', ' #kindness', ' #teamwork #kindness']);
    const reply = await f.command(
      giver,
      `${recipients.join(' ')} ${random.int(1, 5)} for it${value}`,
    );
    expect(reply.outcome, reply.text).toBe('ok');
    const recognitionId = reply.events[0]?.recognitionId as number;
    given.push(recognitionId);
    if (random.chance(0.7)) await dateBack(recognitionId, random.int(0, 70), random.int(0, 23));
  }

  function reaction(from: string, to: string, messageId: string): Reaction {
    return {
      reactor: f.members[from] as Reaction['reactor'],
      author: f.members[to] as Reaction['author'],
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

  async function expectCountsAgree(label: string) {
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/New_York' }).format(TODAY);
    for (const range of [
      { from: addDays(today, -13), to: today },
      { from: addDays(today, -40), to: addDays(today, -10) },
      { from: addDays(today, -89), to: today },
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
  });

  it('count the days again when the organization moves to another time zone', async () => {
    await sql`update organizations set timezone = 'Asia/Tokyo' where id = ${f.organizationId}`.execute(
      db,
    );
    f.services.settings.invalidate(f.organizationId);
    await expectCountsAgree('in Tokyo');
  });
});
