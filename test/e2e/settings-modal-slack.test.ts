import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAudit } from '../../src/admin/audit-log.ts';
import { readProgramSettings } from '../../src/admin/program-settings.ts';
import type { RunningPlaudit } from '../../src/app.ts';
import { FakeSlackApi } from '../support/fake-slack-api.ts';
import { SIGNING_SECRET, startSlackPlaudit } from '../support/slack-plaudit.ts';
import { postSlackInteraction, postSlashCommand } from '../support/slack-requests.ts';
import { submittedAsOpened, type ViewState, withInput } from '../support/slack-views.ts';

interface OpenedView {
  readonly callback_id: string;
  readonly private_metadata: string;
  readonly blocks: Array<{ type: string; block_id: string; element: Record<string, unknown> }>;
}

describe('the Slack settings modal, over signed HTTP', () => {
  const teamId = `T${randomUUID().slice(0, 8).toUpperCase()}`;
  const fake = new FakeSlackApi({ id: teamId, name: 'Modal Ltd', botUserId: 'UBOT' });
  let plaudit: RunningPlaudit;
  let organizationId: number;
  let triggers = 0;
  let views = 0;

  /** `/kudos {text}` as a user; resolves with its trigger id and the answer in the ack, if any. */
  async function command(user: string, text: string) {
    const trigger = `trigger-${++triggers}`;
    const response = await postSlashCommand(plaudit.url, SIGNING_SECRET, {
      team_id: teamId,
      user_id: user,
      channel_id: 'CADMIN',
      text,
      trigger_id: trigger,
      response_url: `${fake.url}/respond/${trigger}`,
    });
    expect(response.status).toBe(200);
    await plaudit.settled();
    return { trigger, body: response.body };
  }

  /** The modal opened for a trigger, if one was. */
  const openedFor = (trigger: string) =>
    fake.callsTo('views.open').find((call) => call.body.trigger_id === trigger)?.body.view as
      | OpenedView
      | undefined;

  /** Opens the modal as the admin and returns it. */
  async function openModal(): Promise<OpenedView> {
    const { trigger } = await command('UADMIN', 'admin settings');
    const view = openedFor(trigger);
    if (!view) throw new Error('no settings modal was opened');
    return view;
  }

  /** Submits a settings modal as a user, with the given input state; resolves with Slack's answer. */
  async function submit(user: string, view: OpenedView, state: ViewState) {
    const id = `V-settings-${++views}`;
    const response = await postSlackInteraction(plaudit.url, SIGNING_SECRET, {
      type: 'view_submission',
      team: { id: teamId, domain: 'modal' },
      user: { id: user, team_id: teamId },
      api_app_id: 'A1',
      token: 'deprecated',
      trigger_id: `trigger-${id}`,
      view: { ...view, id, team_id: teamId, type: 'modal', hash: 'h', state },
    });
    expect(response.status).toBe(200);
    await plaudit.settled();
    return response.body === '' ? undefined : (JSON.parse(response.body) as unknown);
  }

  const changes = async () =>
    (await readAudit(plaudit.db, organizationId, { action: 'settings.change' })).entries;

  beforeAll(async () => {
    await fake.start();
    for (const [id, name] of [
      ['UADMIN', 'Ada'],
      ['UMEMBER', 'Max'],
    ] as const) {
      fake.addUser(id, name, `${name}@${teamId.toLowerCase()}.modal.example`);
    }
    plaudit = await startSlackPlaudit(fake, {
      PLAUDIT_INITIAL_ADMINS: `ada@${teamId.toLowerCase()}.modal.example`,
    });
    organizationId = plaudit.slack?.workspace?.organizationId as number;
    // Ada is named by PLAUDIT_INITIAL_ADMINS: its admin. Max is a member.
    await command('UADMIN', 'balance');
    await command('UMEMBER', 'balance');
  });
  afterAll(async () => {
    await plaudit?.close();
    await fake.stop();
  });

  it('opens for an admin, filled in with the settings now', async () => {
    const { trigger, body } = await command('UADMIN', 'admin settings');
    expect(body).toBe('');
    const view = openedFor(trigger);
    expect(view?.callback_id).toBe('admin_settings_modal');
    const element = (key: string) => view?.blocks.find((block) => block.block_id === key)?.element;
    expect(element('allowance')).toMatchObject({ type: 'number_input', initial_value: '100' });
    expect(element('cadence')).toMatchObject({
      type: 'static_select',
      initial_option: { value: 'monthly' },
    });
    expect(element('guests')).toMatchObject({ type: 'checkboxes' });
    expect(element('guests')).not.toHaveProperty('initial_options');
    expect(element('channel')).toMatchObject({ type: 'conversations_select' });
    expect(element('timezone')).toMatchObject({ type: 'plain_text_input', initial_value: 'UTC' });
  });

  it('opens nothing for a member, who gets the refusal, audited', async () => {
    const { trigger } = await command('UMEMBER', 'admin settings');
    expect(openedFor(trigger)).toBeUndefined();
    const answer = fake.calls.find((call) => call.method === `respond/${trigger}`);
    expect(answer?.body.text).toBe(
      "Only admins can see the program's settings; ask an admin if this needs doing.",
    );
    const refused = await readAudit(plaudit.db, organizationId, { outcome: 'refused' });
    expect(refused.entries[0]).toMatchObject({
      actorName: 'Max',
      via: 'slack',
      refusalCode: 'not_admin',
    });
  });

  it('changes what was changed on submission, audits it, closes and confirms', async () => {
    const view = await openModal();
    let state = withInput(submittedAsOpened(view), 'max', '50');
    state = withInput(state, 'guests', true);
    state = withInput(state, 'values', 'teamwork, ownership');
    state = withInput(state, 'channel', 'CKUDOS');
    const before = await changes();
    expect(await submit('UADMIN', view, state)).toBeUndefined();
    const settings = await readProgramSettings(plaudit.db, organizationId);
    expect(settings).toMatchObject({
      maxAmount: 50,
      guestsMayParticipate: true,
      values: ['ownership', 'teamwork'],
      announcementChannel: 'CKUDOS',
      // Untouched fields keep their values.
      allowance: { amount: 100, cadence: 'monthly' },
      minAmount: 1,
    });
    const after = await changes();
    expect(after).toHaveLength(before.length + 1);
    expect(after[0]).toMatchObject({
      actorName: 'Ada',
      via: 'slack',
      outcome: 'done',
      before: {
        maxAmount: 100,
        guestsMayParticipate: false,
        values: [],
        announcementChannel: null,
      },
      after: {
        maxAmount: 50,
        guestsMayParticipate: true,
        values: ['ownership', 'teamwork'],
        announcementChannel: 'CKUDOS',
      },
    });
    const confirmation = fake.callsTo('chat.postEphemeral').at(-1)?.body;
    expect(confirmation).toMatchObject({ channel: 'CADMIN', user: 'UADMIN' });
    expect(String(confirmation?.text)).toMatch(/^Settings changed; they hold from now on\./);
    expect(String(confirmation?.text)).toContain('Most points per kudos (max): 100 → 50');
  });

  it('shows a bad value under its field and changes nothing', async () => {
    const view = await openModal();
    const before = await readProgramSettings(plaudit.db, organizationId);
    const audited = (await changes()).length;
    const answer = await submit(
      'UADMIN',
      view,
      withInput(submittedAsOpened(view), 'pair-cap', '0'),
    );
    expect(answer).toEqual({
      response_action: 'errors',
      errors: {
        'pair-cap':
          'The daily cap per pair is a whole number of points from 1 to 1000000, or none; “0” is not. Nothing was changed.',
      },
    });
    expect(await readProgramSettings(plaudit.db, organizationId)).toEqual(before);
    expect(await changes()).toHaveLength(audited);
  });

  it('shows each of several bad values under its own field, and keeps the good ones unmade', async () => {
    const view = await openModal();
    const before = await readProgramSettings(plaudit.db, organizationId);
    let state = withInput(submittedAsOpened(view), 'allowance', '-5');
    state = withInput(state, 'timezone', 'Mars/Olympus');
    state = withInput(state, 'min-reason', '12');
    const answer = (await submit('UADMIN', view, state)) as {
      response_action: string;
      errors: Record<string, string>;
    };
    expect(answer.response_action).toBe('errors');
    expect(Object.keys(answer.errors).sort()).toEqual(['allowance', 'timezone']);
    expect(answer.errors.allowance).toContain('“-5”');
    expect(answer.errors.timezone).toContain('“Mars/Olympus” is not a time zone');
    expect(await readProgramSettings(plaudit.db, organizationId)).toEqual(before);
  });

  it('places the sentence about every bad value under its own field', async () => {
    const view = await openModal();
    const bad: Record<string, string> = {
      allowance: '-1',
      cadence: 'daily',
      'rollover-cap': '-1',
      timezone: 'Mars/Olympus',
      default: '0',
      min: '0',
      max: '0',
      'max-recipients': '0',
      'pair-cap': '0',
      values: 'two words',
      'min-reason': '-1',
      'leaver-days': '-1',
      channel: 'not-a-channel now',
      currency: 'euro',
      rate: 'lots',
      budget: 'lots',
      'hold-days': '0',
    };
    let state = submittedAsOpened(view);
    for (const [key, value] of Object.entries(bad)) state = withInput(state, key, value);
    const answer = (await submit('UADMIN', view, state)) as { errors: Record<string, string> };
    // Every field but the switches, which cannot hold a bad value.
    expect(Object.keys(answer.errors).sort()).toEqual(Object.keys(bad).sort());
    for (const [key, value] of Object.entries(bad)) {
      // Each field shows its own bad value, in one sentence of its own.
      expect(answer.errors[key], key).toContain(value.split(' ')[0]);
      expect(answer.errors[key]?.split(/[.!?] /), answer.errors[key]).toHaveLength(1);
    }
  });

  it('refuses a member who submits the modal, by message, and changes nothing', async () => {
    const view = await openModal();
    const before = await readProgramSettings(plaudit.db, organizationId);
    const answer = await submit('UMEMBER', view, withInput(submittedAsOpened(view), 'max', '5'));
    expect(answer).toBeUndefined();
    expect(await readProgramSettings(plaudit.db, organizationId)).toEqual(before);
    expect(fake.callsTo('chat.postEphemeral').at(-1)?.body).toMatchObject({
      user: 'UMEMBER',
      text: "Only admins can change the program's settings; ask an admin if this needs doing.",
    });
  });

  it('sends nothing to change when the modal is saved as it was opened', async () => {
    const view = await openModal();
    const audited = await readAudit(plaudit.db, organizationId);
    expect(await submit('UADMIN', view, submittedAsOpened(view))).toBeUndefined();
    expect(fake.callsTo('chat.postEphemeral').at(-1)?.body.text).toBe(
      'Nothing changed: the settings are as they were.',
    );
    expect((await readAudit(plaudit.db, organizationId)).entries).toEqual(audited.entries);
  });
});
