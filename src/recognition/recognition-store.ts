import { type RawBuilder, sql, type Transaction } from 'kysely';
import type { KudosGiven } from '../core/reply.ts';
import { RefusalAbort, refuse } from '../core/result.ts';
import type { Database } from '../db/database.ts';
import { prepared } from '../db/preparing-pool.ts';
import type { Platform, Tables } from '../db/tables.ts';
import type { Member } from '../directory/members.ts';
import { startOfDayAt } from './allowance-period.ts';
import type { RecognitionSettings } from './settings.ts';
import { points } from './wording.ts';

export interface RecordedRecognition {
  readonly id: number;
  readonly amountEach: number;
  readonly message: string;
  readonly values: readonly string[];
  readonly channel: string | null;
  readonly recipients: ReadonlyArray<{ memberId: number; name: string }>;
  /** True when this is the first answer to a command delivered again. */
  readonly replayed: boolean;
}

export interface NewRecognition {
  readonly giver: Member;
  readonly recipients: readonly Member[];
  readonly amountEach: number;
  readonly message: string;
  readonly values: readonly string[];
  readonly platform: Platform;
  readonly channel: string | null;
  /** The recognition this one boosts: a colleague's points added to it. */
  readonly boostOf?: number;
}

/**
 * The recognition, its recipients and its waiting notification (the outbox row) as common
 * table expressions keyed by `req`, the ledger request that moves their points: attached
 * to the ledger's own statement, they commit with the transfers in one round trip.
 * `recognition` yields the new row's id.
 */
export function recognitionCtes(
  settings: RecognitionSettings,
  input: NewRecognition,
): RawBuilder<unknown> {
  // The recipients travel as an array, so the text is the same whatever their number.
  return sql`
    recognition as (
      insert into recognitions (organization_id, giver_id, ledger_request_id, amount_each,
        message, company_values, platform, channel, boost_of)
      select ${settings.organizationId}, ${input.giver.id}, req.id, ${input.amountEach},
        ${input.message}, ${[...input.values]}::text[], ${input.platform}, ${input.channel},
        ${input.boostOf ?? null}::bigint
      from req
      returning id, created_at
    ),
    recognition_recipients_written as (
      insert into recognition_recipients (recognition_id, organization_id, giver_id,
        recipient_id, amount, created_at)
      select recognition.id, ${settings.organizationId}, ${input.giver.id}, recipient_id,
        ${input.amountEach}, recognition.created_at
      from recognition, unnest(${input.recipients.map((member) => member.id)}::bigint[]) as recipient_id
    ),
    notification_waiting as (
      insert into notification_outbox (recognition_id, organization_id, origin, event)
      select recognition.id, ${settings.organizationId}, ${input.platform},
        ${JSON.stringify(announcedEvent(settings, input))}::jsonb
          || jsonb_build_object('recognitionId', recognition.id)
      from recognition
    )`;
}

/** The kudos as every platform announces it, but for its id (the statement adds that). */
function announcedEvent(
  settings: RecognitionSettings,
  input: NewRecognition,
): Omit<KudosGiven, 'recognitionId'> {
  return {
    kind: 'kudos_given',
    organizationId: settings.organizationId,
    giver: { memberId: input.giver.id, name: input.giver.displayName },
    recipients: input.recipients.map((member) => ({
      memberId: member.id,
      name: member.displayName,
    })),
    amountEach: input.amountEach,
    message: input.message,
    values: input.values,
    channel: input.channel,
    ...(input.boostOf !== undefined && { boostOf: input.boostOf }),
  };
}

/** What {@link recognitionCtes} return: the new recognition's id. */
export const RECOGNITION_ID = sql`(select id from recognition)`;

/** The recognition as first recorded, from what was asked and the id it got. */
export function recorded(input: NewRecognition, id: number): RecordedRecognition {
  return {
    id,
    amountEach: input.amountEach,
    message: input.message,
    values: input.values,
    channel: input.channel,
    recipients: input.recipients.map((member) => ({
      memberId: member.id,
      name: member.displayName,
    })),
    replayed: false,
  };
}

/**
 * Checks the daily pair cap and stores the recognition, inside the give's transaction.
 * The ledger write before it locked the giver's allowance row, so two gives by one giver
 * cannot both pass the cap.
 */
export async function recordRecognition(
  trx: Transaction<Tables>,
  settings: RecognitionSettings,
  now: Date,
  input: NewRecognition,
  ledgerRequestId: number,
): Promise<RecordedRecognition> {
  if (settings.dailyPairCap !== null) await checkDailyPairCap(trx, settings, now, input);
  const { rows } = await sql<{ id: number }>`${prepared}
    with req as (select ${ledgerRequestId}::bigint as id),
    ${recognitionCtes(settings, input)}
    select id from recognition`.execute(trx);
  const recognition = rows[0];
  if (!recognition) throw new Error('the recognition was not stored');
  return recorded(input, recognition.id);
}

async function checkDailyPairCap(
  trx: Transaction<Tables>,
  settings: RecognitionSettings,
  now: Date,
  input: NewRecognition,
): Promise<void> {
  const cap = settings.dailyPairCap as number;
  if (input.amountEach > cap) {
    throw new RefusalAbort(
      refuse('daily_pair_cap', `You can give one person at most ${points(cap)} a day.`),
    );
  }
  const given = await trx
    .selectFrom('recognition_recipients')
    .select(['recipient_id', sql<number>`sum(amount)::bigint`.as('total')])
    .where('giver_id', '=', input.giver.id)
    .where(
      'recipient_id',
      'in',
      input.recipients.map((recipient) => recipient.id),
    )
    .where('created_at', '>=', startOfDayAt(now, settings.timezone))
    // A reversed recognition was taken back: its points no longer count against the cap.
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('recognition_reversals as v')
            .select(sql<number>`1`.as('one'))
            .whereRef('v.recognition_id', '=', 'recognition_recipients.recognition_id'),
        ),
      ),
    )
    .groupBy('recipient_id')
    .execute();
  for (const row of given) {
    if (row.total + input.amountEach > cap) {
      const name = input.recipients.find(
        (recipient) => recipient.id === row.recipient_id,
      )?.displayName;
      throw new RefusalAbort(
        refuse(
          'daily_pair_cap',
          `You have given ${name} ${points(row.total)} today; the daily limit per person is ${cap}.`,
        ),
      );
    }
  }
}

/** The recognition a ledger request recorded, as first answered; for replays. */
export async function recognitionByLedgerRequest(
  db: Database,
  ledgerRequestId: number,
): Promise<RecordedRecognition | undefined> {
  const row = await db
    .selectFrom('recognitions as r')
    .select([
      'r.id',
      'r.amount_each',
      'r.message',
      'r.company_values',
      'r.channel',
      sql<Array<{ memberId: number; name: string }>>`(
        select json_agg(json_build_object('memberId', m.id, 'name', m.display_name) order by rr.recipient_id)
        from recognition_recipients rr join members m on m.id = rr.recipient_id
        where rr.recognition_id = r.id)`.as('recipients'),
    ])
    .where('r.ledger_request_id', '=', ledgerRequestId)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    id: row.id,
    amountEach: row.amount_each,
    message: row.message,
    values: row.company_values,
    channel: row.channel,
    recipients: row.recipients.map((recipient) => ({
      memberId: Number(recipient.memberId),
      name: recipient.name,
    })),
    replayed: true,
  };
}
