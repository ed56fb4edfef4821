import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/database.ts';
import {
  giveForReaction,
  type Reaction,
  removeReaction,
} from '../../../src/recognition/reaction-kudos.ts';
import { openTestDatabase } from '../../support/databases.ts';
import { assetSums } from '../../support/ledger-invariants.ts';
import { organizationSnapshot } from '../../support/organization-snapshot.ts';
import {
  balancesOf,
  createRecognitionFixture,
  type RecognitionFixture,
  recognitionCount,
} from '../../support/recognition-fixture.ts';

const TEAM = { Ana: {}, Li: {}, Bot: { isBot: true } };
const REACTIONS = { reaction_points: { taco: 1, star: 5 } };

/** Ana's (or someone's) reaction to a message of another member, in one Slack workspace. */
function reaction(
  f: RecognitionFixture,
  from: string,
  to: string,
  emoji: string,
  messageId = '1733500000.000100',
): Reaction {
  const reactor = f.members[from];
  const author = f.members[to];
  if (!reactor || !author) throw new Error(`no member ${from} or ${to}`);
  return {
    reactor,
    thanked: [author],
    emoji,
    platform: 'slack',
    tenantId: 'T0REACT',
    channel: 'C0GENERAL',
    messageId,
    link: `https://app.slack.com/archives/C0GENERAL/p${messageId.replace('.', '')}`,
  };
}

describe('reactions as kudos on postgres', () => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase('postgres');
  });
  afterAll(async () => {
    await db?.destroy();
  });

  it("gives the message's author the emoji's points from the reactor's allowance, linking the message", async () => {
    const f = await createRecognitionFixture(db, { members: TEAM, settings: REACTIONS });
    const reply = await giveForReaction(f.services, reaction(f, 'Ana', 'Li', 'star'));
    expect(reply).toMatchObject({
      outcome: 'ok',
      text: 'You gave 5 points to Li for :star: on https://app.slack.com/archives/C0GENERAL/p1733500000000100. You have 95 points left to give this month.',
    });
    expect(await balancesOf(f, 'Ana')).toEqual({ allowance: 95, earned: 0 });
    expect(await balancesOf(f, 'Li')).toEqual({ allowance: 0, earned: 5 });
    const stored = await db
      .selectFrom('recognitions')
      .select(['message', 'channel', 'platform'])
      .where('organization_id', '=', f.organizationId)
      .executeTakeFirstOrThrow();
    expect(stored).toEqual({
      message: ':star: on https://app.slack.com/archives/C0GENERAL/p1733500000000100',
      channel: 'C0GENERAL',
      platform: 'slack',
    });
    // A skin tone counts as the emoji it colours.
    const toned = await giveForReaction(f.services, reaction(f, 'Ana', 'Li', 'taco::skin-tone-3'));
    expect(toned).toMatchObject({ outcome: 'ok' });
    expect(await balancesOf(f, 'Li')).toEqual({ allowance: 0, earned: 6 });
    expect(await assetSums(db, f.organizationId)).toEqual([
      { asset: 'allowance', posted: 0, pending: 0 },
      { asset: 'points', posted: 0, pending: 0 },
    ]);
  });

  it('gives once when the same reaction is delivered again', async () => {
    const f = await createRecognitionFixture(db, { members: TEAM, settings: REACTIONS });
    const first = await giveForReaction(f.services, reaction(f, 'Ana', 'Li', 'taco'));
    const again = await giveForReaction(f.services, reaction(f, 'Ana', 'Li', 'taco'));
    expect(again?.text).toBe(first?.text);
    expect(again?.events).toEqual([]);
    expect(await balancesOf(f, 'Li')).toEqual({ allowance: 0, earned: 1 });
    expect(await recognitionCount(db, f.organizationId)).toBe(1);
  });

  it('gives nothing for an emoji the organization did not name, nor when reactions are off', async () => {
    const f = await createRecognitionFixture(db, { members: TEAM, settings: REACTIONS });
    expect(await giveForReaction(f.services, reaction(f, 'Ana', 'Li', 'tada'))).toBeUndefined();
    const off = await createRecognitionFixture(db, { members: TEAM });
    expect(await giveForReaction(off.services, reaction(off, 'Ana', 'Li', 'taco'))).toBeUndefined();
    expect(await recognitionCount(db, f.organizationId)).toBe(0);
    expect(await recognitionCount(db, off.organizationId)).toBe(0);
  });

  it('refuses a reaction to your own message, to a bot, or past your allowance, and changes nothing', async () => {
    const f = await createRecognitionFixture(db, {
      members: TEAM,
      settings: { ...REACTIONS, allowance_amount: 7 },
    });
    expect(await giveForReaction(f.services, reaction(f, 'Ana', 'Li', 'star'))).toMatchObject({
      outcome: 'ok',
    });
    const before = await organizationSnapshot(db, f.organizationId);
    const cases: Array<[string, string, string, string]> = [
      ['Ana', 'self_kudos', 'star', 'You cannot give kudos to yourself.'],
      ['Bot', 'recipient_is_bot', 'star', 'Bot is a bot; kudos are for people.'],
      [
        'Li',
        'insufficient_allowance',
        'star',
        'You have 2 points left to give this month; this needs 5.',
      ],
    ];
    for (const [author, code, emoji, text] of cases) {
      const reply = await giveForReaction(
        f.services,
        reaction(f, 'Ana', author, emoji, '1733500000.000200'),
      );
      expect(reply, author).toMatchObject({ outcome: 'refused', code, text, events: [] });
    }
    expect(await organizationSnapshot(db, f.organizationId)).toEqual(before);
  });

  it('takes the kudos back when the reaction is removed within the grace period, once', async () => {
    const f = await createRecognitionFixture(db, { members: TEAM, settings: REACTIONS });
    await giveForReaction(f.services, reaction(f, 'Ana', 'Li', 'star'));
    expect(await removeReaction(f.services, reaction(f, 'Ana', 'Li', 'star'))).toBe('reversed');
    expect(await balancesOf(f, 'Ana')).toEqual({ allowance: 100, earned: 0 });
    expect(await balancesOf(f, 'Li')).toEqual({ allowance: 0, earned: 0 });
    // The removal delivered again changes nothing more.
    expect(await removeReaction(f.services, reaction(f, 'Ana', 'Li', 'star'))).toBe(
      'already-reversed',
    );
    const reversals = await db
      .selectFrom('recognition_reversals')
      .select(['reason', 'reversed_by_member_id'])
      .where('organization_id', '=', f.organizationId)
      .execute();
    expect(reversals).toEqual([
      { reason: 'the :star: reaction was removed', reversed_by_member_id: f.members.Ana?.id },
    ]);
    // Reacting again gives again, and its redelivery still gives once.
    await giveForReaction(f.services, reaction(f, 'Ana', 'Li', 'star'));
    await giveForReaction(f.services, reaction(f, 'Ana', 'Li', 'star'));
    expect(await balancesOf(f, 'Li')).toEqual({ allowance: 0, earned: 5 });
    expect(await removeReaction(f.services, reaction(f, 'Ana', 'Li', 'star'))).toBe('reversed');
    expect(await balancesOf(f, 'Li')).toEqual({ allowance: 0, earned: 0 });
    expect(await assetSums(db, f.organizationId)).toEqual([
      { asset: 'allowance', posted: 0, pending: 0 },
      { asset: 'points', posted: 0, pending: 0 },
    ]);
  });

  it('takes the kudos back once when two removals of the reaction arrive together', async () => {
    const f = await createRecognitionFixture(db, { members: TEAM, settings: REACTIONS });
    await giveForReaction(f.services, reaction(f, 'Ana', 'Li', 'star'));
    const outcomes = await Promise.all(
      [1, 2, 3].map(() => removeReaction(f.services, reaction(f, 'Ana', 'Li', 'star'))),
    );
    expect(outcomes.sort()).toEqual(['already-reversed', 'already-reversed', 'reversed']);
    expect(await balancesOf(f, 'Li')).toEqual({ allowance: 0, earned: 0 });
    expect(await balancesOf(f, 'Ana')).toEqual({ allowance: 100, earned: 0 });
  });

  it('keeps the kudos when the reaction is removed after the grace period', async () => {
    const f = await createRecognitionFixture(db, {
      members: TEAM,
      settings: { ...REACTIONS, reaction_grace_minutes: 10 },
    });
    await giveForReaction(f.services, reaction(f, 'Ana', 'Li', 'star'));
    // Given eleven minutes ago, by the database's clock, which decides the grace period.
    await sql`update recognitions set created_at = now() - interval '11 minutes'
      where organization_id = ${f.organizationId}`.execute(db);
    const before = await organizationSnapshot(db, f.organizationId);
    expect(await removeReaction(f.services, reaction(f, 'Ana', 'Li', 'star'))).toBe('after-grace');
    expect(await organizationSnapshot(db, f.organizationId)).toEqual(before);
    expect(await balancesOf(f, 'Li')).toEqual({ allowance: 0, earned: 5 });
  });

  it('changes nothing when a reaction that gave nothing is removed', async () => {
    const f = await createRecognitionFixture(db, { members: TEAM, settings: REACTIONS });
    const before = await organizationSnapshot(db, f.organizationId);
    expect(await removeReaction(f.services, reaction(f, 'Ana', 'Li', 'taco'))).toBe(
      'nothing-given',
    );
    expect(await organizationSnapshot(db, f.organizationId)).toEqual(before);
  });
});
