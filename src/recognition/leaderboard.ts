import { type RawBuilder, sql } from 'kysely';
import type { Command } from '../core/command.ts';
import { type Reply, textReply } from '../core/reply.ts';
import type { Database } from '../db/database.ts';
import { allowancePeriodAt, type Cadence, periodNoun } from './allowance-period.ts';
import type { RecognitionServices } from './recognition-services.ts';
import { counted, points } from './wording.ts';

export const LEADERBOARD_WINDOWS = ['week', 'month', 'quarter', 'all'] as const;
export type LeaderboardWindow = (typeof LEADERBOARD_WINDOWS)[number];

const CADENCE_OF: Record<Exclude<LeaderboardWindow, 'all'>, Cadence> = {
  week: 'weekly',
  month: 'monthly',
  quarter: 'quarterly',
};

export interface Standing {
  readonly name: string;
  readonly total: number;
}

export interface Leaderboard {
  readonly received: readonly Standing[];
  readonly given: readonly Standing[];
  readonly values: readonly Standing[];
}

/** A reversed recognition counts for nobody: it is as if it had not been given. */
const notReversed = (recognitionId: RawBuilder<unknown>) =>
  sql<boolean>`not exists (select 1 from recognition_reversals rv
    where rv.recognition_id = ${recognitionId})`;

/** A private kudos is on nobody's leaderboard: only its giver and recipients know of it. */
const notPrivate = (recognitionId: RawBuilder<unknown>) =>
  sql<boolean>`not exists (select 1 from recognitions pr
    where pr.id = ${recognitionId} and pr.private)`;

/** Top receivers, givers and values of an organization since an instant (or ever); public kudos only. */
export async function readLeaderboard(
  db: Database,
  organizationId: number,
  since: Date | null,
  limit = 10,
): Promise<Leaderboard> {
  const from = since ?? new Date(0);
  const byPerson = (column: 'recipient_id' | 'giver_id') =>
    db
      .selectFrom('recognition_recipients as rr')
      .innerJoin('members as m', 'm.id', `rr.${column}`)
      .select(['m.display_name as name', sql<number>`sum(rr.amount)::bigint`.as('total')])
      .where('rr.organization_id', '=', organizationId)
      .where('rr.created_at', '>=', from)
      .where(notReversed(sql.ref('rr.recognition_id')))
      .where(notPrivate(sql.ref('rr.recognition_id')))
      .groupBy(['m.id', 'm.display_name'])
      .orderBy('total', 'desc')
      .orderBy('m.display_name')
      .limit(limit)
      .execute();
  const [received, given, values] = await Promise.all([
    byPerson('recipient_id'),
    byPerson('giver_id'),
    sql<Standing>`
      select v as name, count(*)::bigint as total
      from recognitions r, unnest(r.company_values) as v
      where r.organization_id = ${organizationId} and r.created_at >= ${from}
        and ${notReversed(sql.ref('r.id'))} and not r.private
      group by v order by total desc, v limit ${limit}`
      .execute(db)
      .then((result) => result.rows),
  ]);
  return { received, given, values };
}

const ranked = (standings: readonly Standing[], unit: (total: number) => string) =>
  standings.map((standing, index) => `${index + 1}. ${standing.name} — ${unit(standing.total)}`);
/** A value's standing counts the kudos that named it. */
const recognitions = (total: number) => counted(total, 'recognition');

/** `leaderboard [week|month|quarter|all]`; the organization's own period by default. */
export async function showLeaderboard(
  services: RecognitionServices,
  command: Command,
  args: string,
): Promise<Reply> {
  const { settings, now } = await services.settings.load(command.actor.organizationId);
  const asked = args.trim().toLowerCase();
  const window = (asked || periodNoun(settings.allowanceCadence)) as LeaderboardWindow;
  if (!LEADERBOARD_WINDOWS.includes(window)) {
    return textReply(`Pick week, month, quarter or all: ${command.commandName} leaderboard month`, {
      outcome: 'usage',
      code: 'usage',
    });
  }
  const since =
    window === 'all' ? null : allowancePeriodAt(now, CADENCE_OF[window], settings.timezone).start;
  const board = await readLeaderboard(services.db, command.actor.organizationId, since);
  const title = window === 'all' ? 'Leaderboard, all time' : `Leaderboard, this ${window}`;
  if (board.received.length === 0) {
    return textReply(`${title}: no kudos yet. Be the first: ${command.commandName} @someone for …`);
  }
  const sections = [
    { heading: 'Most recognized', items: ranked(board.received, points) },
    { heading: 'Most generous', items: ranked(board.given, points) },
    ...(board.values.length > 0
      ? [{ heading: 'Values', items: ranked(board.values, recognitions) }]
      : []),
  ];
  return {
    text: [title, ...sections.flatMap((section) => [`${section.heading}:`, ...section.items])].join(
      '\n',
    ),
    blocks: [
      { kind: 'heading', text: title },
      ...sections.flatMap((section) => [
        { kind: 'text' as const, text: section.heading },
        { kind: 'list' as const, items: section.items },
      ]),
    ],
    visibility: 'private',
    outcome: 'ok',
    events: [],
  };
}
