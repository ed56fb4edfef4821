import type { KudosGiven } from '../core/reply.ts';
import { listNames, points } from './wording.ts';

/** The public celebration of a kudos, in words every adapter can show or format. */
export function announcementText(event: KudosGiven): string {
  const names = listNames(event.recipients.map((recipient) => recipient.name));
  const reason = event.message ? ` for ${event.message}` : '';
  return `🎉 ${event.giver.name} gave ${names} ${points(event.amountEach)}${reason}`;
}

/** What a recipient's direct message adds about a private kudos; nothing for a public one. */
export function privateKudosNote(event: KudosGiven): string {
  return event.private
    ? ' (a private kudos: only you were told, and it stays off the leaderboard)'
    : '';
}
