import type { types } from '@slack/bolt';
import { z } from 'zod/v4';
import { listNames, points } from '../recognition/wording.ts';

export const BOOST_MODAL = 'boost_kudos_modal';

/** What the boost modal carries between opening and submission: the kudos and its post. */
const boostContext = z.object({
  recognitionId: z.int().positive(),
  /** The celebration clicked: where the answer goes, and the message redrawn with the boost. */
  channel: z.string().min(1),
  ts: z.string().min(1),
});

export type BoostContext = z.infer<typeof boostContext>;

/** The modal's context, or undefined when its metadata is not one Plaudit wrote. */
export function boostContextOf(metadata: string): BoostContext | undefined {
  try {
    const parsed = boostContext.safeParse(JSON.parse(metadata));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The boost modal: how many points to add to each recipient of a colleague's kudos,
 * filled in with the kudos' own amount (within the organization's limits), and what the
 * booster has left to give. A click only opens it: points move when it is submitted.
 */
export function boostModal(options: {
  readonly giverName: string;
  readonly recipientNames: readonly string[];
  readonly message: string;
  readonly amount: number;
  readonly left: number;
  readonly context: BoostContext;
}): types.ModalView {
  const each = options.recipientNames.length > 1 ? ' each' : '';
  const reason = options.message ? ` for “${options.message}”` : '';
  return {
    type: 'modal',
    callback_id: BOOST_MODAL,
    private_metadata: JSON.stringify(options.context),
    title: { type: 'plain_text', text: 'Boost kudos' },
    submit: { type: 'plain_text', text: 'Boost' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'section',
        text: {
          type: 'plain_text',
          text: `Add points of your own to ${options.giverName}’s kudos to ${listNames(options.recipientNames)}${reason}.`.slice(
            0,
            3000,
          ),
        },
      },
      {
        type: 'input',
        block_id: 'amount',
        label: { type: 'plain_text', text: `Points${each}` },
        hint: {
          type: 'plain_text',
          text: `You have ${points(options.left)} left to give.`,
        },
        element: {
          type: 'number_input',
          action_id: 'points',
          is_decimal_allowed: false,
          min_value: '1',
          initial_value: String(options.amount),
        },
      },
    ],
  };
}

/** The points the modal was submitted with, as typed (checked by the boost). */
export function submittedBoostAmount(state: {
  values: Record<string, Record<string, { value?: string | null }>>;
}): string | null {
  return state.values.amount?.points?.value ?? null;
}
