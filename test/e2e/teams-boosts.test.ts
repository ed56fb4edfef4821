import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningPlaudit } from '../../src/app.ts';
import { FakeBotConnector, type FakeTeamsUser } from '../support/fake-bot-connector.ts';
import {
  cardSubmission,
  postActivity,
  type TeamsScene,
  teamsMessage,
} from '../support/teams-activities.ts';
import { teamsEarned } from '../support/teams-ledger.ts';
import {
  connectorToken,
  startTeamsPlaudit,
  teamsScene,
  tenantPeople,
} from '../support/teams-plaudit.ts';

const APP_ID = randomUUID();

interface Action {
  readonly type: string;
  readonly title: string;
  readonly data?: Record<string, unknown>;
  readonly card?: { body: Array<Record<string, unknown>>; actions: Action[] };
}

interface CardContent {
  readonly body: Array<{ text?: string }>;
  readonly actions?: Action[];
}

describe('Teams boosts, from Bot Framework card submissions', () => {
  const tenantId = randomUUID();
  const connector = new FakeBotConnector();
  let plaudit: RunningPlaudit;
  let scene: TeamsScene;
  const person = tenantPeople(connector, tenantId);
  const jose = person('José García');
  const ana = person('Ana');
  const li = person('Li');
  const kai = person('Kai');
  const gil = person('Gil Guest', { userRole: 'guest' });
  const channel = `19:${randomUUID()}@thread.tacv2`;

  async function send(activity: Record<string, unknown>) {
    const response = await postActivity(plaudit.url, activity, connectorToken(connector, APP_ID));
    expect(response.status).toBe(200);
    await plaudit.settled();
  }

  /** What the bot sent in the conversation in reply to one activity. */
  const repliesTo = (activity: Record<string, unknown>) =>
    connector.sent.filter((sent) => sent.replyToId === activity.id);

  /** What the bot wrote to a person in their own chat with it, in order. */
  const privately = (user: FakeTeamsUser) =>
    connector.sent
      .filter(
        (sent) => sent.conversationId.startsWith('a:') && sent.conversationId.includes(user.id),
      )
      .map((sent) => String(sent.activity.text));

  const cardOf = (activity: Record<string, unknown> | undefined) =>
    (activity?.attachments as Array<{ content: CardContent }> | undefined)?.[0]?.content;

  /** Gives in the channel; returns the celebration card and the id Teams gave its message. */
  async function celebrated(giver: FakeTeamsUser, text: string, mentions: FakeTeamsUser[]) {
    const message = teamsMessage(scene, giver, text, {
      conversationType: 'channel',
      conversationId: channel,
      mentions,
    });
    await send(message);
    const index = connector.sent.findIndex((sent) => sent.replyToId === message.id);
    const card = cardOf(connector.sent[index]?.activity);
    if (!card) throw new Error('no celebration card was sent');
    // The fake Connector names each activity it takes by its place: `sent-1`, `sent-2`…
    return { card, id: `sent-${index + 1}` };
  }

  /** The Boost action of a celebration card, unfolded: its amount input and its submit. */
  const boostAction = (card: CardContent) => {
    const shown = card.actions?.find((action) => action.type === 'Action.ShowCard');
    return shown && { input: shown.card?.body[0], submit: shown.card?.actions[0] };
  };

  /** The Boost action submitted from a card, with the amount typed; `id` repeats a delivery. */
  async function boost(
    from: FakeTeamsUser,
    post: { card: CardContent; id: string },
    amount: string,
    id?: string,
  ) {
    const submit = boostAction(post.card)?.submit;
    const activity = cardSubmission(
      scene,
      from,
      { ...submit?.data, boostAmount: amount },
      {
        conversationType: 'channel',
        conversationId: channel,
        replyToId: post.id,
        ...(id && { id }),
      },
    );
    await send(activity);
    return activity;
  }

  const earned = (user: FakeTeamsUser) => teamsEarned(plaudit.db, tenantId, user);

  async function kudosTransfers(): Promise<number> {
    const { rows } = await sql<{ count: number }>`
      select count(*)::int as count from ledger_transfers x
        join teams_tenants t on t.organization_id = x.organization_id
      where t.tenant_id = ${tenantId} and x.kind = 'kudos'`.execute(plaudit.db);
    return rows[0]?.count ?? 0;
  }

  const updatesOf = (id: string) => connector.updated.filter((update) => update.replyToId === id);

  beforeAll(async () => {
    await connector.start();
    scene = teamsScene(connector, APP_ID, tenantId);
    plaudit = await startTeamsPlaudit(
      connector,
      APP_ID,
      { TEAMS_ALLOWED_TENANTS: tenantId },
      { PLAUDIT_INITIAL_ADMINS: jose.email ?? '' },
    );
    // Everyone says hello in their own chat first, so the bot can write to them there.
    for (const user of [jose, ana, li, kai, gil]) await send(teamsMessage(scene, user, 'balance'));
  });
  afterAll(async () => {
    await plaudit?.close();
    await connector.stop();
  });

  it('boosts from the card: points to the same people, a private answer, the card updated', async () => {
    const post = await celebrated(jose, '<at>Ana</at> 10 for the launch', [ana]);
    const action = boostAction(post.card);
    expect(action?.input).toMatchObject({ type: 'Input.Number', id: 'boostAmount', value: 10 });
    expect(action?.submit?.data).toMatchObject({ verb: 'boost_kudos' });
    const before = await earned(ana);
    const submission = await boost(li, post, '3');
    expect(await earned(ana)).toBe(before + 3);
    expect(privately(li).at(-1)).toBe(
      'You boosted José García’s kudos. You gave 3 points to Ana for the launch. You have 97 points left to give this month.',
    );
    // Nothing is said in the channel; the card is updated in place.
    expect(repliesTo(submission)).toEqual([]);
    const [update] = updatesOf(post.id);
    expect(update?.conversationId).toBe(channel);
    const redrawn = cardOf(update?.activity);
    expect(JSON.stringify(redrawn?.body)).toContain('🚀 Boosted: +3 from Li');
    expect(boostAction(redrawn as CardContent)?.submit?.data).toEqual(action?.submit?.data);
    // Ana hears of it in her own chat.
    expect(privately(ana).at(-1)).toBe('🎉 Li gave you 3 points for the launch');

    // Kai boosts too: the card then shows both.
    await boost(kai, post, '5');
    expect(JSON.stringify(cardOf(updatesOf(post.id).at(-1)?.activity)?.body)).toContain(
      '🚀 Boosted: +3 from Li, +5 from Kai',
    );
  });

  it('moves points once for an activity delivered twice, and for two at once', async () => {
    const post = await celebrated(jose, '<at>Ana</at> 2 for the notes', [ana]);
    const before = await earned(ana);
    const id = `redelivered-${randomUUID()}`;
    await boost(li, post, '2', id);
    await boost(li, post, '2', id);
    expect(await earned(ana)).toBe(before + 2);
    expect(privately(li).at(-1)).toBe(
      'You boosted this kudos already, with 2 points; a kudos takes one boost from each person.',
    );

    const transfers = await kudosTransfers();
    const told = privately(kai).length;
    await Promise.all([boost(kai, post, '4'), boost(kai, post, '4')]);
    expect(await earned(ana)).toBe(before + 6);
    expect(await kudosTransfers()).toBe(transfers + 2);
    expect(
      privately(kai)
        .slice(told)
        .map((text) => text.slice(0, 30))
        .sort(),
    ).toEqual(['You boosted José García’s kudo', 'You boosted this kudos already']);
  });

  it('refuses privately, in the person’s own chat, and moves nothing', async () => {
    const post = await celebrated(jose, '<at>Ana</at> 5 for the demo', [ana]);
    const transfers = await kudosTransfers();
    const refusals: Array<[FakeTeamsUser, string, string]> = [
      [jose, '5', 'That kudos is yours: you cannot boost your own kudos, only a colleague’s.'],
      [ana, '5', 'That kudos is for you, so you cannot boost it; nothing was given.'],
      [
        li,
        'ten',
        '“ten” is not a number of points; use a whole number, like 5. Nothing was given.',
      ],
      // Li has given 5 in boosts so far this month.
      [li, '98', 'You have 95 points left to give this month; this needs 98.'],
      [gil, '1', 'Guests cannot give kudos here; ask José García (admin) if that should change.'],
    ];
    for (const [from, amount, sentence] of refusals) {
      const submission = await boost(from, post, amount);
      expect(privately(from).at(-1)).toBe(sentence);
      expect(repliesTo(submission)).toEqual([]);
    }
    expect(updatesOf(post.id)).toEqual([]);
    expect(await kudosTransfers()).toBe(transfers);
  });

  it('refuses a kudos taken back', async () => {
    const post = await celebrated(jose, '<at>Li</at> 5 for the typo', [li]);
    const recognitionId = boostAction(post.card)?.submit?.data?.recognitionId;
    await send(teamsMessage(scene, jose, `admin reverse ${recognitionId} a mistake`));
    const transfers = await kudosTransfers();
    await boost(kai, post, '1');
    expect(privately(kai).at(-1)).toBe(
      'That kudos was taken back, so it cannot be boosted; nothing was given.',
    );
    expect(await kudosTransfers()).toBe(transfers);
  });

  it('when boosts are off: no Boost action on new cards, and an old one is refused and updated', async () => {
    const old = await celebrated(jose, '<at>Ana</at> 5 for the old days', [ana]);
    await send(teamsMessage(scene, jose, 'admin settings boosts=no'));
    const fresh = await celebrated(jose, '<at>Ana</at> 5 for the new days', [ana]);
    expect(fresh.card.actions).toBeUndefined();
    const transfers = await kudosTransfers();
    await boost(kai, old, '1');
    expect(privately(kai).at(-1)).toBe(
      'Boosts are turned off here, so nothing was added. You can still give kudos of your own.',
    );
    expect(await kudosTransfers()).toBe(transfers);
    expect(cardOf(updatesOf(old.id).at(-1)?.activity)?.actions).toBeUndefined();
    await send(teamsMessage(scene, jose, 'admin settings boosts=yes'));
  });
});
