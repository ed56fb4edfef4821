import { sql } from 'kysely';
import { z } from 'zod/v4';
import { reverseRecognition } from '../../../admin/recognition-reversals.ts';
import { csvDocument } from '../../../core/csv.ts';
import { ok } from '../../../core/result.ts';
import type { Database } from '../../../db/database.ts';
import type { Platform } from '../../../db/tables.ts';
import { allowancePeriodAt, type Cadence } from '../../../recognition/allowance-period.ts';
import { LEADERBOARD_WINDOWS, readLeaderboard } from '../../../recognition/leaderboard.ts';
import { notFound } from '../api-errors.ts';
import { apiRoute } from '../api-route.ts';
import { id, idParams, idText, instant, instantQuery, iso, reason } from '../api-schemas.ts';
import { pageFrom, pageOf, pageQuery } from '../pagination.ts';

const TAG = 'Recognitions';

const recognitionSchema = z
  .object({
    id,
    giver: z.object({ memberId: id, name: z.string() }),
    recipients: z.array(z.object({ memberId: id, name: z.string(), amount: z.number().int() })),
    amountEach: z.number().int(),
    message: z.string(),
    values: z.array(z.string()).describe('The company values it names.'),
    platform: z.enum(['slack', 'teams', 'local']),
    channel: z.string().nullable(),
    createdAt: instant,
    reversal: z
      .object({ reason: z.string(), at: instant })
      .nullable()
      .describe('Set when an admin reversed it: its points were taken back.'),
    boostOf: id
      .nullable()
      .describe(
        "The recognition this one boosts (a colleague's points added to it); null for a kudos of its own.",
      ),
  })
  .meta({ title: 'Recognition' });

type RecognitionView = z.input<typeof recognitionSchema>;

interface RecognitionRow {
  id: number;
  giver_id: number;
  giver_name: string;
  amount_each: number;
  message: string;
  company_values: string[];
  platform: Platform;
  channel: string | null;
  created_at: Date;
  recipients: Array<{ memberId: number; name: string; amount: number }> | null;
  reversal: { reason: string; at: string } | null;
  boost_of: number | null;
}

export interface RecognitionFilter {
  readonly id?: number;
  readonly before?: number | undefined;
  readonly since?: Date | undefined;
  readonly until?: Date | undefined;
  readonly giver?: number | undefined;
  readonly recipient?: number | undefined;
  readonly value?: string | undefined;
  readonly limit: number;
}

/** An organization's recognitions, newest first, with their recipients and any reversal. */
async function readRecognitions(
  db: Database,
  organizationId: number,
  filter: RecognitionFilter,
): Promise<RecognitionRow[]> {
  let query = db
    .selectFrom('recognitions as r')
    .innerJoin('members as g', 'g.id', 'r.giver_id')
    .select([
      'r.id',
      'r.giver_id',
      'g.display_name as giver_name',
      'r.amount_each',
      'r.message',
      'r.company_values',
      'r.platform',
      'r.channel',
      'r.created_at',
      'r.boost_of',
      sql<RecognitionRow['recipients']>`(
        select json_agg(json_build_object('memberId', rr.recipient_id, 'name', m.display_name,
          'amount', rr.amount) order by rr.recipient_id)
        from recognition_recipients rr join members m on m.id = rr.recipient_id
        where rr.recognition_id = r.id)`.as('recipients'),
      sql<RecognitionRow['reversal']>`(
        select json_build_object('reason', v.reason, 'at', v.created_at)
        from recognition_reversals v where v.recognition_id = r.id)`.as('reversal'),
    ])
    .where('r.organization_id', '=', organizationId)
    .orderBy('r.id', 'desc')
    .limit(filter.limit);
  if (filter.id !== undefined) query = query.where('r.id', '=', filter.id);
  if (filter.before !== undefined) query = query.where('r.id', '<', filter.before);
  if (filter.since !== undefined) query = query.where('r.created_at', '>=', filter.since);
  if (filter.until !== undefined) query = query.where('r.created_at', '<', filter.until);
  if (filter.giver !== undefined) query = query.where('r.giver_id', '=', filter.giver);
  if (filter.recipient !== undefined) {
    const recipient = filter.recipient;
    query = query.where(({ exists, selectFrom }) =>
      exists(
        selectFrom('recognition_recipients as rr')
          .select('rr.recipient_id')
          .whereRef('rr.recognition_id', '=', 'r.id')
          .where('rr.recipient_id', '=', recipient),
      ),
    );
  }
  if (filter.value !== undefined) {
    query = query.where(sql<boolean>`${filter.value.toLowerCase()} = any(r.company_values)`);
  }
  return query.execute() as Promise<RecognitionRow[]>;
}

const toView = (row: RecognitionRow): RecognitionView => ({
  id: row.id,
  giver: { memberId: row.giver_id, name: row.giver_name },
  recipients: (row.recipients ?? []).map((recipient) => ({
    memberId: Number(recipient.memberId),
    name: recipient.name,
    amount: Number(recipient.amount),
  })),
  amountEach: row.amount_each,
  message: row.message,
  values: row.company_values,
  platform: row.platform,
  channel: row.channel,
  createdAt: iso(new Date(row.created_at)),
  reversal: row.reversal && {
    reason: row.reversal.reason,
    at: iso(new Date(row.reversal.at)),
  },
  boostOf: row.boost_of === null ? null : Number(row.boost_of),
});

export const RECOGNITION_CSV_HEADER = [
  'recognition_id',
  'created_at',
  'giver_id',
  'giver',
  'recipient_id',
  'recipient',
  'amount',
  'values',
  'message',
  'platform',
  'channel',
  'reversed_at',
  'reversal_reason',
] as const;

/** One line per recipient: a recognition of three people is three lines with one id. */
function recognitionsCsv(items: readonly RecognitionView[]): string {
  return csvDocument(
    RECOGNITION_CSV_HEADER,
    items.flatMap((item) =>
      item.recipients.map((recipient) => [
        String(item.id),
        item.createdAt,
        String(item.giver.memberId),
        item.giver.name,
        String(recipient.memberId),
        recipient.name,
        String(recipient.amount),
        item.values.join('; '),
        item.message,
        item.platform,
        item.channel ?? '',
        item.reversal?.at ?? '',
        item.reversal?.reason ?? '',
      ]),
    ),
  );
}

const list = apiRoute({
  method: 'get',
  path: '/recognitions',
  operationId: 'listRecognitions',
  tag: TAG,
  summary: 'Recognitions, newest first, filtered by time, giver, recipient or value',
  roles: ['admin', 'hr'],
  what: 'read recognitions',
  query: z.object({
    ...pageQuery,
    since: instantQuery.optional().describe('Given at or after this instant (ISO 8601).'),
    until: instantQuery.optional().describe('Given before this instant (ISO 8601).'),
    giver: idText.optional().describe("The giver's member id."),
    recipient: idText.optional().describe("A recipient's member id."),
    value: z.string().min(1).max(100).optional().describe('A company value it names.'),
  }),
  response: pageOf(recognitionSchema),
  csv: (page) => ({ csv: recognitionsCsv(page.items), filename: 'plaudit-recognitions.csv' }),
  handler: async ({ services, actor, query }) => {
    const rows = await readRecognitions(services.db, actor.organizationId, {
      before: query.cursor,
      since: query.since,
      until: query.until,
      giver: query.giver,
      recipient: query.recipient,
      value: query.value,
      limit: query.limit + 1,
    });
    return ok(pageFrom(rows, query.limit, (row) => row.id, toView));
  },
});

const get = apiRoute({
  method: 'get',
  path: '/recognitions/{id}',
  operationId: 'getRecognition',
  tag: TAG,
  summary: 'A recognition, with its recipients and any reversal',
  roles: ['admin', 'hr'],
  what: 'read recognitions',
  params: idParams,
  response: recognitionSchema,
  handler: async ({ services, actor, params }) => {
    const [row] = await readRecognitions(services.db, actor.organizationId, {
      id: params.id,
      limit: 1,
    });
    return row ? ok(toView(row)) : notFound(`There is no recognition ${params.id} here.`);
  },
});

const reverse = apiRoute({
  method: 'post',
  path: '/recognitions/{id}/reversal',
  operationId: 'reverseRecognition',
  tag: TAG,
  summary:
    "Reverses a recognition: its points leave the recipients, and the giver's allowance comes back this period",
  roles: ['admin'],
  what: 'reverse recognitions',
  action: 'recognition.reverse',
  target: ({ params }) => `recognition:${params.id}`,
  idempotent: true,
  status: 201,
  params: idParams,
  body: z.object({ reason }),
  response: z
    .object({
      recognitionId: id,
      reason: z.string(),
      at: instant,
      giverId: id,
      giverName: z.string(),
      allowanceReturned: z.number().int(),
      recipients: z.array(z.object({ memberId: id, name: z.string(), amount: z.number().int() })),
    })
    .meta({ title: 'RecognitionReversal' }),
  handler: async ({ services, actor, params, body, idempotencyKey }) => {
    const reversed = await reverseRecognition(services, actor, {
      recognitionId: params.id,
      reason: body.reason,
      idempotencyKey: `api:${idempotencyKey}`,
    });
    if (!reversed.ok) return reversed;
    const reversal = reversed.value;
    return ok({
      recognitionId: reversal.recognitionId,
      reason: reversal.reason,
      at: iso(reversal.at),
      giverId: reversal.giverId,
      giverName: reversal.giverName,
      allowanceReturned: Number(reversal.allowanceReturned),
      recipients: reversal.recipients,
    });
  },
});

const CADENCE_OF: Record<Exclude<(typeof LEADERBOARD_WINDOWS)[number], 'all'>, Cadence> = {
  week: 'weekly',
  month: 'monthly',
  quarter: 'quarterly',
};

const standing = z.object({ name: z.string(), total: z.number().int() });

const leaderboard = apiRoute({
  method: 'get',
  path: '/leaderboard',
  operationId: 'readLeaderboard',
  tag: TAG,
  summary: 'Top receivers, givers and values this week, month, quarter or ever',
  description:
    "Periods are the organization's, in its time zone; reversed recognitions count for nothing.",
  roles: ['admin', 'hr'],
  what: 'read the leaderboard',
  query: z.object({
    window: z.enum(LEADERBOARD_WINDOWS).default('month'),
    limit: z.coerce.number().int().min(1).max(100).default(10).describe('How many of each.'),
  }),
  response: z
    .object({
      window: z.enum(LEADERBOARD_WINDOWS),
      since: instant.nullable().describe('Where the window starts; null for all time.'),
      received: z.array(standing).describe('Points received, most first.'),
      given: z.array(standing).describe('Points given, most first.'),
      values: z.array(standing).describe('Recognitions naming each value, most first.'),
    })
    .meta({ title: 'Leaderboard' }),
  handler: async ({ services, actor, query }) => {
    const { settings, now } = await services.settings.load(actor.organizationId);
    const since =
      query.window === 'all'
        ? null
        : allowancePeriodAt(now, CADENCE_OF[query.window], settings.timezone).start;
    const board = await readLeaderboard(services.db, actor.organizationId, since, query.limit);
    const totals = (standings: readonly { name: string; total: number }[]) =>
      standings.map((entry) => ({ name: entry.name, total: Number(entry.total) }));
    return ok({
      window: query.window,
      since: since && iso(since),
      received: totals(board.received),
      given: totals(board.given),
      values: totals(board.values),
    });
  },
});

export const RECOGNITION_ROUTES = [list, get, reverse, leaderboard];
