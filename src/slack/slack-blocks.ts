import type { types } from '@slack/bolt';
import type { KudosGiven, Reply } from '../core/reply.ts';
import { boostsLine, type CelebrationBoosts, NO_BOOSTS } from '../recognition/boosts.ts';
import { listNames, points } from '../recognition/wording.ts';

type KnownBlock = types.KnownBlock;

/**
 * Text as mrkdwn that shows it as written: `&`, `<` and `>` escaped, so nothing in it is
 * Slack markup. Whatever a reply or a reason holds is text (people typed it, or it names
 * people by name); the only mentions Plaudit posts are those it builds from member ids
 * (see `announcementBlocks`), so no typed `<!channel>`, `<!subteam^…>` or `<@U…>` pings.
 */
export function escapeSlackText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * A mrkdwn text object whose plain words Slack leaves alone (`verbatim`): an `@channel` or
 * `#general` written as words is not turned into a mention or a link. The manual markup
 * Plaudit writes itself (`<@U…>` for a recipient) still works.
 */
export function mrkdwn(text: string) {
  return { type: 'mrkdwn' as const, text, verbatim: true };
}

/**
 * What every message Plaudit posts asks of Slack: no parsing of names or links in the
 * plain text (`parse: 'none'`, `link_names: false`); only markup Plaudit wrote is markup.
 */
export const AS_WRITTEN = { parse: 'none', link_names: false } as const;

/** The most characters Slack takes in a section's text or a context element's. */
const SECTION_MOST = 3000;

/**
 * Mrkdwn cut to what a section takes, with an ellipsis: Slack refuses the whole message
 * otherwise, and escaping can make a reason of 2,000 characters (the longest an
 * organization may allow) 10,000 (`&` is `&amp;`). Never cut inside an entity, a mention
 * or a surrogate pair.
 */
export function withinSection(text: string): string {
  if (text.length <= SECTION_MOST) return text;
  let cut = SECTION_MOST - 1;
  const head = text.slice(0, cut);
  const opened = Math.max(head.lastIndexOf('&'), head.lastIndexOf('<'));
  if (opened >= 0 && !/[;>]/.test(head.slice(opened))) cut = opened;
  if (/[\uD800-\uDBFF]/.test(text.charAt(cut - 1))) cut -= 1;
  return `${text.slice(0, cut)}…`;
}

/** Slack sends the command text HTML-escaped; the core works with the plain text. */
export function unescapeSlackText(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** A core reply as Block Kit; the plain text stays as the notification fallback. */
export function replyBlocks(reply: Reply): KnownBlock[] {
  return reply.blocks.map(toBlockKit);
}

function toBlockKit(block: Reply['blocks'][number]): KnownBlock {
  switch (block.kind) {
    case 'heading':
      return { type: 'header', text: { type: 'plain_text', text: block.text.slice(0, 150) } };
    case 'text':
      return {
        type: 'section',
        text: mrkdwn(withinSection(escapeSlackText(block.text))),
      };
    case 'fields':
      return {
        type: 'section',
        fields: block.fields.slice(0, 10).map((field) => ({
          ...mrkdwn(`*${escapeSlackText(field.label)}*\n${escapeSlackText(field.value)}`),
        })),
      };
    case 'list':
      return {
        type: 'section',
        text: mrkdwn(
          withinSection(block.items.map((item) => `• ${escapeSlackText(item)}`).join('\n')),
        ),
      };
    case 'context':
      return {
        type: 'context',
        elements: [mrkdwn(withinSection(escapeSlackText(block.text)))],
      };
    case 'actions':
      // Slack allows 25 elements per actions block; each runs its command when clicked.
      return {
        type: 'actions',
        elements: block.actions.slice(0, 25).map((action, index) => ({
          type: 'button' as const,
          action_id: `${COMMAND_ACTION}:${index}`,
          text: { type: 'plain_text' as const, text: action.label.slice(0, 75) },
          value: action.command.slice(0, 2000),
          ...(action.style && { style: action.style }),
        })),
      };
  }
}

/** The action id (before `:{index}`) of a button that runs a kudos command. */
export const COMMAND_ACTION = 'plaudit_command';

/** The action id of a celebration's Boost button, whose value is the recognition's id. */
export const BOOST_ACTION = 'plaudit_boost';

/**
 * The channel celebration of a kudos: who gave whom how much, and why, the boosts it has
 * had and a Boost button. Recipients are mentioned by their Slack ids where they have
 * one, so Slack notifies them.
 */
export function announcementBlocks(
  event: KudosGiven,
  slackIds: ReadonlyMap<number, string>,
  boosts: CelebrationBoosts = NO_BOOSTS,
): KnownBlock[] {
  const name = (member: { memberId: number; name: string }) => {
    const id = slackIds.get(member.memberId);
    return id ? `<@${id}>` : `*${escapeSlackText(member.name)}*`;
  };
  const headline = `🎉 ${name(event.giver)} gave ${listNames(event.recipients.map(name))} *${points(event.amountEach)}*`;
  const blocks: KnownBlock[] = [{ type: 'section', text: mrkdwn(withinSection(headline)) }];
  if (event.message) {
    blocks.push({
      type: 'section',
      text: mrkdwn(withinSection(`> ${escapeSlackText(event.message)}`)),
    });
  }
  if (event.values.length > 0) {
    blocks.push({
      type: 'context',
      elements: [mrkdwn(event.values.map((value) => `#${escapeSlackText(value)}`).join('  '))],
    });
  }
  const boosted = boostsLine(boosts.boosts);
  if (boosted) {
    blocks.push({
      type: 'context',
      elements: [mrkdwn(withinSection(`🚀 ${escapeSlackText(boosted)}`))],
    });
  }
  if (boosts.boostable) {
    blocks.push({
      type: 'actions',
      block_id: 'boost',
      elements: [
        {
          type: 'button',
          action_id: BOOST_ACTION,
          text: { type: 'plain_text', text: '🚀 Boost' },
          value: String(event.recognitionId),
        },
      ],
    });
  }
  return blocks;
}
