import { sql } from 'kysely';
import type { Command } from '../core/command.ts';
import { type Reply, textReply } from '../core/reply.ts';
import type { Database } from '../db/database.ts';
import type { RecognitionServices } from './recognition-services.ts';
import { shortDate } from './wording.ts';

export interface HistoryEntry {
  readonly recognitionId: number;
  readonly direction: 'given' | 'received';
  /** The other side: the recipients' names for a give, the giver's for a receipt. */
  readonly counterpart: string;
  readonly amount: number;
  readonly message: string;
  readonly createdAt: Date;
  /** An admin reversed it: its points were taken back, so it counts for nothing now. */
  readonly reversed: boolean;
  /** For a boost: the name of who gave the kudos it boosts; null for a kudos of its own. */
  readonly boostedFrom: string | null;
}

const reversed = sql`exists (select 1 from recognition_reversals rv
  where rv.recognition_id = r.id) as reversed`;

const boostedFrom = sql`(select og.display_name from recognitions o
  join members og on og.id = o.giver_id where o.id = r.boost_of) as boosted_from`;

/** A member's most recent kudos, given and received, newest first; reversed ones say so. */
export async function readHistory(
  db: Database,
  memberId: number,
  limit = 10,
): Promise<HistoryEntry[]> {
  const { rows } = await sql<{
    recognition_id: number;
    direction: 'given' | 'received';
    counterpart: string;
    amount: number;
    message: string;
    created_at: Date;
    reversed: boolean;
    boosted_from: string | null;
  }>`
    (select r.id as recognition_id, 'given' as direction,
        (select string_agg(m.display_name, ', ' order by m.display_name)
          from recognition_recipients rr join members m on m.id = rr.recipient_id
          where rr.recognition_id = r.id) as counterpart,
        r.amount_each * (select count(*) from recognition_recipients rr where rr.recognition_id = r.id) as amount,
        r.message, r.created_at, ${reversed}, ${boostedFrom}
      from recognitions r where r.giver_id = ${memberId}
      order by r.created_at desc limit ${limit})
    union all
    (select r.id, 'received', g.display_name, rr.amount, r.message, r.created_at, ${reversed},
        ${boostedFrom}
      from recognition_recipients rr
      join recognitions r on r.id = rr.recognition_id
      join members g on g.id = r.giver_id
      where rr.recipient_id = ${memberId}
      order by rr.created_at desc limit ${limit})
    order by created_at desc, recognition_id desc
    limit ${limit}`.execute(db);
  return rows.map((row) => ({
    recognitionId: row.recognition_id,
    direction: row.direction,
    counterpart: row.counterpart,
    amount: Number(row.amount),
    message: row.message,
    createdAt: new Date(row.created_at),
    reversed: row.reversed,
    boostedFrom: row.boosted_from,
  }));
}

/** `history`: the member's recent kudos. */
export async function showHistory(services: RecognitionServices, command: Command): Promise<Reply> {
  const { settings } = await services.settings.load(command.actor.organizationId);
  const entries = await readHistory(services.db, command.actor.id);
  if (entries.length === 0) return textReply('No kudos given or received yet.');
  const items = entries.map((entry) => {
    const when = shortDate(entry.createdAt, settings.timezone);
    const what = entry.message ? `: ${entry.message}` : '';
    const undone = entry.reversed ? ' (reversed by an admin)' : '';
    if (entry.boostedFrom !== null) {
      const kudos = `${entry.boostedFrom}’s kudos`;
      return entry.direction === 'given'
        ? `${when} — you boosted ${kudos} to ${entry.counterpart} with ${entry.amount}${what}${undone}`
        : `${when} — ${entry.counterpart} boosted ${kudos} to you with ${entry.amount}${what}${undone}`;
    }
    return entry.direction === 'given'
      ? `${when} — you gave ${entry.counterpart} ${entry.amount}${what}${undone}`
      : `${when} — ${entry.counterpart} gave you ${entry.amount}${what}${undone}`;
  });
  return {
    text: ['Your recent kudos:', ...items].join('\n'),
    blocks: [
      { kind: 'heading', text: 'Your recent kudos' },
      { kind: 'list', items },
    ],
    visibility: 'private',
    outcome: 'ok',
    events: [],
  };
}
