import type { types } from '@slack/bolt';
import {
  SETTING_FIELDS,
  type SettingField,
  type SettingsFormKey,
  type SettingsFormValues,
} from '../admin/settings-form.ts';

export const SETTINGS_MODAL = 'admin_settings_modal';

/** Every input's action id; each field's block id is its setting key. */
const INPUT = 'value';

/** Slack keeps at most this much private metadata with a view. */
const METADATA_LIMIT = 3000;

/** What the modal carries between opening and submission. */
export interface SettingsModalContext {
  /** Where `/kudos admin settings` was typed: the confirmation goes there. */
  readonly channel: string | null;
  /**
   * The values the modal showed, so a submission sends only what the admin changed.
   * Absent when they did not fit in the metadata: the settings at submission stand in.
   */
  readonly shown?: SettingsFormValues;
}

const plain = (text: string) => ({ type: 'plain_text' as const, text });

/** A Slack channel id; another platform's channel cannot be pre-selected in a Slack menu. */
const isSlackChannel = (id: string) => /^[CG][A-Z0-9]+$/.test(id);

function element(field: SettingField, value: string): types.InputBlockElement {
  switch (field.kind) {
    case 'integer':
    case 'decimal':
      return {
        type: 'number_input',
        action_id: INPUT,
        is_decimal_allowed: field.kind === 'decimal',
        ...(value !== '' && { initial_value: value }),
      };
    case 'choice': {
      const options = (field.choices ?? []).map((choice) => ({
        text: plain(choice),
        value: choice,
      }));
      const initial = options.find((option) => option.value === value);
      return {
        type: 'static_select',
        action_id: INPUT,
        options,
        ...(initial && { initial_option: initial }),
      };
    }
    case 'toggle': {
      const option = { text: plain(field.label), value: 'yes' };
      return {
        type: 'checkboxes',
        action_id: INPUT,
        options: [option],
        ...(value === 'yes' && { initial_options: [option] }),
      };
    }
    case 'channel':
      return {
        type: 'conversations_select',
        action_id: INPUT,
        filter: { include: ['public', 'private'], exclude_bot_users: true },
        ...(value !== '' && { initial_conversation: value }),
      };
    default:
      return {
        type: 'plain_text_input',
        action_id: INPUT,
        ...(value !== '' && { initial_value: value }),
      };
  }
}

/** What the modal shows of a value: a channel of another platform cannot be shown. */
function shownValue(field: SettingField, value: string): string {
  return field.kind === 'channel' && !isSlackChannel(value) ? '' : value;
}

/**
 * The settings modal, filled in with the current settings. Fields that may be left empty
 * (a cap, a budget, a channel, a switch) are optional; the others Slack requires.
 */
export function settingsModal(options: {
  readonly values: Record<SettingsFormKey, string>;
  /** The fields this admin may change. @defaultValue every field */
  readonly fields?: readonly SettingField[];
  readonly channel: string | null;
}): types.ModalView {
  const fields = options.fields ?? SETTING_FIELDS;
  const shown: SettingsFormValues = {};
  const blocks: types.KnownBlock[] = fields.map((field) => {
    const value = shownValue(field, options.values[field.key]);
    shown[field.key] = value;
    return {
      type: 'input',
      block_id: field.key,
      optional: field.kind === 'toggle' || field.kind === 'list' || field.emptyMeansNone === true,
      label: plain(field.kind === 'toggle' ? (field.title ?? field.label) : field.label),
      ...(field.hint && { hint: plain(field.hint) }),
      element: element(field, value),
    };
  });
  const withShown = JSON.stringify({ channel: options.channel, shown });
  return {
    type: 'modal',
    callback_id: SETTINGS_MODAL,
    private_metadata:
      withShown.length <= METADATA_LIMIT ? withShown : JSON.stringify({ channel: options.channel }),
    title: plain('Program settings'),
    submit: plain('Save'),
    close: plain('Cancel'),
    blocks,
  };
}

/** A submitted input's state, as Slack sends it for the elements this modal uses. */
interface InputState {
  readonly value?: string | null;
  readonly selected_option?: { readonly value: string } | null;
  readonly selected_options?: ReadonlyArray<{ readonly value: string }>;
  readonly selected_conversation?: string | null;
}

export interface SettingsModalState {
  readonly values: Record<string, Record<string, InputState>>;
}

/** The submitted fields as text, by key; a field the modal did not show is left out. */
export function settingsModalValues(state: SettingsModalState): SettingsFormValues {
  const submitted: SettingsFormValues = {};
  for (const field of SETTING_FIELDS) {
    const input = state.values[field.key]?.[INPUT];
    if (!input) continue;
    switch (field.kind) {
      case 'toggle':
        submitted[field.key] = (input.selected_options ?? []).length > 0 ? 'yes' : 'no';
        break;
      case 'choice':
        submitted[field.key] = input.selected_option?.value ?? '';
        break;
      case 'channel':
        submitted[field.key] = input.selected_conversation ?? '';
        break;
      default:
        submitted[field.key] = input.value ?? '';
    }
  }
  return submitted;
}

export function settingsModalContext(metadata: string): SettingsModalContext {
  const parsed = JSON.parse(metadata || '{}') as Partial<SettingsModalContext>;
  return { channel: parsed.channel ?? null, shown: parsed.shown };
}
