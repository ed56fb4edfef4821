import { describe, expect, it } from 'vitest';
import type { ProgramSettings } from '../../src/admin/program-settings.ts';
import {
  opensSettingsForm,
  SETTING_FIELDS,
  settingArgument,
  settingsFormChange,
  settingsFormValues,
  settingsRefusalByField,
} from '../../src/admin/settings-form.ts';
import {
  settingsModal,
  settingsModalContext,
  settingsModalValues,
} from '../../src/slack/settings-modal.ts';
import { settingsCard, settingsCardSubmission } from '../../src/teams/settings-card.ts';
import { submittedAsOpened, withInput } from '../support/slack-views.ts';

const settings: ProgramSettings = {
  timezone: 'Europe/Lisbon',
  currency: 'EUR',
  allowance: { amount: 100, cadence: 'monthly', rolloverCap: 0, prorateNewMembers: true },
  roleAllowances: {},
  memberAllowances: [],
  defaultAmount: 10,
  minAmount: 1,
  maxAmount: 100,
  maxRecipients: 10,
  dailyPairCap: null,
  values: ['ownership', 'teamwork'],
  valueRequired: false,
  minReasonLength: 0,
  maxReasonLength: 1000,
  announcementChannel: 'C0ANNOUNCE',
  guestsMayParticipate: false,
  leaverRedeemDays: 30,
  reactionPoints: { star: 5, taco: 1 },
  reactionGraceMinutes: 10,
  boostsAllowed: true,
  pointValueMilli: 500,
  monthlyBudgetMinor: 50_000,
  holdHours: 336,
};

describe('settingsFormValues', () => {
  it('shows every setting as the text its key takes in `admin settings`', () => {
    expect(settingsFormValues(settings)).toEqual({
      allowance: '100',
      cadence: 'monthly',
      'rollover-cap': '0',
      prorate: 'yes',
      timezone: 'Europe/Lisbon',
      default: '10',
      min: '1',
      max: '100',
      'max-recipients': '10',
      'pair-cap': '',
      values: 'ownership, teamwork',
      'value-required': 'no',
      'min-reason': '0',
      'max-reason': '1000',
      guests: 'no',
      'leaver-days': '30',
      reactions: 'star:5, taco:1',
      'reaction-grace': '10',
      boosts: 'yes',
      channel: 'C0ANNOUNCE',
      currency: 'EUR',
      rate: '0.005',
      budget: '500.00',
      'hold-days': '14',
    });
  });

  it('shows a missing cap, budget and channel as empty, and hours as a fraction of days', () => {
    const values = settingsFormValues({
      ...settings,
      dailyPairCap: 20,
      monthlyBudgetMinor: null,
      announcementChannel: null,
      holdHours: 30,
      currency: 'JPY',
      pointValueMilli: 1000,
    });
    expect(values).toMatchObject({
      'pair-cap': '20',
      budget: '',
      channel: '',
      'hold-days': '1.25',
      rate: '1',
    });
  });
});

describe('settingsFormChange', () => {
  const shown = settingsFormValues(settings);

  it('sends nothing when nothing changed, however the form spells the same values', () => {
    const change = settingsFormChange(shown, {
      ...shown,
      allowance: ' 100 ',
      budget: '500',
      values: 'Ownership,teamwork',
      prorate: 'true',
      guests: 'false',
      'pair-cap': 'none',
    });
    expect(change).toEqual({ keys: [], command: '' });
  });

  it('sends only the changed keys, in the form order, as `admin settings key=value`', () => {
    const change = settingsFormChange(shown, {
      ...shown,
      guests: 'yes',
      max: '50',
      'pair-cap': '20',
      budget: '',
      channel: '',
      values: ' teamwork, ownership , customer focus,',
      timezone: 'America/New_York',
    });
    expect(change.keys).toEqual([
      'timezone',
      'max',
      'pair-cap',
      'values',
      'guests',
      'channel',
      'budget',
    ]);
    expect(change.command).toBe(
      'admin settings timezone=America/New_York max=50 pair-cap=20 values="teamwork,ownership,customer focus" guests=yes channel=none budget=none',
    );
  });

  it('leaves out the fields the form did not send', () => {
    expect(settingsFormChange(shown, { min: '2' })).toEqual({
      keys: ['min'],
      command: 'admin settings min=2',
    });
  });

  it('compares with what the form showed, not with the settings now', () => {
    // Someone else raised the allowance since this form was opened: sending the form
    // without touching the allowance does not put the old one back.
    const opened = settingsFormValues(settings);
    expect(settingsFormChange(opened, { ...opened, max: '60' }).keys).toEqual(['max']);
  });

  it('sends a value the service will refuse as written, for the service to refuse', () => {
    expect(settingsFormChange(shown, { allowance: '', max: '-5' }).command).toBe(
      'admin settings allowance="" max=-5',
    );
  });
});

describe('settingArgument', () => {
  it('quotes values with spaces or quotes, and nothing else', () => {
    expect(settingArgument('timezone', 'Europe/Lisbon')).toBe('timezone=Europe/Lisbon');
    expect(settingArgument('values', 'a b,c')).toBe('values="a b,c"');
    expect(settingArgument('values', 'say "hi"')).toBe('values="say \\"hi\\""');
    expect(settingArgument('channel', '')).toBe('channel=""');
  });
});

describe('opensSettingsForm', () => {
  it('is `admin settings` alone', () => {
    expect(opensSettingsForm('admin settings')).toBe(true);
    expect(opensSettingsForm('  Admin   SETTINGS ')).toBe(true);
    expect(opensSettingsForm('admin settings max=5')).toBe(false);
    expect(opensSettingsForm('admin')).toBe(false);
    expect(opensSettingsForm('settings')).toBe(false);
  });
});

describe('settingsRefusalByField', () => {
  const refused = (text: string, code = 'invalid_setting') => ({
    outcome: 'refused' as const,
    code,
    text,
  });

  it('puts the refusal of a single changed field under it', () => {
    expect(settingsRefusalByField(refused('Anything at all.'), ['pair-cap'])).toEqual({
      'pair-cap': 'Anything at all.',
    });
  });

  it('puts each sentence under the changed field it names', () => {
    const text =
      'The allowance is a whole number of points from 0 to 1000000; “-1” is not. The daily cap per pair is a whole number of points from 1 to 1000000, or none; “0” is not.';
    expect(settingsRefusalByField(refused(text), ['allowance', 'pair-cap', 'guests'])).toEqual({
      allowance: 'The allowance is a whole number of points from 0 to 1000000; “-1” is not.',
      'pair-cap':
        'The daily cap per pair is a whole number of points from 1 to 1000000, or none; “0” is not.',
    });
  });

  it('puts a sentence about two changed fields under both', () => {
    const text = 'The minimum per kudos (60) is more than the maximum (50).';
    expect(settingsRefusalByField(refused(text), ['min', 'max'])).toEqual({ min: text, max: text });
  });

  it('places nothing when a sentence names no changed field, or the refusal is about who may', () => {
    expect(
      settingsRefusalByField(refused('Something the form cannot place.'), ['min', 'max']),
    ).toBeUndefined();
    expect(
      settingsRefusalByField(refused('Only admins can change settings.', 'not_admin'), ['min']),
    ).toBeUndefined();
    expect(settingsRefusalByField({ outcome: 'ok', text: 'Changed.' }, ['min'])).toBeUndefined();
  });
});

describe('the Slack settings modal', () => {
  const view = settingsModal({ values: settingsFormValues(settings), channel: 'C1' });

  it('has one input per field, keyed by the setting, filled in with the settings', () => {
    expect(view.callback_id).toBe('admin_settings_modal');
    expect(view.blocks.map((block) => block.block_id)).toEqual(SETTING_FIELDS.map((f) => f.key));
    const json = JSON.stringify(view.blocks);
    expect(json).toContain('"initial_conversation":"C0ANNOUNCE"');
    expect(json).toContain('"initial_value":"Europe/Lisbon"');
    expect(json).toContain(
      '"initial_option":{"text":{"type":"plain_text","text":"monthly"},"value":"monthly"}',
    );
  });

  it('changes nothing when submitted as opened, and sends what was changed', () => {
    const context = settingsModalContext(view.private_metadata ?? '');
    expect(context.channel).toBe('C1');
    const state = submittedAsOpened(view);
    expect(settingsFormChange(context.shown ?? {}, settingsModalValues(state)).keys).toEqual([]);
    let changed = withInput(state, 'guests', true);
    changed = withInput(changed, 'pair-cap', '25');
    changed = withInput(changed, 'cadence', 'weekly');
    expect(settingsFormChange(context.shown ?? {}, settingsModalValues(changed)).command).toBe(
      'admin settings cadence=weekly pair-cap=25 guests=yes',
    );
  });

  it('gives Slack only whole numbers to show in whole-number inputs', () => {
    const odd = settingsModal({
      values: settingsFormValues({ ...settings, holdHours: 30 }),
      channel: null,
    });
    let checked = 0;
    for (const block of odd.blocks) {
      if (!('element' in block) || block.element.type !== 'number_input') continue;
      const { is_decimal_allowed: decimals, initial_value: initial } = block.element;
      if (block.block_id === 'hold-days') expect(initial).toBe('1.25');
      if (decimals || initial === undefined) continue;
      expect(initial, block.block_id).toMatch(/^\d+$/);
      checked += 1;
    }
    expect(checked).toBeGreaterThan(5);
  });

  it('does not pre-select a channel that is no Slack channel, nor clear it when left alone', () => {
    const teamsChannel = settingsModal({
      values: settingsFormValues({ ...settings, announcementChannel: '19:abc@thread.tacv2' }),
      channel: null,
    });
    expect(JSON.stringify(teamsChannel.blocks)).not.toContain('initial_conversation');
    const context = settingsModalContext(teamsChannel.private_metadata ?? '');
    expect(
      settingsFormChange(context.shown ?? {}, settingsModalValues(submittedAsOpened(teamsChannel)))
        .keys,
    ).toEqual([]);
  });
});

describe('the Teams settings card', () => {
  const card = settingsCard({ values: settingsFormValues(settings) });
  const content = card.content as {
    version: string;
    body: Array<Record<string, unknown>>;
    actions: Array<{ type: string; data: Record<string, unknown> }>;
  };

  /** What Teams sends for the card submitted as it was shown: each input's value as text. */
  function submittedAsShown(): Record<string, unknown> {
    const data: Record<string, unknown> = { ...content.actions[0]?.data };
    for (const element of content.body) {
      if (typeof element.id === 'string' && element.value !== undefined) {
        data[element.id] = String(element.value);
      }
    }
    return data;
  }

  it('is an Adaptive Card 1.5 of inputs filled in with the settings, and a Save action', () => {
    expect(content.version).toBe('1.5');
    const inputs = content.body.filter((element) => typeof element.id === 'string');
    expect(inputs.map((input) => input.id)).toEqual(SETTING_FIELDS.map((f) => f.key));
    expect(inputs.find((input) => input.id === 'allowance')).toMatchObject({
      type: 'Input.Number',
      value: 100,
      isRequired: true,
    });
    expect(inputs.find((input) => input.id === 'cadence')).toMatchObject({
      type: 'Input.ChoiceSet',
      value: 'monthly',
    });
    expect(inputs.find((input) => input.id === 'prorate')).toMatchObject({
      type: 'Input.Toggle',
      value: 'true',
    });
    expect(inputs.find((input) => input.id === 'pair-cap')).not.toHaveProperty('value');
    expect(content.actions).toEqual([
      expect.objectContaining({
        type: 'Action.Submit',
        title: 'Save',
        data: expect.objectContaining({ verb: 'admin_settings' }),
      }),
    ]);
  });

  it('changes nothing when submitted as shown, and sends what was changed', () => {
    const data = submittedAsShown();
    const same = settingsCardSubmission(data);
    expect(settingsFormChange(same.shown ?? {}, same.submitted).keys).toEqual([]);
    // Teams leaves out an input that was emptied: the budget is cleared.
    delete data.budget;
    const changed = settingsCardSubmission({ ...data, guests: 'true', max: '40' });
    expect(settingsFormChange(changed.shown ?? {}, changed.submitted).command).toBe(
      'admin settings max=40 guests=yes budget=none',
    );
  });
});
