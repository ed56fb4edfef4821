import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAudit } from '../../src/admin/audit-log.ts';
import { readProgramSettings } from '../../src/admin/program-settings.ts';
import type { RunningPlaudit } from '../../src/app.ts';
import { FakeBotConnector, type FakeTeamsUser } from '../support/fake-bot-connector.ts';
import { memberOf } from '../support/member-rewards.ts';
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

interface CardContent {
  readonly version: string;
  readonly body: Array<Record<string, unknown>>;
  readonly actions?: Array<{ type: string; title: string; data: Record<string, unknown> }>;
}

/** The Adaptive Card of a bot's message, if it carries one. */
function cardOf(activity: Record<string, unknown> | undefined): CardContent | undefined {
  const [attachment] = (activity?.attachments ?? []) as Array<{
    contentType: string;
    content: CardContent;
  }>;
  return attachment?.contentType === 'application/vnd.microsoft.card.adaptive'
    ? attachment.content
    : undefined;
}

/**
 * What Teams sends when the card's Save is clicked: the action's data and every input's
 * value as text, with the given inputs changed (an input set to undefined left out, as
 * Teams leaves out an emptied one).
 */
function saved(card: CardContent, changes: Record<string, string | undefined> = {}) {
  const value: Record<string, unknown> = { ...card.actions?.[0]?.data };
  for (const element of card.body) {
    if (typeof element.id === 'string' && element.value !== undefined) {
      value[element.id] = String(element.value);
    }
  }
  for (const [id, changed] of Object.entries(changes)) {
    if (changed === undefined) delete value[id];
    else value[id] = changed;
  }
  return value;
}

describe('the Teams settings card, over Bot Framework HTTP', () => {
  const tenantId = randomUUID();
  const connector = new FakeBotConnector();
  let plaudit: RunningPlaudit;
  let scene: TeamsScene;
  let organizationId: number;
  const person = tenantPeople(connector, tenantId);
  const hal = person('Hal');
  const mei = person('Mei');

  const token = () => connectorToken(connector, APP_ID);

  async function send(activity: Record<string, unknown>) {
    const response = await postActivity(plaudit.url, activity, token());
    expect(response.status).toBe(200);
    await plaudit.settled();
    return connector.answersTo(activity).at(-1)?.activity;
  }
  const say = (from: FakeTeamsUser, text: string) => send(teamsMessage(scene, from, text));
  const submit = (from: FakeTeamsUser, value: Record<string, unknown>) =>
    send(cardSubmission(scene, from, value));
  const textOf = (activity: Record<string, unknown> | undefined) =>
    String(activity?.text ?? activity?.summary);

  /** The settings card, as the admin asks for it. */
  async function openCard(): Promise<CardContent> {
    const card = cardOf(await say(hal, 'admin settings'));
    if (!card) throw new Error('no settings card was sent');
    return card;
  }

  const changes = async () =>
    (await readAudit(plaudit.db, organizationId, { action: 'settings.change' })).entries;

  beforeAll(async () => {
    await connector.start();
    scene = teamsScene(connector, APP_ID, tenantId);
    plaudit = await startTeamsPlaudit(
      connector,
      APP_ID,
      { TEAMS_ALLOWED_TENANTS: tenantId },
      { PLAUDIT_INITIAL_ADMINS: hal.email ?? '' },
    );
    // Hal is named by PLAUDIT_INITIAL_ADMINS: its admin. Mei is a member.
    await say(hal, 'balance');
    await say(mei, 'balance');
    organizationId = (
      await memberOf(plaudit.db, { platform: 'teams', tenantId, userId: hal.aadObjectId })
    ).organizationId;
  });
  afterAll(async () => {
    await plaudit?.close();
    await connector.stop();
  });

  it('answers an admin with the card, filled in with the settings now', async () => {
    const card = await openCard();
    expect(card.version).toBe('1.5');
    const input = (id: string) => card.body.find((element) => element.id === id);
    expect(input('allowance')).toMatchObject({ type: 'Input.Number', value: 100 });
    expect(input('cadence')).toMatchObject({ type: 'Input.ChoiceSet', value: 'monthly' });
    expect(input('guests')).toMatchObject({ type: 'Input.Toggle', value: 'false' });
    expect(input('timezone')).toMatchObject({ type: 'Input.Text', value: 'UTC' });
    expect(card.actions).toEqual([
      expect.objectContaining({
        type: 'Action.Submit',
        title: 'Save',
        data: expect.objectContaining({ verb: 'admin_settings' }),
      }),
    ]);
  });

  it('sends the card to the admin’s own chat when asked in a channel', async () => {
    const before = connector.sentTo(`a:personal-${hal.id}`).length;
    const answer = await send(
      teamsMessage(scene, hal, 'admin settings', {
        conversationType: 'channel',
        conversationId: '19:general@thread.tacv2',
      }),
    );
    expect(textOf(answer)).toBe('Hal, I sent you the settings in our chat.');
    const [direct] = connector.sentTo(`a:personal-${hal.id}`).slice(before);
    expect(cardOf(direct?.activity)?.actions?.[0]?.data).toMatchObject({
      verb: 'admin_settings',
    });
  });

  it('answers a member with the refusal instead of the card, audited', async () => {
    const answer = await say(mei, 'admin settings');
    expect(cardOf(answer)).toBeUndefined();
    expect(textOf(answer)).toBe(
      "Only admins can see the program's settings; ask an admin if this needs doing.",
    );
    const refused = await readAudit(plaudit.db, organizationId, { outcome: 'refused' });
    expect(refused.entries[0]).toMatchObject({
      actorName: 'Mei',
      via: 'teams',
      refusalCode: 'not_admin',
    });
  });

  it('changes what was changed on Save, audits it and says what changed', async () => {
    const card = await openCard();
    const before = await changes();
    const answer = await submit(
      hal,
      saved(card, { cadence: 'weekly', guests: 'true', 'pair-cap': '20', 'hold-days': '7' }),
    );
    expect(textOf(answer)).toMatch(/^Settings changed; they hold from now on\./);
    expect(textOf(answer)).toContain(
      'Daily cap per giver and recipient (pair-cap): none → 20 points',
    );
    expect(await readProgramSettings(plaudit.db, organizationId)).toMatchObject({
      allowance: { amount: 100, cadence: 'weekly' },
      guestsMayParticipate: true,
      dailyPairCap: 20,
      holdHours: 168,
      maxAmount: 100,
    });
    const after = await changes();
    expect(after).toHaveLength(before.length + 1);
    expect(after[0]).toMatchObject({
      actorName: 'Hal',
      via: 'teams',
      outcome: 'done',
      before: { dailyPairCap: null, guestsMayParticipate: false, holdHours: 336 },
      after: { dailyPairCap: 20, guestsMayParticipate: true, holdHours: 168 },
    });
  });

  it('clears a cap whose input was emptied', async () => {
    const card = await openCard();
    const answer = await submit(hal, saved(card, { 'pair-cap': undefined }));
    expect(textOf(answer)).toContain(
      'Daily cap per giver and recipient (pair-cap): 20 points → none',
    );
    expect((await readProgramSettings(plaudit.db, organizationId)).dailyPairCap).toBeNull();
  });

  it('answers a bad value with the refusal and changes nothing', async () => {
    const card = await openCard();
    const before = await readProgramSettings(plaudit.db, organizationId);
    const audited = (await changes()).length;
    const answer = await submit(hal, saved(card, { min: '500', guests: 'false' }));
    expect(textOf(answer)).toBe(
      'The minimum per kudos (500) is more than the maximum (100). Nothing was changed.',
    );
    expect(await readProgramSettings(plaudit.db, organizationId)).toEqual(before);
    expect(await changes()).toHaveLength(audited);
  });

  it('refuses a member who submits the card, and changes nothing', async () => {
    const card = await openCard();
    const before = await readProgramSettings(plaudit.db, organizationId);
    const answer = await submit(mei, saved(card, { max: '5' }));
    expect(textOf(answer)).toBe(
      "Only admins can change the program's settings; ask an admin if this needs doing.",
    );
    expect(await readProgramSettings(plaudit.db, organizationId)).toEqual(before);
  });

  it('says nothing changed when the card is saved as it was shown', async () => {
    const card = await openCard();
    const audited = (await readAudit(plaudit.db, organizationId)).entries;
    const answer = await submit(hal, saved(card));
    expect(textOf(answer)).toBe('Nothing changed: the settings are as they were.');
    expect((await readAudit(plaudit.db, organizationId)).entries).toEqual(audited);
  });
});
