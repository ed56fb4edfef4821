import type { types } from '@slack/bolt';
import { giveFormText } from '../recognition/grammar/give-form.ts';

export const GIVE_KUDOS_MODAL = 'give_kudos_modal';

/** What the modal carries between opening and submission. */
export interface ModalContext {
  /** Where to celebrate; null for a global shortcut (recipients still get their DMs). */
  readonly channel: string | null;
}

/** The give-kudos modal's "private" box, shown where admins allow private kudos. */
const PRIVATE_BOX: types.KnownBlock = {
  type: 'input',
  block_id: 'private',
  optional: true,
  label: { type: 'plain_text', text: 'Private' },
  element: {
    type: 'checkboxes',
    action_id: 'private',
    options: [
      {
        text: { type: 'plain_text', text: 'Private kudos' },
        description: {
          type: 'plain_text',
          text: 'Only they are told, in a direct message; no celebration, not on the leaderboard.',
        },
        value: 'private',
      },
    ],
  },
};

/** The give-kudos modal: recipients, amount, company value, reason, and whether private. */
export function giveKudosModal(options: {
  values: readonly string[];
  defaultAmount: number;
  /** The organization's longest reason: Slack stops typing there. */
  maxReasonLength: number;
  /** Whether the organization allows private kudos: the modal then offers the box. */
  privateKudosAllowed?: boolean;
  reason?: string;
  context: ModalContext;
}): types.ModalView {
  const blocks: types.KnownBlock[] = [
    {
      type: 'input',
      block_id: 'recipients',
      label: { type: 'plain_text', text: 'Who is it for?' },
      element: {
        type: 'multi_users_select',
        action_id: 'users',
        placeholder: { type: 'plain_text', text: 'Pick people' },
      },
    },
    {
      type: 'input',
      block_id: 'amount',
      optional: true,
      label: { type: 'plain_text', text: 'Points each' },
      hint: { type: 'plain_text', text: `Leave empty for ${options.defaultAmount}.` },
      element: {
        type: 'number_input',
        action_id: 'points',
        is_decimal_allowed: false,
        min_value: '1',
      },
    },
  ];
  if (options.values.length > 0) {
    blocks.push({
      type: 'input',
      block_id: 'value',
      optional: true,
      label: { type: 'plain_text', text: 'Company value' },
      element: {
        type: 'static_select',
        action_id: 'value',
        options: options.values.slice(0, 100).map((value) => ({
          text: { type: 'plain_text', text: `#${value}` },
          value,
        })),
      },
    });
  }
  blocks.push({
    type: 'input',
    block_id: 'reason',
    label: { type: 'plain_text', text: 'What for?' },
    element: {
      type: 'plain_text_input',
      action_id: 'text',
      multiline: true,
      max_length: options.maxReasonLength,
      ...(options.reason ? { initial_value: options.reason } : {}),
    },
  });
  if (options.privateKudosAllowed) blocks.push(PRIVATE_BOX);
  return {
    type: 'modal',
    callback_id: GIVE_KUDOS_MODAL,
    private_metadata: JSON.stringify(options.context),
    title: { type: 'plain_text', text: 'Give kudos' },
    submit: { type: 'plain_text', text: 'Give' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks,
  };
}

interface SubmittedState {
  values: Record<
    string,
    Record<
      string,
      {
        selected_users?: string[];
        value?: string | null;
        selected_option?: { value: string } | null;
        selected_options?: Array<{ value: string }> | null;
      }
    >
  >;
}

/** The modal's fields as the command text the router understands. */
export function submissionAsCommand(state: SubmittedState): string {
  return giveFormText({
    recipients: (state.values.recipients?.users?.selected_users ?? []).map((user) => `<@${user}>`),
    amount: state.values.amount?.points?.value ?? '',
    value: state.values.value?.value?.selected_option?.value ?? '',
    reason: state.values.reason?.text?.value ?? '',
    private: (state.values.private?.private?.selected_options ?? []).some(
      (option) => option.value === 'private',
    ),
  });
}

/** The field a refusal is about, so Slack shows it under that field. */
export function fieldOf(code: string | undefined, hasValueField: boolean): string {
  switch (code) {
    case 'amount_too_small':
    case 'amount_too_large':
    case 'insufficient_allowance':
    case 'daily_pair_cap':
      return 'amount';
    case 'value_required':
      return hasValueField ? 'value' : 'reason';
    case 'reason_too_short':
    case 'reason_too_long':
    case 'nul_character':
    case 'usage':
      return 'reason';
    case 'private_kudos_off':
      return 'private';
    default:
      return 'recipients';
  }
}

/** A link to a Slack message, for the message shortcut's reason. */
export function messageLink(domain: string | undefined, channel: string, ts: string): string {
  return `https://${domain ?? 'app'}.slack.com/archives/${channel}/p${ts.replace('.', '')}`;
}
