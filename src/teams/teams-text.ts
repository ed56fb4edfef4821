import type { Activity } from 'botbuilder';
import type { MentionEntity } from '../recognition/grammar/give-grammar.ts';

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
};

/**
 * The command in a message, as the core reads it: the bot's own mention is gone (teams-ai
 * strips it), HTML line breaks and paragraphs are spaces, and the few entities Teams
 * escapes are plain characters again. `<at>` tags stay: they are the mentions.
 */
export function commandText(activity: Partial<Activity>): string {
  return (activity.text ?? '')
    .replace(/<\/?(?:p|div|span)[^>]*>|<br\s*\/?>/gi, ' ')
    .replace(/&(?:nbsp|amp|quot|#39|apos);/g, (entity) => ENTITIES[entity] ?? entity)
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
      text: entity.text,
      userId: entity.mentioned.id,
      name: entity.mentioned.name ?? entity.text.replace(/<\/?at>/g, ''),
    });
  }
  return mentions;
}
