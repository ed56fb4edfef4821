import type { Attachment } from 'botbuilder';
import type { KudosGiven, Reply, ReplyBlock } from '../core/reply.ts';
import { boostsLine, type CelebrationBoosts, NO_BOOSTS } from '../recognition/boosts.ts';
import { giveFormText } from '../recognition/grammar/give-form.ts';
import type { MentionEntity } from '../recognition/grammar/give-grammar.ts';
import { listNames, points } from '../recognition/wording.ts';

/** The verb of the give-kudos card's submit action; `app.adaptiveCards.actionSubmit` routes on it. */
export const GIVE_KUDOS_VERB = 'give_kudos';

/** An element of an Adaptive Card's body or actions. */
export type CardElement = Record<string, unknown>;

/** An Adaptive Card (1.5) attachment with this body, and these actions when there are any. */
export function card(body: CardElement[], actions: CardElement[] = []): Attachment {
  return {
    contentType: 'application/vnd.microsoft.card.adaptive',
    content: {
      $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
      type: 'AdaptiveCard',
      version: '1.5',
      body,
      ...(actions.length > 0 ? { actions } : {}),
    },
  };
}

/** Adaptive Card TextBlocks read a little Markdown; people's words are shown as written. */
function plain(text: string): string {
  return text.replace(/([\\*_[\]`#>~])/g, '\\$1');
}

function textBlock(text: string, extra: CardElement = {}): CardElement {
  return { type: 'TextBlock', text: plain(text), wrap: true, ...extra };
}

function toElement(block: ReplyBlock): CardElement {
  switch (block.kind) {
    case 'heading':
      return textBlock(block.text, { size: 'Large', weight: 'Bolder' });
    case 'text':
      return textBlock(block.text);
    case 'fields':
      return {
        type: 'FactSet',
        facts: block.fields.map((field) => ({ title: field.label, value: field.value })),
      };
    case 'list':
      return {
        type: 'Container',
        items: block.items.map((item) => textBlock(`• ${item}`, { spacing: 'Small' })),
      };
    case 'context':
      return textBlock(block.text, { isSubtle: true, size: 'Small' });
    case 'actions':
      return {
        type: 'ActionSet',
        actions: block.actions.map((action) => ({
          type: 'Action.Submit',
          title: action.label,
          ...(action.style && { style: action.style === 'danger' ? 'destructive' : 'positive' }),
          data: { [COMMAND_FIELD]: action.command },
        })),
      };
  }
}

/** The field of a card submission that carries a kudos command to run. */
export const COMMAND_FIELD = 'plauditCommand';

/** A core reply as an Adaptive Card; the reply's text is the notification fallback. */
export function replyCard(reply: Reply): Attachment {
  return card(reply.blocks.map(toElement));
}

/** The verb of a celebration's Boost submit action; `app.adaptiveCards.actionSubmit` routes on it. */
export const BOOST_VERB = 'boost_kudos';

/** The input of the Boost action's card that holds the points to add. */
export const BOOST_AMOUNT_FIELD = 'boostAmount';

/**
 * The celebration of a kudos, posted where it was given: the boosts it has had and, while
 * boosts are on, a Boost action that unfolds the amount in the card itself (filled in
 * with the kudos' own), so a click alone never spends points.
 */
export function celebrationCard(
  event: KudosGiven,
  boosts: CelebrationBoosts = NO_BOOSTS,
): Attachment {
  const names = listNames(event.recipients.map((recipient) => recipient.name));
  const boosted = boostsLine(boosts.boosts);
  const each = event.recipients.length > 1 ? ' each' : '';
  return card(
    [
      textBlock('🎉 Kudos!', { size: 'Large', weight: 'Bolder' }),
      textBlock(`${event.giver.name} gave ${names} ${points(event.amountEach)}`, {
        weight: 'Bolder',
      }),
      ...(event.message ? [textBlock(event.message, { spacing: 'Small' })] : []),
      ...(boosted ? [textBlock(`🚀 ${boosted}`, { isSubtle: true, size: 'Small' })] : []),
    ],
    boosts.boostable
      ? [
          {
            type: 'Action.ShowCard',
            title: '🚀 Boost',
            card: {
              type: 'AdaptiveCard',
              body: [
                {
                  type: 'Input.Number',
                  id: BOOST_AMOUNT_FIELD,
                  label: `Points of your own to add${each}`,
                  min: 1,
                  value: event.amountEach,
                },
              ],
              actions: [
                {
                  type: 'Action.Submit',
                  title: 'Boost',
                  data: { verb: BOOST_VERB, recognitionId: event.recognitionId },
                },
              ],
            },
          },
        ]
      : [],
  );
}

/** What a give-kudos card opens with, besides the organization's defaults. */
export interface GiveKudosPrefill {
  /** People already picked (Azure AD object ids), with the names to show for them. */
  readonly recipients?: ReadonlyArray<{ readonly id: string; readonly name: string }>;
  readonly amount?: string;
  readonly value?: string;
  readonly reason?: string;
  /** Said above the form: why the last submission was refused. */
  readonly problem?: string;
}

/** The give-kudos form: a people picker, the amount, a company value and the reason. */
export function giveKudosCard(options: {
  readonly values: readonly string[];
  readonly defaultAmount: number;
  /** The organization's longest reason: Teams stops typing there. */
  readonly maxReasonLength: number;
  readonly prefill?: GiveKudosPrefill;
  /** More data for the submission to carry back (a message extension's card id). */
  readonly data?: Record<string, string>;
}): Attachment {
  const prefill = options.prefill ?? {};
  const picked = prefill.recipients ?? [];
  return card(
    [
      textBlock('Give kudos', { size: 'Large', weight: 'Bolder' }),
      ...(prefill.problem ? [textBlock(prefill.problem, { color: 'Attention' })] : []),
      {
        type: 'Input.ChoiceSet',
        id: 'recipients',
        label: 'Who is it for?',
        isMultiSelect: true,
        isRequired: true,
        errorMessage: 'Pick at least one person.',
        // A person picked beforehand is a choice of their own, which Teams shows by name.
        choices: picked.map((person) => ({ title: person.name, value: person.id })),
        'choices.data': { type: 'Data.Query', dataset: 'graph.microsoft.com/users' },
        ...(picked.length > 0 ? { value: picked.map((person) => person.id).join(',') } : {}),
      },
      {
        type: 'Input.Number',
        id: 'amount',
        label: 'Points each',
        min: 1,
        value: /^\d+$/.test(prefill.amount ?? '') ? Number(prefill.amount) : options.defaultAmount,
      },
      ...(options.values.length > 0
        ? [
            {
              type: 'Input.ChoiceSet',
              id: 'value',
              label: 'Company value',
              style: 'compact',
              choices: options.values.map((value) => ({ title: `#${value}`, value })),
              ...(prefill.value ? { value: prefill.value } : {}),
            },
          ]
        : []),
      {
        type: 'Input.Text',
        id: 'reason',
        label: 'What for?',
        isMultiline: true,
        maxLength: options.maxReasonLength,
        ...(prefill.reason ? { value: prefill.reason } : {}),
      },
    ],
    [
      {
        type: 'Action.Submit',
        title: 'Give kudos',
        data: { ...options.data, verb: GIVE_KUDOS_VERB },
      },
    ],
  );
}

/** What the give-kudos card sends back. */
export interface GiveKudosSubmission {
  readonly recipients?: unknown;
  readonly amount?: unknown;
  readonly value?: unknown;
  readonly reason?: unknown;
}

/**
 * A card submission as the text and mentions of a give command, so that it goes through
 * the same router, grammar and refusals as a typed one. People-picker values are Azure
 * AD object ids, comma-separated.
 */
export function submissionAsCommand(data: GiveKudosSubmission): {
  text: string;
  mentions: MentionEntity[];
} {
  const ids = String(data.recipients ?? '')
    .split(',')
    .map((id) => id.trim())
    .filter((id) => id.length > 0);
  const mentions = ids.map((id) => ({ text: `<at>${id}</at>`, userId: id, name: '' }));
  const text = giveFormText({
    recipients: mentions.map((mention) => mention.text),
    amount: String(data.amount ?? ''),
    value: String(data.value ?? ''),
    reason: String(data.reason ?? ''),
  });
  return { text, mentions };
}
