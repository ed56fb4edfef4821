import type { Activity, ActivityTypes } from 'botbuilder';
import type { MentionEntity } from '../recognition/grammar/give-grammar.ts';

/**
 * Activity types as botbuilder's `ActivityTypes` names them, checked against it (a type
 * only): a process that only sends (a worker) leaves botbuilder unloaded until its first
 * send, and these modules are part of its start.
 */
export const MESSAGE: `${ActivityTypes.Message}` = 'message';
export const CONVERSATION_UPDATE: `${ActivityTypes.ConversationUpdate}` = 'conversationUpdate';
export const INSTALLATION_UPDATE: `${ActivityTypes.InstallationUpdate}` = 'installationUpdate';

/** A mention entity as the Bot Framework sends it. */
interface MentionEntityJson {
  type?: string;
  text?: string;
  mentioned?: { id?: string; name?: string };
}

const ENTITIES: Record<string, string> = {
  '&nbsp;': ' ',
  '&amp;': '&',
  '&quot;': '"',
  '&#39;': "'",
  '&apos;': "'",
  '&lt;': '<',
  '&gt;': '>',
};

/**
 * The command in a message, as the core reads it: the bot's own mention is gone (teams-ai
 * strips it), and the rest is plain text with its `<at>` tags, which are the mentions.
 */
export function commandText(activity: Partial<Activity>): string {
  let text = activity.text ?? '';
  // teams-ai strips the bot's first mention; a second one ("@Plaudit … @Plaudit") goes too.
  for (const entity of (activity.entities ?? []) as MentionEntityJson[]) {
    if (
      entity.type === 'mention' &&
      entity.text &&
      entity.mentioned?.id === activity.recipient?.id
    ) {
      text = text.split(entity.text).join(' ');
    }
  }
  return teamsPlainText(text);
}

/**
 * Teams text as plain text: tags other than `<at>` (paragraphs, line breaks, bold) become
 * spaces and HTML entities become characters. A typed `&lt;at&gt;` becomes an `<at>` tag
 * too, but a tag only names someone when Teams sent a mention entity with it.
 */
export function teamsPlainText(text: string): string {
  return text
    .replace(/<(?!\/?at>)[^<>]*>/gi, ' ')
    .replace(/&(?:nbsp|amp|quot|#39|apos|lt|gt);/g, (entity) => ENTITIES[entity] ?? entity)
    .replace(/\s+/g, ' ')
    .trim();
}

/** The people a message mentions, in the order they appear; the bot itself is left out. */
export function mentionedPeople(activity: Partial<Activity>): MentionEntity[] {
  const botId = activity.recipient?.id;
  const mentions: MentionEntity[] = [];
  for (const entity of (activity.entities ?? []) as MentionEntityJson[]) {
    if (entity.type !== 'mention' || !entity.mentioned?.id || !entity.text) continue;
    if (entity.mentioned.id === botId) continue;
    mentions.push({
      // Entities are escaped as the text is; they must read the same to match.
      text: teamsPlainText(entity.text),
      userId: entity.mentioned.id,
      name: entity.mentioned.name ?? entity.text.replace(/<\/?at>/g, ''),
    });
  }
  return mentions;
}

/**
 * A text message Teams shows as written (`textFormat: plain`): no Markdown, no HTML, and
 * an `<at>` in it is not a mention. For texts that carry what people typed (a reason, a
 * refusal that quotes them); it never carries mention entities.
 */
export function plainMessage(text: string): Partial<Activity> {
  return { type: MESSAGE, text, textFormat: 'plain' };
}
