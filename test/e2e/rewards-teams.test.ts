import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningPlaudit } from '../../src/app.ts';
import { FakeBotConnector } from '../support/fake-bot-connector.ts';
import {
  chargesFor,
  earnPoints,
  type KnownMember,
  makeHr,
  memberOf,
  pointsOf,
  redemptionsOf,
} from '../support/member-rewards.ts';
import {
  cardSubmission,
  postActivity,
  type TeamsScene,
  teamsMessage,
} from '../support/teams-activities.ts';
import {
  connectorToken,
  startTeamsPlaudit,
  teamsScene,
  tenantPeople,
} from '../support/teams-plaudit.ts';

const APP_ID = randomUUID();

/** An Adaptive Card button: its title, and the data it submits when clicked. */
interface CardButton {
  readonly title: string;
  readonly data: Record<string, unknown>;
}

/** Every Action.Submit in the ActionSets of an activity's Adaptive Cards. */
function buttonsOf(activity: Record<string, unknown> | undefined): CardButton[] {
  const attachments = (activity?.attachments ?? []) as Array<{
    content?: { body?: Array<{ type: string; actions?: Array<CardButton & { type: string }> }> };
  }>;
  return attachments
    .flatMap((attachment) => attachment.content?.body ?? [])
    .filter((element) => element.type === 'ActionSet')
    .flatMap((element) => element.actions ?? [])
    .map((action) => {
      expect(action.type).toBe('Action.Submit');
      return { title: action.title, data: action.data };
    });
}

function button(activity: Record<string, unknown> | undefined, title: string): CardButton {
  const found = buttonsOf(activity).find((candidate) => candidate.title === title);
  if (!found) throw new Error(`no button “${title}” in ${JSON.stringify(activity?.attachments)}`);
  return found;
}

describe('rewards on Teams, over Bot Framework HTTP', () => {
  const tenantId = randomUUID();
  const connector = new FakeBotConnector();
  let plaudit: RunningPlaudit;
  let scene: TeamsScene;
  const person = tenantPeople(connector, tenantId);
  const halUser = person('Hal');
  const meiUser = person('Mei');
  let hal: KnownMember;
  let mei: KnownMember;
  let coffee: number;

  const token = () => connectorToken(connector, APP_ID);
  /** The ids of the activities the test posted: what the bot sends otherwise, it sends on its own. */
  const posted = new Set<unknown>();
  /** Posts an activity signed as the Bot Connector signs it; resolves once all follow-up work is done. */
  async function send(activity: Record<string, unknown>) {
    posted.add(activity.id);
    const response = await postActivity(plaudit.url, activity, token());
    expect(response.status).toBe(200);
    await plaudit.settled();
  }
  /** The bot's latest answer to an activity. */
  const answerTo = (activity: Record<string, unknown>) =>
    connector.answersTo(activity).at(-1)?.activity;
  const answerText = (activity: Record<string, unknown>) => {
    const answer = answerTo(activity);
    return (answer?.text ?? answer?.summary) as string | undefined;
  };
  /** Types a command in the person's chat with the bot; resolves with the answer. */
  async function say(from: typeof halUser, text: string) {
    const message = teamsMessage(scene, from, text);
    await send(message);
    return answerTo(message);
  }
  /** Messages the bot wrote in a person's chat on its own, answering nothing the test sent. */
  const toldIn = (user: typeof halUser) =>
    connector
      .sentTo(`a:personal-${user.id}`)
      .filter((sent) => !posted.has(sent.replyToId))
      .map((sent) => sent.activity.text);

  beforeAll(async () => {
    await connector.start();
    scene = teamsScene(connector, APP_ID, tenantId);
    plaudit = await startTeamsPlaudit(connector, APP_ID, { TEAMS_ALLOWED_TENANTS: tenantId });
    // Both say hello first, so that they are members with a chat the bot can write in.
    await say(halUser, 'balance');
    await say(meiUser, 'balance');
    const identity = (user: typeof halUser) =>
      ({ platform: 'teams', tenantId, userId: user.aadObjectId }) as const;
    hal = await memberOf(plaudit.db, identity(halUser));
    mei = await memberOf(plaudit.db, identity(meiUser));
    await makeHr(plaudit.db, hal);
  });
  afterAll(async () => {
    await plaudit?.close();
    await connector.stop();
  });

  it('lets HR add a reward, and shows the catalog as a card with a Redeem button', async () => {
    const added = await say(halUser, 'hr reward add name="Coffee voucher" cost=200 price=5.50');
    expect(added?.summary).toMatch(
      /^Added to the catalog: #\d+ Coffee voucher: 200 points, priced 5\.50 USD\.$/,
    );
    coffee = Number(/#(\d+)/.exec(String(added?.summary))?.[1]);

    const catalog = await say(meiUser, 'rewards');
    expect(catalog?.summary).toBe(`#${coffee} Coffee voucher: 200 points`);
    expect(buttonsOf(catalog)).toEqual([
      { title: 'Redeem Coffee voucher', data: { plauditCommand: `redeem #${coffee}` } },
    ]);
  });

  it('points to the catalog with the command as Teams people invoke it, for a reward that does not exist', async () => {
    const before = await redemptionsOf(plaudit.db, mei);
    const message = teamsMessage(scene, meiUser, 'redeem teleporter');
    await send(message);
    expect(answerText(message)).toBe(
      `There is no reward “teleporter”. See the catalog with @${scene.bot.name} rewards.`,
    );
    expect(await redemptionsOf(plaudit.db, mei)).toEqual(before);
  });

  it('holds the points when Redeem is clicked, and redeems once when Teams redelivers the click', async () => {
    await earnPoints(plaudit.db, mei, 300);
    const catalog = await say(meiUser, 'rewards');
    const clickActivity = cardSubmission(
      scene,
      meiUser,
      button(catalog, 'Redeem Coffee voucher').data,
    );
    await send(clickActivity);
    const answered = answerText(clickActivity);
    expect(answered).toMatch(
      /^You redeemed “Coffee voucher” \(redemption #\d+\)\. 200 points are held until HR fulfils it; you will hear from me then\.$/,
    );
    expect(await pointsOf(plaudit.db, mei)).toEqual({ available: 100, held: 200 });

    // The same activity again (same id): answered the same, redeemed once.
    await send(clickActivity);
    expect(answerText(clickActivity)).toBe(answered);
    expect(await redemptionsOf(plaudit.db, mei)).toEqual([
      { id: expect.any(Number), status: 'held' },
    ]);
    expect(await pointsOf(plaudit.db, mei)).toEqual({ available: 100, held: 200 });
    expect((await say(meiUser, 'balance'))?.summary).toMatch(
      /You have earned 100 points to spend \(200 points more are held for redemptions\)\.$/,
    );
  });

  it('lists a member’s redemptions with where each stands', async () => {
    const [held] = await redemptionsOf(plaudit.db, mei);
    const mine = await say(meiUser, 'redemptions');
    expect(mine?.summary).toBe(`#${held?.id} Coffee voucher, 200 points: waiting for HR`);
    expect(buttonsOf(mine)).toEqual([
      { title: `Cancel #${held?.id}`, data: { plauditCommand: `redemptions cancel ${held?.id}` } },
    ]);
  });

  it('refuses HR commands, typed or clicked, to a member who is not HR, and changes nothing', async () => {
    const [held] = await redemptionsOf(plaudit.db, mei);
    const pending = await say(halUser, 'hr pending');
    const fulfil = button(pending, `Fulfil #${held?.id}`);
    const toldBefore = toldIn(meiUser).length;

    const refusal =
      'Only HR can run the rewards; ask someone in HR, or an admin to give you the HR role.';
    const typed = await say(meiUser, 'hr pending');
    expect(typed?.text).toBe(refusal);
    expect(buttonsOf(typed)).toEqual([]);
    // Mei submits HR's Fulfil button: it runs as her, and she is not HR.
    const clicked = cardSubmission(scene, meiUser, fulfil.data);
    await send(clicked);
    expect(answerText(clicked)).toBe(refusal);
    expect(await redemptionsOf(plaudit.db, mei)).toEqual([{ id: held?.id, status: 'held' }]);
    expect(await chargesFor(plaudit.db, held?.id as number)).toBe(0);
    expect(await pointsOf(plaudit.db, mei)).toEqual({ available: 100, held: 200 });
    expect(toldIn(meiUser)).toHaveLength(toldBefore);
  });

  it('fulfils from HR’s Fulfil button: the member is told in a personal message, and it is billed once', async () => {
    const [held] = await redemptionsOf(plaudit.db, mei);
    const pending = await say(halUser, 'hr pending');
    expect(pending?.summary).toBe(
      `#${held?.id} Coffee voucher, 200 points: waiting for HR, for Mei`,
    );
    expect(buttonsOf(pending)).toEqual([
      { title: `Fulfil #${held?.id}`, data: { plauditCommand: `hr fulfil ${held?.id}` } },
      {
        title: `Reject #${held?.id}`,
        data: { plauditCommand: `hr reject ${held?.id} rejected by HR` },
      },
    ]);

    const clicked = cardSubmission(scene, halUser, button(pending, `Fulfil #${held?.id}`).data);
    await send(clicked);
    expect(answerText(clicked)).toBe(
      `Redemption #${held?.id} (“Coffee voucher”) is fulfilled; 5.50 USD is billed.`,
    );
    expect(toldIn(meiUser)).toEqual([
      `Your redemption #${held?.id} of “Coffee voucher” was fulfilled. Enjoy!`,
    ]);
    expect(await chargesFor(plaudit.db, held?.id as number)).toBe(1);
    expect(await pointsOf(plaudit.db, mei)).toEqual({ available: 100, held: 0 });

    // Teams redelivers the click: nothing is billed or told twice.
    await send(clicked);
    expect(answerText(clicked)).toBe(
      `Redemption #${held?.id} was already fulfilled; nothing changed.`,
    );
    expect(await chargesFor(plaudit.db, held?.id as number)).toBe(1);
    expect(toldIn(meiUser)).toHaveLength(1);
  });

  it('rejects, by HR’s Reject button or with a reason typed: the member is told why and gets the points back', async () => {
    await earnPoints(plaudit.db, mei, 300);
    await say(meiUser, 'redeem coffee');
    await say(meiUser, 'redeem coffee');
    const [, first, second] = await redemptionsOf(plaudit.db, mei);
    expect(await pointsOf(plaudit.db, mei)).toEqual({ available: 0, held: 400 });

    const pending = await say(halUser, 'hr pending');
    const clicked = cardSubmission(scene, halUser, button(pending, `Reject #${first?.id}`).data);
    await send(clicked);
    expect(answerText(clicked)).toBe(
      `Redemption #${first?.id} (“Coffee voucher”) is rejected; 200 points went back.`,
    );
    const typed = await say(halUser, `hr reject ${second?.id} we are out of vouchers`);
    expect(typed?.summary).toBe(
      `Redemption #${second?.id} (“Coffee voucher”) is rejected; 200 points went back.`,
    );

    expect(toldIn(meiUser).slice(-2)).toEqual([
      `Your redemption #${first?.id} of “Coffee voucher” was rejected: rejected by HR. Your 200 points are back to spend.`,
      `Your redemption #${second?.id} of “Coffee voucher” was rejected: we are out of vouchers. Your 200 points are back to spend.`,
    ]);
    expect(await pointsOf(plaudit.db, mei)).toEqual({ available: 400, held: 0 });
    expect(await chargesFor(plaudit.db, first?.id as number)).toBe(0);
    expect(await chargesFor(plaudit.db, second?.id as number)).toBe(0);
  });

  it('politely refuses a click from a tenant that is not allowed, and runs nothing', async () => {
    const before = await redemptionsOf(plaudit.db, mei);
    const outsider = person('Olga');
    const clicked = cardSubmission(
      scene,
      outsider,
      { plauditCommand: `redeem #${coffee}` },
      { tenantId: randomUUID() },
    );
    await send(clicked);
    expect(answerText(clicked)).toBe(
      "Plaudit is not set up for your organization's Microsoft 365 tenant, so it cannot take kudos here. Ask your Plaudit admin to add it.",
    );
    expect(await redemptionsOf(plaudit.db, mei)).toEqual(before);
    await expect(
      memberOf(plaudit.db, { platform: 'teams', tenantId, userId: outsider.aadObjectId }),
    ).rejects.toThrow('has not been seen');
  });

  it('drops a click that comes through a channel other than Teams, and runs nothing', async () => {
    await earnPoints(plaudit.db, mei, 200);
    const before = await redemptionsOf(plaudit.db, mei);
    const sentBefore = connector.sent.length;
    // Validly signed, but Direct Line lets its client claim to be Mei.
    const forged = {
      ...cardSubmission(scene, meiUser, { plauditCommand: `redeem #${coffee}` }),
      channelId: 'directline',
    };
    await send(forged);
    expect(await redemptionsOf(plaudit.db, mei)).toEqual(before);
    expect(connector.sent).toHaveLength(sentBefore);
  });
});
