import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/database.ts';
import { listNames } from '../../../src/recognition/wording.ts';
import { openTestDatabase } from '../../support/databases.ts';
import { countRows } from '../../support/ledger-invariants.ts';
import {
  balancesOf,
  createRecognitionFixture,
  type RecognitionFixture,
  recognitionCount,
} from '../../support/recognition-fixture.ts';

/** Issue 18's phrasings through the real router, against Postgres: what moves is what the reply says. */
describe('issue 18 phrasings on postgres', () => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase('postgres');
  });
  afterAll(async () => {
    await db?.destroy();
  });

  async function withGroup(f: RecognitionFixture, name: string, people: string[]) {
    const group = await db
      .insertInto('groups')
      .values({ organization_id: f.organizationId, name })
      .returning('id')
      .executeTakeFirstOrThrow();
    for (const person of people) {
      await db
        .insertInto('group_members')
        .values({
          organization_id: f.organizationId,
          group_id: group.id,
          member_id: f.members[person]?.id as number,
        })
        .execute();
    }
  }

  it('thanking your own group leaves you out and says so', async () => {
    const f = await createRecognitionFixture(db, { members: { Ana: {}, Li: {}, José: {} } });
    await withGroup(f, 'design', ['Ana', 'Li', 'José']);
    const reply = await f.kudos('Ana', '@design 5 for the launch');
    expect(reply).toMatchObject({
      outcome: 'ok',
      text: 'You gave 5 points to Li and José for the launch. You are in a group you thanked, so you were left out: kudos cannot go to yourself. You have 90 points left to give this month.',
    });
    expect(await balancesOf(f, 'Ana')).toEqual({ allowance: 90, earned: 0 });
    expect(await balancesOf(f, 'Li')).toEqual({ allowance: 0, earned: 5 });
    expect(await balancesOf(f, 'José')).toEqual({ allowance: 0, earned: 5 });
  });

  it('naming yourself is still refused, even beside your group', async () => {
    const f = await createRecognitionFixture(db, { members: { Ana: {}, Li: {} } });
    await withGroup(f, 'design', ['Ana', 'Li']);
    const before = await countRows(db, f.organizationId);
    expect(await f.kudos('Ana', '@design @Ana 5 for us')).toMatchObject({ code: 'self_kudos' });
    expect(await f.kudos('Ana', '@Ana 5 for me')).toMatchObject({ code: 'self_kudos' });
    await withGroup(f, 'solo', ['Ana']);
    expect(await f.kudos('Ana', '@solo 5 for me')).toMatchObject({
      code: 'self_kudos',
      text: 'You are the only one in the group you thanked, and kudos cannot go to yourself; nothing was given.',
    });
    expect(await countRows(db, f.organizationId)).toEqual(before);
  });

  it('tells the giver which hashtags are no company value, and counts the others', async () => {
    const f = await createRecognitionFixture(db, {
      members: { Ana: {}, Li: {} },
      values: ['teamwork', 'ownership'],
    });
    const reply = await f.kudos('Ana', '@Li 5 for the fix #teamwork #yolo #Heroics');
    expect(reply.text).toBe(
      'You gave 5 points to Li for the fix #teamwork #yolo #Heroics. #yolo and #heroics are not company values here, so they were kept in the text but not counted as values (the values: #ownership, #teamwork). You have 95 points left to give this month.',
    );
    expect(reply.events?.[0]).toMatchObject({
      message: 'the fix #teamwork #yolo #Heroics',
      values: ['teamwork'],
    });
  });

  it('tells a bot that bots do not give, not that its account is inactive', async () => {
    const f = await createRecognitionFixture(db, { members: { Robo: { isBot: true }, Li: {} } });
    expect(await f.kudos('Robo', '@Li 5 for the deploy')).toMatchObject({
      code: 'not_allowed_to_give',
      text: 'Bots cannot give kudos: kudos are from people, out of their own allowance.',
    });
    expect(await recognitionCount(db, f.organizationId)).toBe(0);
  });

  it.each([
    ['thanks @Li for the help', 10, 'You gave 10 points to Li for the help.'],
    ["Hey @Li 1 you're great", 1, "You gave 1 point to Li for you're great."],
    ['Awesome work @Li', 10, 'You gave 10 points to Li for Awesome work.'],
    ['{@Li} {@José} 3', 3, 'You gave 3 points to Li and José.'],
  ])('gives %j as the reply says', async (text, amount, gave) => {
    const f = await createRecognitionFixture(db, { members: { Ana: {}, Li: {}, José: {} } });
    const reply = await f.kudos('Ana', text);
    expect(reply.outcome).toBe('ok');
    expect(reply.text?.startsWith(`${gave} `)).toBe(true);
    expect((await balancesOf(f, 'Li')).earned).toBe(amount);
  });

  it('says the default amount was given when the reason holds a number', async () => {
    const f = await createRecognitionFixture(db, { members: { Ana: {}, Li: {} } });
    expect((await f.kudos('Ana', 'thanks @Li for fixing 3 bugs')).text).toBe(
      'You gave 10 points to Li for fixing 3 bugs. 10 points is the default amount: a number in the reason is not read as the amount; to give another, put it right after the names. You have 90 points left to give this month.',
    );
  });

  it('for random text, moves exactly the amount its reply states to the people it names, or nothing', async () => {
    const f = await createRecognitionFixture(db, {
      members: { Ana: {}, Li: {}, José: {}, Bo: {} },
      settings: { allowance_amount: 1_000_000, max_amount: 50 },
      values: ['teamwork'],
    });
    await withGroup(f, 'design', ['Ana', 'Li']);
    // Ana's allowance is granted on her first give: before the property compares it.
    expect((await f.kudos('Ana', '@Bo 1 for a start')).outcome).toBe('ok');
    const people = ['Ana', 'Li', 'José', 'Bo'];
    const state = async () => ({
      earned: await Promise.all(people.map(async (name) => (await balancesOf(f, name)).earned)),
      allowance: (await balancesOf(f, 'Ana')).allowance,
      rows: await countRows(db, f.organizationId),
    });
    const fragment = fc.constantFrom(
      'thanks',
      'Hey',
      'Awesome work',
      'lunch with',
      'kudos to',
      'frobnicate',
      'give',
      '@Li',
      '@José',
      '@Bo',
      '@Ana',
      '@design',
      '@nobody',
      '{@Li}',
      '(@Bo)',
      'and',
      ',',
      '5',
      '+5',
      'x3',
      '1e9',
      '+ 5',
      '---',
      '10 points',
      '1.5',
      '-2',
      '60',
      '0',
      '3',
      'for',
      'the',
      'help',
      '#teamwork',
      '#yolo',
      ':tada:',
      '!',
      '2024',
      'reviews',
    );
    const scrambled = fc
      .array(fragment, { minLength: 1, maxLength: 9 })
      .map((parts) => parts.join(' '));
    // Shaped like a give, so that many of the runs move points and the amount is checked.
    const shaped = fc
      .tuple(
        fc.constantFrom('', 'thanks ', 'Hey ', 'Awesome work ', 'lunch with ', 'kudos to '),
        fc.array(fc.constantFrom('@Li', '@José', '@Bo', '@design', '@Ana', '{@Li}', '(@Bo)'), {
          minLength: 1,
          maxLength: 3,
        }),
        fc.constantFrom('', ' 5', ' +5', ' x3', ' 1e9', ' + 5', ' 60', ' 0', ' 10 points', ' ---'),
        fc.array(fragment, { maxLength: 5 }),
      )
      .map(([opening, names, amount, rest]) =>
        `${opening}${names.join(' ')}${amount} ${rest.join(' ')}`.trim(),
      );
    const text = fc.oneof(shaped, scrambled);
    const seen = { gave: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(text, async (typed) => {
        const before = await state();
        const reply = await f.kudos('Ana', typed);
        const after = await state();
        const event = reply.events?.find((sent) => sent.kind === 'kudos_given');
        if (!event) {
          expect(after, typed).toEqual(before);
          seen.refused += 1;
          return;
        }
        seen.gave += 1;
        const amount = event.amountEach;
        const names = event.recipients.map((recipient) => recipient.name);
        // What the reply states: the amount each, and the people, as moved below.
        expect(reply.text, typed).toMatch(
          new RegExp(`^You gave ${amount} points? to ${listNames(names)}[ .!?]`, 'u'),
        );
        for (const [index, name] of people.entries()) {
          const moved = (after.earned[index] as number) - (before.earned[index] as number);
          expect(moved, `${typed}: ${name}`).toBe(names.includes(name) ? amount : 0);
        }
        expect(before.allowance - after.allowance, typed).toBe(amount * names.length);
      }),
      { numRuns: 150 },
    );
    // Both sides were exercised, or the property would hold for nothing.
    expect(seen.gave).toBeGreaterThanOrEqual(10);
    expect(seen.refused).toBeGreaterThanOrEqual(10);
  });

  it.each([
    ['{@Li} {@José 1}', /^'1\}' is not a number of points; use a whole number from 1 to 50\./],
    ['@Li #teamwork 10', /^I cannot tell whether '10' is the amount/],
    ['thanks 5 @Li', /^I cannot tell whether '5' is the amount/],
    ['Hey @Li you rock, 5 points', /^I cannot tell whether '5 points' is the amount/],
    ['lunch with @Li tomorrow', /^That reads as a mention of someone, not a thank-you\./],
    ['frobnicate', /^'frobnicate' is not a kudos command or a person; try \/kudos help\./],
    ['{@Li @José 3', /^Close the brackets around the names with '\}', or leave the brackets out\./],
  ])('refuses %j by naming the problem, and moves nothing', async (text, sentence) => {
    const f = await createRecognitionFixture(db, {
      members: { Ana: {}, Li: {}, José: {} },
      settings: { max_amount: 50 },
    });
    const before = await countRows(db, f.organizationId);
    const reply = await f.kudos('Ana', text);
    expect(reply.code).toBe('usage');
    expect(reply.text).toMatch(sentence);
    expect(await countRows(db, f.organizationId)).toEqual(before);
  });
});
