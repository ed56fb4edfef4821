import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/database.ts';
import { openTestDatabase } from '../../support/databases.ts';
import { assetSums, countRows } from '../../support/ledger-invariants.ts';
import { organizationSnapshot } from '../../support/organization-snapshot.ts';
import {
  balancesOf,
  createRecognitionFixture,
  recognitionCount,
} from '../../support/recognition-fixture.ts';

const TEAM = { Ana: {}, Li: {}, José: {}, 田中: {} };

describe('giving kudos on postgres', () => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase('postgres');
  });
  afterAll(async () => {
    await db?.destroy();
  });

  it('moves points to every recipient, records the recognition, and celebrates it', async () => {
    const f = await createRecognitionFixture(db, { members: TEAM, values: ['teamwork'] });
    const reply = await f.kudos('Ana', '@Li @José 10 for the launch #TeamWork #unlisted');
    expect(reply).toMatchObject({
      outcome: 'ok',
      text: 'You gave 10 points to Li and José for the launch #TeamWork #unlisted. #unlisted is not a company value here, so it was kept in the text but not counted as one (the values: #teamwork). You have 80 points left to give this month.',
    });
    expect(reply.events).toEqual([
      expect.objectContaining({
        kind: 'kudos_given',
        giver: { memberId: f.members.Ana?.id, name: 'Ana' },
        recipients: [
          { memberId: f.members.Li?.id, name: 'Li' },
          { memberId: f.members.José?.id, name: 'José' },
        ],
        amountEach: 10,
        message: 'the launch #TeamWork #unlisted',
        values: ['teamwork'],
        channel: 'test',
      }),
    ]);
    expect(await balancesOf(f, 'Ana')).toEqual({ allowance: 80, earned: 0 });
    expect(await balancesOf(f, 'Li')).toEqual({ allowance: 0, earned: 10 });
    expect(await balancesOf(f, 'José')).toEqual({ allowance: 0, earned: 10 });
    const stored = await db
      .selectFrom('recognitions')
      .selectAll()
      .where('organization_id', '=', f.organizationId)
      .executeTakeFirstOrThrow();
    expect(stored).toMatchObject({
      giver_id: f.members.Ana?.id,
      amount_each: 10,
      message: 'the launch #TeamWork #unlisted',
      company_values: ['teamwork'],
      platform: 'local',
      channel: 'test',
    });
    const recipients = await db
      .selectFrom('recognition_recipients')
      .select(['recipient_id', 'amount'])
      .where('recognition_id', '=', stored.id)
      .orderBy('recipient_id')
      .execute();
    expect(recipients).toEqual([
      { recipient_id: f.members.Li?.id, amount: 10 },
      { recipient_id: f.members.José?.id, amount: 10 },
    ]);
    expect(await assetSums(db, f.organizationId)).toEqual([
      { asset: 'allowance', posted: 0, pending: 0 },
      { asset: 'points', posted: 0, pending: 0 },
    ]);
  });

  it("gives the organization's default amount when none is named", async () => {
    const f = await createRecognitionFixture(db, {
      members: TEAM,
      settings: { default_amount: 7 },
    });
    expect(await f.kudos('Ana', '@田中 for the translation')).toMatchObject({ outcome: 'ok' });
    expect(await balancesOf(f, '田中')).toEqual({ allowance: 0, earned: 7 });
  });

  it('refuses with a sentence and changes nothing', async () => {
    const f = await createRecognitionFixture(db, {
      members: { ...TEAM, Bot: { isBot: true }, Guest: { isGuest: true } },
      settings: { max_amount: 50, max_recipients: 2, min_reason_length: 5 },
    });
    const cases: Array<[string, string, string | RegExp]> = [
      [
        '@Bob 5 for help',
        'unknown_recipient',
        'I do not know who @Bob is; check the name or pick them from the list.',
      ],
      [
        '@Li @Ana 5 for us',
        'self_kudos',
        'You cannot give kudos to yourself. Nobody was credited; send it again without yourself.',
      ],
      [
        '@Li @José @田中 5 for all of you',
        'too_many_recipients',
        'You can recognize at most 2 people at once; this names 3.',
      ],
      [
        '@Li 51 for the launch',
        'amount_too_large',
        'Kudos are at most 50 points each; 51 is more than that.',
      ],
      ['@Bot 5 for deploys', 'recipient_is_bot', 'Bot is a bot; kudos are for people.'],
      [
        '@Guest 5 for helping',
        'guest_excluded',
        'Guest is a guest, and guests cannot receive kudos here; ask an admin if that should change.',
      ],
      ['@Li 5 for it', 'reason_too_short', 'Say what the kudos is for, in at least 5 characters.'],
      [
        '@Li 2.5 for the launch',
        'usage',
        /^Points are whole numbers, like 10\. Give kudos like this: \/kudos @ana/,
      ],
      [
        'thanks everyone',
        'usage',
        /^Say who you are thanking with a mention: \/kudos thanks @ana for the help\./,
      ],
    ];
    const before = {
      rows: await countRows(db, f.organizationId),
      kudos: await recognitionCount(db, f.organizationId),
    };
    for (const [text, code, message] of cases) {
      const reply = await f.kudos('Ana', text);
      expect(reply.code, text).toBe(code);
      expect(reply.outcome, text).toBe(code === 'usage' ? 'usage' : 'refused');
      expect(reply.events, text).toEqual([]);
      if (typeof message === 'string') expect(reply.text, text).toBe(message);
      else expect(reply.text, text).toMatch(message);
    }
    // Every refusal came before any write: not even Ana's allowance period was opened.
    expect(await countRows(db, f.organizationId)).toEqual(before.rows);
    expect(await recognitionCount(db, f.organizationId)).toBe(before.kudos);
    expect(await balancesOf(f, 'Li')).toEqual({ allowance: 0, earned: 0 });
    expect(await balancesOf(f, 'Ana')).toEqual({ allowance: 0, earned: 0 });
  });

  it('refuses a reason past the longest the organization allows, naming both lengths, and changes nothing', async () => {
    const f = await createRecognitionFixture(db, { members: TEAM });
    const before = await organizationSnapshot(db, f.organizationId);
    const megabyte = 'x'.repeat(1024 * 1024);
    const reply = await f.kudos('Ana', `@Li 5 for ${megabyte}`);
    expect(reply).toMatchObject({
      outcome: 'refused',
      code: 'reason_too_long',
      text: 'A reason is at most 1,000 characters; this one is 1,048,576.',
      events: [],
    });
    expect(await organizationSnapshot(db, f.organizationId)).toEqual(before);
    // The limit is the organization's, and the reason as long as it is still goes through.
    await db
      .updateTable('recognition_settings')
      .set({ max_reason_length: 20 })
      .where('organization_id', '=', f.organizationId)
      .execute();
    f.services.settings.invalidate(f.organizationId);
    expect((await f.kudos('Ana', `@Li 5 for ${'y'.repeat(21)}`)).text).toBe(
      'A reason is at most 20 characters; this one is 21.',
    );
    expect(await f.kudos('Ana', `@Li 5 for ${'y'.repeat(20)}`)).toMatchObject({ outcome: 'ok' });
  });

  it('says how much allowance is left when a give needs more', async () => {
    const f = await createRecognitionFixture(db, {
      members: TEAM,
      settings: { allowance_amount: 35 },
    });
    expect(await f.kudos('Ana', '@Li 20 for the launch')).toMatchObject({ outcome: 'ok' });
    const reply = await f.kudos('Ana', '@José @田中 10 for the demo');
    expect(reply).toMatchObject({
      outcome: 'refused',
      code: 'insufficient_allowance',
      text: 'You have 15 points left to give this month; this needs 20.',
    });
    expect(await balancesOf(f, 'José')).toEqual({ allowance: 0, earned: 0 });
    expect(await balancesOf(f, '田中')).toEqual({ allowance: 0, earned: 0 });
    expect(await recognitionCount(db, f.organizationId)).toBe(1);
  });

  it('answers a redelivered command with the first answer and moves nothing twice', async () => {
    const f = await createRecognitionFixture(db, { members: TEAM });
    const first = await f.kudos('Ana', '@Li 10 for the launch', 'slack-retry-1');
    const again = await f.kudos('Ana', '@Li 10 for the launch', 'slack-retry-1');
    expect(again.text).toBe(first.text);
    expect(first.events).toHaveLength(1);
    expect(again.events).toEqual([]);
    expect(await balancesOf(f, 'Li')).toEqual({ allowance: 0, earned: 10 });
    expect(await recognitionCount(db, f.organizationId)).toBe(1);
    const concurrent = await Promise.all(
      Array.from({ length: 10 }, () =>
        f.kudos('Ana', '@José 5 for the review', 'teams-redelivery-7'),
      ),
    );
    expect(concurrent.filter((reply) => reply.events.length > 0)).toHaveLength(1);
    expect(new Set(concurrent.map((reply) => reply.text)).size).toBe(1);
    expect(await balancesOf(f, 'José')).toEqual({ allowance: 0, earned: 5 });
  });

  it('caps the points one giver gives one recipient per day', async () => {
    const f = await createRecognitionFixture(db, {
      members: TEAM,
      settings: { daily_pair_cap: 20 },
    });
    expect(await f.kudos('Ana', '@Li 10 for the morning')).toMatchObject({ outcome: 'ok' });
    expect(await f.kudos('Ana', '@Li 10 for the afternoon')).toMatchObject({ outcome: 'ok' });
    expect(await f.kudos('Ana', '@Li 1 for the evening')).toMatchObject({
      outcome: 'refused',
      code: 'daily_pair_cap',
      text: 'You have given Li 20 points today; the daily limit per person is 20.',
    });
    expect(await f.kudos('Ana', '@Li @José 5 for both')).toMatchObject({ code: 'daily_pair_cap' });
    expect(await f.kudos('Ana', '@José 20 for the review')).toMatchObject({ outcome: 'ok' });
    expect(await f.kudos('Ana', '@田中 21 for too much')).toMatchObject({
      code: 'daily_pair_cap',
      text: 'You can give one person at most 20 points a day.',
    });
    expect(await f.kudos('Li', '@José 20 for a different pair')).toMatchObject({ outcome: 'ok' });
    // Yesterday's kudos do not count towards today's cap.
    await db
      .updateTable('recognition_recipients')
      .set({ created_at: new Date(Date.now() - 36 * 3600 * 1000) })
      .where('giver_id', '=', f.members.Ana?.id as number)
      .execute();
    expect(await f.kudos('Ana', '@Li 20 for a new day')).toMatchObject({ outcome: 'ok' });
    expect(await balancesOf(f, 'Li')).toEqual({ allowance: 80, earned: 40 });
  });

  it('applies who may give and who may receive, by role and by group', async () => {
    const f = await createRecognitionFixture(db, {
      members: { ...TEAM, Boss: { roles: ['member', 'admin'] } },
    });
    const group = await db
      .insertInto('groups')
      .values({ organization_id: f.organizationId, name: 'contractors' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db
      .insertInto('group_members')
      .values({
        organization_id: f.organizationId,
        group_id: group.id,
        member_id: f.members.José?.id as number,
      })
      .execute();
    await db
      .updateTable('recognition_settings')
      .set({
        who_may_give: JSON.stringify({ kind: 'only', roles: ['admin'] }),
        who_may_receive: JSON.stringify({ kind: 'everyone_except', groups: [group.id] }),
      })
      .where('organization_id', '=', f.organizationId)
      .execute();
    expect(await f.kudos('Ana', '@Li 5 for help')).toMatchObject({ code: 'not_allowed_to_give' });
    expect(await f.kudos('Boss', '@José 5 for help')).toMatchObject({
      code: 'not_allowed_to_receive',
      text: 'José has been left out of receiving kudos here; ask Boss (admin) if that seems wrong.',
    });
    expect(await f.kudos('Boss', '@Li 5 for help')).toMatchObject({ outcome: 'ok' });
  });

  it('by one giver 100 times at once with 100 to give: exactly 10 of 10 succeed', async () => {
    const f = await createRecognitionFixture(db, { members: TEAM });
    const replies = await Promise.all(
      Array.from({ length: 100 }, (_, index) =>
        f.kudos('Ana', `@${index % 2 ? 'Li' : 'José'} 10 for round ${index}`),
      ),
    );
    const codes = replies.map((reply) => reply.code ?? reply.outcome);
    expect(codes.filter((code) => code === 'ok')).toHaveLength(10);
    expect(codes.filter((code) => code === 'insufficient_allowance')).toHaveLength(90);
    expect(await balancesOf(f, 'Ana')).toEqual({ allowance: 0, earned: 0 });
    const li = await balancesOf(f, 'Li');
    const jose = await balancesOf(f, 'José');
    expect(li.earned + jose.earned).toBe(100);
    expect(await recognitionCount(db, f.organizationId)).toBe(10);
    expect(await assetSums(db, f.organizationId)).toEqual([
      { asset: 'allowance', posted: 0, pending: 0 },
      { asset: 'points', posted: 0, pending: 0 },
    ]);
  });
});
