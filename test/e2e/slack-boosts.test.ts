import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningPlaudit } from '../../src/app.ts';
import { FakeSlackApi, type FakeSlackUser } from '../support/fake-slack-api.ts';
import { SIGNING_SECRET, startSlackPlaudit } from '../support/slack-plaudit.ts';
import {
  postSlackEvent,
  postSlackInteraction,
  postSlashCommand,
} from '../support/slack-requests.ts';

interface Block {
  readonly type: string;
  readonly block_id?: string;
  readonly elements?: Array<Record<string, unknown>>;
  readonly element?: Record<string, unknown>;
  readonly hint?: { text: string };
}

interface OpenedView {
  readonly callback_id: string;
  readonly private_metadata: string;
  readonly blocks: Block[];
}

describe('Slack boosts, from signed block actions and view submissions', () => {
  const teamId = `T${randomUUID().slice(0, 8).toUpperCase()}`;
  const fake = new FakeSlackApi({ id: teamId, name: 'Boost Co', botUserId: 'UBOT' });
  const emailOf = (id: string) => `${id.toLowerCase()}@${teamId.toLowerCase()}.example`;
  let plaudit: RunningPlaudit;
  let deliveries = 0;

  const command = async (user: string, text: string, channel = 'C1') => {
    deliveries += 1;
    const response = await postSlashCommand(plaudit.url, SIGNING_SECRET, {
      team_id: teamId,
      user_id: user,
      channel_id: channel,
      text,
      trigger_id: `trigger-${deliveries}`,
      response_url: `${fake.url}/respond/${deliveries}`,
    });
    expect(response.status).toBe(200);
    await plaudit.settled();
    return (JSON.parse(response.body) as { text: string }).text;
  };

  const earned = async (user: string) =>
    Number(/You have earned (\d+) points? to spend/.exec(await command(user, 'balance'))?.[1]);

  /** Gives a kudos in C1 and returns its celebration: the post's blocks and the id it carries. */
  async function celebrated(giver: string, text: string) {
    const before = fake.callsTo('chat.postMessage').length;
    expect(await command(giver, text)).toMatch(/^You gave/);
    const post = fake
      .callsTo('chat.postMessage')
      .slice(before)
      .find((call) => call.body.channel === 'C1');
    if (!post) throw new Error('no celebration was posted');
    const blocks = blocksOf(post.body);
    const ts = `17000${deliveries}.000100`;
    return { blocks, ts, recognitionId: boostValue(blocks) };
  }

  /** A posted message's blocks, as the Web API client sent them (JSON text in a form). */
  const blocksOf = (body: Record<string, unknown> | undefined): Block[] => {
    const blocks = body?.blocks;
    return (typeof blocks === 'string' ? JSON.parse(blocks) : (blocks ?? [])) as Block[];
  };

  /** The value of a post's Boost button, or undefined when it has none. */
  const boostValue = (blocks: Block[]) =>
    blocks
      .find((block) => block.type === 'actions')
      ?.elements?.find((element) => element.action_id === 'plaudit_boost')?.value as
      | string
      | undefined;

  /** A click on a celebration's Boost button, as Slack signs and posts it. */
  async function clickBoost(user: string, post: { ts: string; recognitionId?: string }) {
    deliveries += 1;
    const payload = {
      type: 'block_actions',
      team: { id: teamId, domain: 'boost' },
      user: { id: user, team_id: teamId },
      api_app_id: 'A1',
      token: 'deprecated',
      trigger_id: `trigger-click-${deliveries}`,
      response_url: `${fake.url}/respond/click-${deliveries}`,
      container: { type: 'message', message_ts: post.ts, channel_id: 'C1', is_ephemeral: false },
      channel: { id: 'C1', name: 'general' },
      message: { type: 'message', ts: post.ts, text: 'kudos' },
      actions: [
        {
          type: 'button',
          block_id: 'boost',
          action_id: 'plaudit_boost',
          text: { type: 'plain_text', text: '🚀 Boost' },
          value: post.recognitionId,
          action_ts: `1700000001.${String(deliveries).padStart(6, '0')}`,
        },
      ],
    };
    const response = await postSlackInteraction(plaudit.url, SIGNING_SECRET, payload);
    expect(response.status).toBe(200);
    expect(response.body).toBe('');
    await plaudit.settled();
    const answered = fake.calls.findLast(
      (call) => call.method === `respond/click-${deliveries}`,
    )?.body;
    const opened = fake
      .callsTo('views.open')
      .find((call) => call.body.trigger_id === payload.trigger_id)?.body.view as
      | OpenedView
      | undefined;
    return { answered: answered && String(answered.text), opened };
  }

  /** The boost modal submitted with an amount (Slack's view id `viewId`); resolves with the ack's body. */
  async function submitBoost(user: string, view: OpenedView, amount: string, viewId?: string) {
    deliveries += 1;
    const response = await postSlackInteraction(plaudit.url, SIGNING_SECRET, {
      type: 'view_submission',
      team: { id: teamId, domain: 'boost' },
      user: { id: user, team_id: teamId },
      api_app_id: 'A1',
      token: 'deprecated',
      trigger_id: `trigger-view-${deliveries}`,
      view: {
        ...view,
        id: viewId ?? `V-boost-${deliveries}`,
        team_id: teamId,
        type: 'modal',
        hash: 'h',
        state: { values: { amount: { points: { type: 'number_input', value: amount } } } },
      },
    });
    expect(response.status).toBe(200);
    await plaudit.settled();
    return response.body === '' ? undefined : (JSON.parse(response.body) as unknown);
  }

  /** The ephemeral messages Plaudit posted to one person, in order. */
  const ephemeralTo = (user: string) =>
    fake
      .callsTo('chat.postEphemeral')
      .filter((call) => call.body.user === user)
      .map((call) => String(call.body.text));

  /** The boosts recorded, each with the kudos it boosts and who gave it. */
  async function boostRows() {
    const { rows } = await sql<{ boost_of: string; giver: string; amount_each: number }>`
      select b.boost_of::text, m.display_name as giver, b.amount_each
      from recognitions b join members m on m.id = b.giver_id
        join slack_workspaces w on w.organization_id = b.organization_id
      where w.team_id = ${teamId} and b.boost_of is not null order by b.id`.execute(plaudit.db);
    return rows;
  }

  /** The ledger's kudos transfers in this organization: a boost to one person is two. */
  async function kudosTransfers(): Promise<number> {
    const { rows } = await sql<{ count: number }>`
      select count(*)::int as count from ledger_transfers t
        join slack_workspaces w on w.organization_id = t.organization_id
      where w.team_id = ${teamId} and t.kind = 'kudos'`.execute(plaudit.db);
    return rows[0]?.count ?? 0;
  }

  const record = (id: string, name: string, extra: Partial<FakeSlackUser> = {}): FakeSlackUser => ({
    id,
    name,
    team_id: teamId,
    profile: { display_name: name, email: emailOf(id) },
    ...extra,
  });

  beforeAll(async () => {
    await fake.start();
    for (const user of [
      record('UANA', 'Ana'),
      record('ULI', 'Li'),
      record('UJOSE', 'José'),
      record('USAM', 'Sam'),
      record('UBO', 'Bo'),
      record('UNIA', 'Nia'),
      record('UGUEST', 'Gus', { is_restricted: true }),
    ]) {
      fake.users.set(user.id, user);
    }
    plaudit = await startSlackPlaudit(fake, { PLAUDIT_INITIAL_ADMINS: emailOf('UANA') });
    // Everyone is seen once, so the balances below start from their allowance.
    for (const user of ['UANA', 'ULI', 'UJOSE', 'USAM', 'UBO']) await command(user, 'balance');
  });
  afterAll(async () => {
    await plaudit?.close();
    await fake.stop();
  });

  it('adds points from the booster’s allowance to the same people, linked, and redraws the post', async () => {
    const post = await celebrated('UANA', '<@ULI|li> 10 for the launch #teamwork');
    expect(post.recognitionId).toMatch(/^\d+$/);
    const liBefore = await earned('ULI');
    const { answered, opened } = await clickBoost('UJOSE', post);
    expect(answered).toBeUndefined();
    expect(opened?.callback_id).toBe('boost_kudos_modal');
    const amount = opened?.blocks.find((block) => block.block_id === 'amount');
    // It starts at the kudos' own amount, and says what José has left.
    expect(amount?.element?.initial_value).toBe('10');
    expect(amount?.hint?.text).toBe('You have 100 points left to give.');

    expect(await submitBoost('UJOSE', opened as OpenedView, '3')).toBeUndefined();
    expect(ephemeralTo('UJOSE')).toEqual([
      'You boosted Ana’s kudos. You gave 3 points to Li for the launch #teamwork. You have 97 points left to give this month.',
    ]);
    expect(await earned('ULI')).toBe(liBefore + 3);
    expect(await boostRows()).toEqual([
      { boost_of: post.recognitionId, giver: 'José', amount_each: 3 },
    ]);
    // The post clicked is redrawn with the boost, and keeps its button.
    const update = fake.callsTo('chat.update').at(-1)?.body;
    expect(update).toMatchObject({ channel: 'C1', ts: post.ts });
    const blocks = blocksOf(update);
    expect(JSON.stringify(blocks)).toContain('🚀 Boosted: +3 from José');
    expect(boostValue(blocks)).toBe(post.recognitionId);
    expect(String(update?.text)).toContain('(Boosted: +3 from José)');
    // A boost is not celebrated anew: only the one post is in the channel.
    const celebrations = fake
      .callsTo('chat.postMessage')
      .filter((call) => call.body.channel === 'C1');
    expect(celebrations).toHaveLength(1);

    // Sam boosts too; the post then shows both, in order.
    const sam = await clickBoost('USAM', post);
    await submitBoost('USAM', sam.opened as OpenedView, '5');
    const redrawn = fake.callsTo('chat.update').at(-1)?.body;
    expect(JSON.stringify(blocksOf(redrawn))).toContain('🚀 Boosted: +3 from José, +5 from Sam');
    // Li's history says who boosted whose kudos.
    expect(await command('ULI', 'history')).toContain(
      'Sam boosted Ana’s kudos to you with 5: the launch #teamwork',
    );
    expect(await command('UJOSE', 'history')).toContain(
      'you boosted Ana’s kudos to Li with 3: the launch #teamwork',
    );
  });

  it('moves points once for a submission Slack delivers twice', async () => {
    const post = await celebrated('UANA', '<@UJOSE|jose> 5 for the review');
    const { opened } = await clickBoost('ULI', post);
    const before = await earned('UJOSE');
    await submitBoost('ULI', opened as OpenedView, '4', 'V-twice');
    await submitBoost('ULI', opened as OpenedView, '4', 'V-twice');
    expect(await earned('UJOSE')).toBe(before + 4);
    expect(ephemeralTo('ULI').slice(-2)).toEqual([
      'You boosted Ana’s kudos. You gave 4 points to José for the review. You have 96 points left to give this month.',
      'You boosted this kudos already, with 4 points; a kudos takes one boost from each person.',
    ]);
  });

  it('moves points once for two submissions at the same moment (a double click)', async () => {
    for (const round of [1, 2, 3]) {
      const post = await celebrated('UANA', `<@UJOSE|jose> 2 for round ${round}`);
      const { opened } = await clickBoost('UBO', post);
      const transfers = await kudosTransfers();
      const before = await earned('UJOSE');
      const answersBefore = ephemeralTo('UBO').length;
      // Two modals from two clicks, submitted at once, each with its own view id.
      await Promise.all([
        submitBoost('UBO', opened as OpenedView, '2', `V-double-${round}-a`),
        submitBoost('UBO', opened as OpenedView, '2', `V-double-${round}-b`),
      ]);
      expect(await earned('UJOSE')).toBe(before + 2);
      expect(await kudosTransfers()).toBe(transfers + 2);
      expect(
        ephemeralTo('UBO')
          .slice(answersBefore)
          .map((text) => text.slice(0, 30))
          .sort(),
      ).toEqual(['You boosted Ana’s kudos. You g', 'You boosted this kudos already']);
    }
  });

  it('refuses privately, and moves nothing: own kudos, one received, a second boost, a guest', async () => {
    const post = await celebrated('UANA', '<@ULI|li> 5 for the docs');
    const transfers = await kudosTransfers();
    expect((await clickBoost('UANA', post)).answered).toBe(
      'That kudos is yours: you cannot boost your own kudos, only a colleague’s.',
    );
    expect((await clickBoost('ULI', post)).answered).toBe(
      'That kudos is for you, so you cannot boost it; nothing was given.',
    );
    const jose = await clickBoost('UJOSE', post);
    await submitBoost('UJOSE', jose.opened as OpenedView, '1');
    const again = await clickBoost('UJOSE', post);
    expect(again).toEqual({
      answered:
        'You boosted this kudos already, with 1 point; a kudos takes one boost from each person.',
      opened: undefined,
    });
    // Guests may not give here: the modal closes and Gus is told, privately.
    const guest = await clickBoost('UGUEST', post);
    expect(await submitBoost('UGUEST', guest.opened as OpenedView, '2')).toBeUndefined();
    expect(ephemeralTo('UGUEST')).toEqual([
      'Guests cannot give kudos here; ask Ana (admin) if that should change.',
    ]);
    // José's one boost is all that moved.
    expect(await kudosTransfers()).toBe(transfers + 2);
  });

  it('shows an amount problem under the amount, and moves nothing', async () => {
    const post = await celebrated('UANA', '<@ULI|li> 5 for the offsite');
    // Nia, new here, may give 6 points a month.
    expect(await command('UANA', 'admin settings member-allowance=<@UNIA|nia>:6')).toMatch(
      /^Settings changed/,
    );
    const nia = await clickBoost('UNIA', post);
    const amount = nia.opened?.blocks.find((block) => block.block_id === 'amount');
    expect(amount?.hint?.text).toBe('You have 6 points left to give.');
    const transfers = await kudosTransfers();
    expect(await submitBoost('UNIA', nia.opened as OpenedView, 'lots')).toEqual({
      response_action: 'errors',
      errors: {
        amount: '“lots” is not a number of points; use a whole number, like 5. Nothing was given.',
      },
    });
    expect(await submitBoost('UNIA', nia.opened as OpenedView, '9')).toEqual({
      response_action: 'errors',
      errors: { amount: 'You have 6 points left to give this month; this needs 9.' },
    });
    expect(await kudosTransfers()).toBe(transfers);
    expect(ephemeralTo('UNIA')).toEqual([]);
  });

  it('refuses a kudos taken back, and one whose recipient left', async () => {
    const reversed = await celebrated('UANA', '<@UJOSE|jose> 5 for the demo');
    expect(
      await command('UANA', `admin reverse ${reversed.recognitionId} given by mistake`),
    ).toMatch(/reversed/i);
    const late = await clickBoost('ULI', reversed);
    expect(late).toEqual({
      answered: 'That kudos was taken back, so it cannot be boosted; nothing was given.',
      opened: undefined,
    });

    const left = await celebrated('UANA', '<@UBO|bo> 5 for the move');
    const li = await clickBoost('ULI', left);
    const transfers = await kudosTransfers();
    // Bo leaves Slack while Li's modal is open.
    await postSlackEvent(plaudit.url, SIGNING_SECRET, {
      token: 'deprecated',
      team_id: teamId,
      api_app_id: 'A1',
      type: 'event_callback',
      event_id: `EvBoLeft${deliveries}`,
      event_time: Math.floor(Date.now() / 1000),
      event: { type: 'user_change', user: record('UBO', 'Bo', { deleted: true }) },
    });
    await plaudit.settled();
    const answersBefore = ephemeralTo('ULI').length;
    await submitBoost('ULI', li.opened as OpenedView, '2');
    expect(ephemeralTo('ULI').slice(answersBefore)).toEqual([
      'Bo is no longer active here, so they cannot receive kudos.',
    ]);
    expect(await kudosTransfers()).toBe(transfers);
  });

  it('when admins turn boosts off: no button on new posts, and a click on an old one is refused', async () => {
    const old = await celebrated('UANA', '<@ULI|li> 5 for the old days');
    const opened = (await clickBoost('UJOSE', old)).opened as OpenedView;
    expect(await command('UANA', 'admin settings boosts=no')).toMatch(/^Settings changed/);
    const fresh = await celebrated('UANA', '<@ULI|li> 5 for the new days');
    expect(fresh.recognitionId).toBeUndefined();
    const transfers = await kudosTransfers();
    const click = await clickBoost('USAM', old);
    expect(click).toEqual({
      answered:
        'Boosts are turned off here, so nothing was added. You can still give kudos of your own.',
      opened: undefined,
    });
    // The old post loses its button.
    const update = fake.callsTo('chat.update').at(-1)?.body;
    expect(update).toMatchObject({ ts: old.ts });
    expect(boostValue(blocksOf(update))).toBeUndefined();
    // A modal opened before is refused when submitted.
    const answersBefore = ephemeralTo('UJOSE').length;
    await submitBoost('UJOSE', opened, '2');
    expect(ephemeralTo('UJOSE').slice(answersBefore)).toEqual([
      'Boosts are turned off here, so nothing was added. You can still give kudos of your own.',
    ]);
    expect(await kudosTransfers()).toBe(transfers);
    expect(await command('UANA', 'admin settings boosts=yes')).toMatch(/^Settings changed/);
  });
});
