import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningPlaudit } from '../../src/app.ts';
import { FakeSlackApi } from '../support/fake-slack-api.ts';
import {
  chargesFor,
  earnPoints,
  type KnownMember,
  makeHr,
  memberOf,
  pointsOf,
  redemptionsOf,
} from '../support/member-rewards.ts';
import { SIGNING_SECRET, startSlackPlaudit } from '../support/slack-plaudit.ts';
import {
  postSlackInteraction,
  postSlashCommand,
  slashCommandMessage,
} from '../support/slack-requests.ts';

/** A button of a Block Kit message, as Slack shows it and sends it back when clicked. */
interface SlackButton {
  readonly label: string;
  readonly actionId: string;
  readonly value: string;
}

/** What Slack showed the person: an ephemeral message with its blocks. */
interface SlackMessage {
  readonly response_type?: string;
  readonly replace_original?: boolean;
  readonly text: string;
  readonly blocks?: Array<{
    type: string;
    elements?: Array<{ type: string; action_id?: string; value?: string; text?: { text: string } }>;
  }>;
}

function buttonsOf(message: SlackMessage): SlackButton[] {
  return (message.blocks ?? [])
    .filter((block) => block.type === 'actions')
    .flatMap((block) => block.elements ?? [])
    .map((element) => ({
      label: element.text?.text ?? '',
      actionId: element.action_id ?? '',
      value: element.value ?? '',
    }));
}

function button(message: SlackMessage, label: string): SlackButton {
  const found = buttonsOf(message).find((candidate) => candidate.label === label);
  if (!found) throw new Error(`no button “${label}” in ${JSON.stringify(message.blocks)}`);
  return found;
}

describe('rewards on Slack, over signed HTTP', () => {
  const teamId = `T${randomUUID().slice(0, 8).toUpperCase()}`;
  const fake = new FakeSlackApi({ id: teamId, name: 'Acme', botUserId: 'UBOT' });
  let plaudit: RunningPlaudit;
  let hal: KnownMember;
  let mei: KnownMember;
  let sequence = 0;
  let coffee: number;
  let lunch: number;

  /** Runs a slash command and returns the ephemeral answer Slack shows. */
  async function command(user: string, text: string): Promise<SlackMessage> {
    sequence += 1;
    const response = await postSlashCommand(plaudit.url, SIGNING_SECRET, {
      team_id: teamId,
      user_id: user,
      channel_id: 'C1',
      text,
      trigger_id: `trigger-${sequence}`,
      response_url: `${fake.url}/respond/command-${sequence}`,
    });
    expect(response.status, text).toBe(200);
    await plaudit.settled();
    return (await slashCommandMessage(response, fake)) as unknown as SlackMessage;
  }

  /** A block_actions delivery of a click on a button, as Slack signs and posts it. */
  function click(
    user: string,
    clicked: SlackButton,
    options: { actionTs?: string; team?: string } = {},
  ) {
    sequence += 1;
    const team = options.team ?? teamId;
    return {
      type: 'block_actions',
      team: { id: team, domain: 'acme' },
      user: { id: user, team_id: team },
      api_app_id: 'A1',
      token: 'deprecated',
      trigger_id: `trigger-click-${sequence}`,
      response_url: `${fake.url}/respond/click-${sequence}`,
      container: { type: 'message', message_ts: '1700000000.000100', is_ephemeral: true },
      channel: { id: 'C1', name: 'general' },
      actions: [
        {
          type: 'button',
          block_id: 'b1',
          action_id: clicked.actionId,
          text: { type: 'plain_text', text: clicked.label },
          value: clicked.value,
          action_ts: options.actionTs ?? `1700000000.${String(sequence).padStart(6, '0')}`,
        },
      ],
    };
  }

  /** Delivers a click; resolves with what was answered through its response_url, once all follow-up work is done. */
  async function deliver(payload: ReturnType<typeof click>): Promise<SlackMessage | undefined> {
    const response = await postSlackInteraction(plaudit.url, SIGNING_SECRET, payload);
    expect(response.status).toBe(200);
    // The click is acked at once, with nothing to show: the answer follows.
    expect(response.body).toBe('');
    await plaudit.settled();
    const path = payload.response_url.replace(`${fake.url}/`, '');
    return fake.calls.findLast((call) => call.method === path)?.body as SlackMessage | undefined;
  }

  const dmsTo = (user: string) =>
    fake
      .callsTo('chat.postMessage')
      .filter((call) => call.body.channel === `D${user}`)
      .map((call) => call.body.text);

  beforeAll(async () => {
    await fake.start();
    for (const [id, name] of [
      ['UHAL', 'Hal'],
      ['UMEI', 'Mei'],
    ] as const) {
      fake.addUser(id, name, `${id.toLowerCase()}@acme.example`);
    }
    plaudit = await startSlackPlaudit(fake);
    // Both say hello first, so that they are members; then Hal is given the HR role.
    for (const user of ['UHAL', 'UMEI']) {
      expect((await command(user, 'balance')).text).toMatch(/^You have /);
    }
    hal = await memberOf(plaudit.db, { platform: 'slack', tenantId: teamId, userId: 'UHAL' });
    mei = await memberOf(plaudit.db, { platform: 'slack', tenantId: teamId, userId: 'UMEI' });
    await makeHr(plaudit.db, hal);
  });
  afterAll(async () => {
    await plaudit?.close();
    await fake.stop();
  });

  it('lets HR add rewards, and shows everyone the catalog with a Redeem button for each', async () => {
    const added = await command(
      'UHAL',
      'hr reward add name="Coffee voucher" cost=200 price=5.50 stock=3',
    );
    expect(added.text).toMatch(
      /^Added to the catalog: #\d+ Coffee voucher: 200 points, 3 left, priced 5\.50 USD\.$/,
    );
    coffee = Number(/#(\d+)/.exec(added.text)?.[1]);
    const lunchAdded = await command('UHAL', 'hr reward add name="Team lunch" cost=500 price=40');
    lunch = Number(/#(\d+)/.exec(lunchAdded.text)?.[1]);

    const catalog = await command('UMEI', 'rewards');
    expect(catalog.response_type).toBe('ephemeral');
    expect(catalog.text).toBe(
      `#${coffee} Coffee voucher: 200 points, 3 left\n#${lunch} Team lunch: 500 points`,
    );
    expect(buttonsOf(catalog)).toEqual([
      { label: 'Redeem Coffee voucher', actionId: 'plaudit_command:0', value: `redeem #${coffee}` },
      { label: 'Redeem Team lunch', actionId: 'plaudit_command:1', value: `redeem #${lunch}` },
    ]);
  });

  it('holds the points when Redeem is clicked, and redeems once however often the click is delivered', async () => {
    await earnPoints(plaudit.db, mei, 300);
    const catalog = await command('UMEI', 'rewards');
    const delivery = click('UMEI', button(catalog, 'Redeem Coffee voucher'));
    const answer = await deliver(delivery);
    expect(answer).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(answer?.text).toMatch(
      /^You redeemed “Coffee voucher” \(redemption #\d+\)\. 200 points are held until HR fulfils it; you will hear from me then\.$/,
    );
    expect(await pointsOf(plaudit.db, mei)).toEqual({ available: 100, held: 200 });

    // Slack delivers the same click again (same action_ts): the same answer, nothing more.
    const again = await deliver(delivery);
    expect(again?.text).toBe(answer?.text);
    expect(await redemptionsOf(plaudit.db, mei)).toEqual([
      { id: expect.any(Number), status: 'held' },
    ]);
    expect(await pointsOf(plaudit.db, mei)).toEqual({ available: 100, held: 200 });

    const balance = await command('UMEI', 'balance');
    expect(balance.text).toMatch(
      /You have earned 100 points to spend \(200 points more are held for redemptions\)\.$/,
    );
  });

  it('refuses a Redeem click the points do not cover, and holds nothing', async () => {
    const catalog = await command('UMEI', 'rewards');
    const answer = await deliver(click('UMEI', button(catalog, 'Redeem Team lunch')));
    expect(answer?.text).toBe('You have 100 points to spend, and “Team lunch” costs 500 points.');
    expect(await redemptionsOf(plaudit.db, mei)).toHaveLength(1);
    expect(await pointsOf(plaudit.db, mei)).toEqual({ available: 100, held: 200 });
  });

  it('lists a member’s redemptions with where each stands', async () => {
    const [held] = await redemptionsOf(plaudit.db, mei);
    const mine = await command('UMEI', 'redemptions');
    expect(mine.text).toBe(`#${held?.id} Coffee voucher, 200 points: waiting for HR`);
    expect(buttonsOf(mine)).toEqual([
      {
        label: `Cancel #${held?.id}`,
        actionId: 'plaudit_command:0',
        value: `redemptions cancel ${held?.id}`,
      },
    ]);
  });

  it('refuses HR commands, typed or clicked, to a member who is not HR, and changes nothing', async () => {
    const [held] = await redemptionsOf(plaudit.db, mei);
    const pending = await command('UHAL', 'hr pending');
    const fulfil = button(pending, `Fulfil #${held?.id}`);
    const dmsBefore = dmsTo('UMEI').length;

    const typed = await command('UMEI', 'hr pending');
    expect(typed.text).toBe(
      'Only HR can run the rewards; ask someone in HR, or an admin to give you the HR role.',
    );
    expect(buttonsOf(typed)).toEqual([]);
    // Mei clicks HR's Fulfil button: it runs as her, and she is not HR.
    const clicked = await deliver(click('UMEI', fulfil));
    expect(clicked?.text).toBe(typed.text);
    expect(await redemptionsOf(plaudit.db, mei)).toEqual([{ id: held?.id, status: 'held' }]);
    expect(await chargesFor(plaudit.db, held?.id as number)).toBe(0);
    expect(await pointsOf(plaudit.db, mei)).toEqual({ available: 100, held: 200 });
    expect(dmsTo('UMEI')).toHaveLength(dmsBefore);
  });

  it('fulfils from HR’s Fulfil button: the member is told by DM, and it is billed once', async () => {
    const [held] = await redemptionsOf(plaudit.db, mei);
    const pending = await command('UHAL', 'hr pending');
    expect(pending.text).toBe(`#${held?.id} Coffee voucher, 200 points: waiting for HR, for Mei`);
    expect(buttonsOf(pending)).toEqual([
      {
        label: `Fulfil #${held?.id}`,
        actionId: 'plaudit_command:0',
        value: `hr fulfil ${held?.id}`,
      },
      {
        label: `Reject #${held?.id}`,
        actionId: 'plaudit_command:1',
        value: `hr reject ${held?.id} rejected by HR`,
      },
    ]);

    const delivery = click('UHAL', button(pending, `Fulfil #${held?.id}`));
    const answer = await deliver(delivery);
    expect(answer?.text).toBe(
      `Redemption #${held?.id} (“Coffee voucher”) is fulfilled; 5.50 USD is billed.`,
    );
    expect(dmsTo('UMEI')).toEqual([
      `Your redemption #${held?.id} of “Coffee voucher” was fulfilled. Enjoy!`,
    ]);
    expect(await chargesFor(plaudit.db, held?.id as number)).toBe(1);
    expect(await pointsOf(plaudit.db, mei)).toEqual({ available: 100, held: 0 });

    // The same click delivered again bills nothing and tells nobody twice.
    const again = await deliver(delivery);
    expect(again?.text).toBe(`Redemption #${held?.id} was already fulfilled; nothing changed.`);
    expect(await chargesFor(plaudit.db, held?.id as number)).toBe(1);
    expect(dmsTo('UMEI')).toHaveLength(1);
    expect((await command('UMEI', 'redemptions')).text).toBe(
      `#${held?.id} Coffee voucher, 200 points: fulfilled`,
    );
  });

  it('rejects, by HR’s Reject button or with a reason typed: the member is told why and gets the points back', async () => {
    await earnPoints(plaudit.db, mei, 300);
    await command('UMEI', 'redeem coffee');
    await command('UMEI', 'redeem coffee');
    const [, first, second] = await redemptionsOf(plaudit.db, mei);
    expect(await pointsOf(plaudit.db, mei)).toEqual({ available: 0, held: 400 });

    const pending = await command('UHAL', 'hr pending');
    const byButton = await deliver(click('UHAL', button(pending, `Reject #${first?.id}`)));
    expect(byButton?.text).toBe(
      `Redemption #${first?.id} (“Coffee voucher”) is rejected; 200 points went back.`,
    );
    const typed = await command('UHAL', `hr reject ${second?.id} we are out of vouchers`);
    expect(typed.text).toBe(
      `Redemption #${second?.id} (“Coffee voucher”) is rejected; 200 points went back.`,
    );

    expect(dmsTo('UMEI').slice(-2)).toEqual([
      `Your redemption #${first?.id} of “Coffee voucher” was rejected: rejected by HR. Your 200 points are back to spend.`,
      `Your redemption #${second?.id} of “Coffee voucher” was rejected: we are out of vouchers. Your 200 points are back to spend.`,
    ]);
    expect(await pointsOf(plaudit.db, mei)).toEqual({ available: 400, held: 0 });
    expect(await chargesFor(plaudit.db, first?.id as number)).toBe(0);
    expect(await chargesFor(plaudit.db, second?.id as number)).toBe(0);
  });

  it('answers a click from a workspace that is not connected with a sentence, and runs nothing', async () => {
    const catalog = await command('UMEI', 'rewards');
    const before = await redemptionsOf(plaudit.db, mei);
    const answer = await deliver(
      click('UMEI', button(catalog, 'Redeem Coffee voucher'), { team: 'TSTRANGER' }),
    );
    expect(answer).toEqual({
      response_type: 'ephemeral',
      replace_original: false,
      text: 'This Slack workspace is not connected to Plaudit, so its buttons do nothing here.',
    });
    expect(await redemptionsOf(plaudit.db, mei)).toEqual(before);
  });

  it('answers a click from someone Slack does not know with a sentence, and makes no member', async () => {
    const catalog = await command('UMEI', 'rewards');
    const answer = await deliver(click('UNOBODY', button(catalog, 'Redeem Coffee voucher')));
    expect(answer?.text).toBe(
      'Slack could not tell me who you are in this workspace, so I did nothing. Ask your Slack admin to check your account.',
    );
    await expect(
      memberOf(plaudit.db, { platform: 'slack', tenantId: teamId, userId: 'UNOBODY' }),
    ).rejects.toThrow('has not been seen');
  });

  it('refuses a click that is not signed with the signing secret, and runs nothing', async () => {
    const catalog = await command('UMEI', 'rewards');
    const before = await redemptionsOf(plaudit.db, mei);
    const forged = click('UMEI', button(catalog, 'Redeem Coffee voucher'));
    const response = await postSlackInteraction(plaudit.url, 'not-the-secret', forged);
    await plaudit.settled();
    expect(response.status).toBe(401);
    expect(await redemptionsOf(plaudit.db, mei)).toEqual(before);
    expect(
      fake.calls.some((call) => call.method === forged.response_url.replace(`${fake.url}/`, '')),
    ).toBe(false);
  });
});
