import { sql } from 'kysely';
import { ok, RefusalAbort, type Result } from '../core/result.ts';
import type { Database } from '../db/database.ts';
import { retryOnConflict } from '../db/retry.ts';
import { allowancePeriodAt } from '../recognition/allowance-period.ts';
import { undoRecognition } from '../recognition/recognition-undo.ts';
import { listNames, points } from '../recognition/wording.ts';
import { requireRole } from './access.ts';
import { MAX_REASON_LENGTH } from './adjustments.ts';
import type { AdminActor } from './admin-actor.ts';
import { adminLedgerKey } from './admin-ledger-key.ts';
import { type AdminRefusal, type AdminRefusalCode, adminRefusal } from './admin-refusals.ts';
import type { AdminServices } from './admin-services.ts';
import { writeAudit } from './audit-log.ts';
import { tellMember } from './tell-member.ts';

/** A recognition taken back: its points left each recipient, and its giver may give again. */
export interface RecognitionReversal {
  readonly recognitionId: number;
  readonly reason: string;
  readonly at: Date;
  readonly recipients: Array<{ memberId: number; amount: number; name: string }>;
  readonly giverId: number;
  readonly giverName: string;
  /**
   * The allowance given back to the giver: all they spent when the recognition was given
   * in the current allowance period, none when that period is over (what was left of it
   * expired then, so giving it back now would add to this period's).
   */
  readonly allowanceReturned: number;
}

export interface ReversalInput {
  readonly recognitionId: number;
  readonly reason: string;
  /** Unique per request: the same request delivered again reverses once. */
  readonly idempotencyKey: string;
}

const ACTION = 'recognition.reverse';

/**
 * Reverses a recognition: new ledger transfers take its points back from each recipient
 * (`earned → issuance`) and give the giver's allowance back (`allowance_spent →
 * allowance`); nothing is deleted. The reversal's record and its audit entry commit with
 * the transfers. Refused when the recognition is unknown here, was reversed already, or
 * a recipient has spent or redeemed the points (their account cannot go below zero). The
 * recognition's row is locked first, so of two reversals at once one reverses and the
 * other is told it was reversed; the same idempotency key again answers with the first.
 */
export async function reverseRecognition(
  services: AdminServices,
  actor: AdminActor,
  input: ReversalInput,
): Promise<Result<RecognitionReversal, AdminRefusalCode>> {
  const { db, ledger } = services;
  const organizationId = actor.organizationId;
  const target = `recognition:${input.recognitionId}`;
  const denied = await requireRole(db, actor, 'admin', 'reverse recognitions', {
    action: ACTION,
    target,
    wanted: { reason: input.reason },
  });
  if (denied) return denied;
  const invalid = checkReversal(input);
  if (invalid) return invalid;
  const reason = input.reason.trim();
  const refused = async (refusal: AdminRefusal) => {
    await writeAudit(db, actor, {
      action: ACTION,
      target,
      outcome: 'refused',
      refusalCode: refusal.code,
      after: { reason },
    });
    return refusal;
  };
  const { settings, now } = await services.settings.load(organizationId);
  const period = allowancePeriodAt(now, settings.allowanceCadence, settings.timezone);
  const key = adminLedgerKey('reversal', input.idempotencyKey);
  try {
    const replayed = await retryOnConflict(() =>
      db.transaction().execute(async (trx) => {
        // `no key update`: reversals of this recognition queue here, while rows that
        // reference it (the reversal's own record) may still be written.
        const recognition = await trx
          .selectFrom('recognitions')
          .select(['id', 'ledger_request_id', 'created_at', 'giver_id', 'amount_each'])
          .where('organization_id', '=', organizationId)
          .where('id', '=', input.recognitionId)
          .forNoKeyUpdate()
          .executeTakeFirst();
        if (!recognition) {
          throw new RefusalAbort(
            adminRefusal(
              'unknown_recognition',
              `There is no recognition #${input.recognitionId} here; its number is in the kudos history.`,
            ),
          );
        }
        const earlier = await trx
          .selectFrom('recognition_reversals as v')
          .innerJoin('ledger_requests as q', 'q.id', 'v.ledger_request_id')
          .select(['q.idempotency_key', 'v.reason'])
          .where('v.recognition_id', '=', recognition.id)
          .executeTakeFirst();
        if (earlier?.idempotency_key === key) return true;
        if (earlier) {
          throw new RefusalAbort(
            adminRefusal(
              'already_reversed',
              `Recognition #${recognition.id} was already reversed (${earlier.reason}); nothing changed.`,
            ),
          );
        }
        const reversed = await undoRecognition(trx, ledger, {
          organizationId,
          recognition,
          periodStart: period.start,
          key,
          memo: `recognition #${recognition.id} reversed: ${reason}`,
          reason,
          reversedBy: { memberId: actor.memberId, tokenId: actor.tokenId },
        });
        const recipients = await trx
          .selectFrom('recognition_recipients')
          .select(['recipient_id as memberId', 'amount'])
          .where('recognition_id', '=', recognition.id)
          .orderBy('recipient_id')
          .execute();
        const allowanceReturned = sumOf(reversed.transfers, 'allowance');
        await writeAudit(trx, actor, {
          action: ACTION,
          target,
          outcome: 'done',
          before: { giverId: recognition.giver_id, recipients },
          after: {
            reason,
            ledgerRequestId: reversed.requestId,
            pointsReturned: sumOf(reversed.transfers, 'points'),
            allowanceReturned,
          },
        });
        return false;
      }),
    );
    const reversal = await findReversal(db, organizationId, input.recognitionId);
    if (!reversal) throw new Error(`reversal of ${input.recognitionId} is not to be found`);
    if (!replayed) await tellThem(services, organizationId, reversal);
    return ok(reversal);
  } catch (error) {
    if (!(error instanceof RefusalAbort)) throw error;
    const refusal = error.refusal as { code: string; message: string };
    switch (refusal.code) {
      case 'unknown_recognition':
      case 'already_reversed':
        return refused(refusal as AdminRefusal);
      case 'insufficient_balance':
        // Read only now: the failed transaction has been rolled back.
        return refused(await spentAlready(services, organizationId, input.recognitionId));
      case 'idempotency_conflict':
        return adminRefusal(
          'idempotency_conflict',
          'This request was already used for a different reversal; nothing changed.',
        );
      default:
        return refused(adminRefusal('not_reversible', refusal.message));
    }
  }
}

export function checkReversal(input: ReversalInput): AdminRefusal | undefined {
  if (!Number.isSafeInteger(input.recognitionId) || input.recognitionId <= 0) {
    return adminRefusal('usage', 'Name the recognition by its number, like 42.');
  }
  const reason = typeof input.reason === 'string' ? input.reason.trim() : '';
  if (reason.length === 0) return adminRefusal('usage', 'Say why: a reversal needs a reason.');
  if (reason.length > MAX_REASON_LENGTH) {
    return adminRefusal('usage', `Keep the reason under ${MAX_REASON_LENGTH} characters.`);
  }
  if (typeof input.idempotencyKey !== 'string' || input.idempotencyKey.length === 0) {
    return adminRefusal('usage', 'A reversal needs an idempotency key, so a retry reverses once.');
  }
  return undefined;
}

/** A recognition's reversal, as recorded, with what it moved. */
export async function findReversal(
  db: Database,
  organizationId: number,
  recognitionId: number,
): Promise<RecognitionReversal | undefined> {
  const row = await db
    .selectFrom('recognition_reversals as v')
    .innerJoin('recognitions as r', 'r.id', 'v.recognition_id')
    .innerJoin('members as g', 'g.id', 'r.giver_id')
    .select([
      'v.recognition_id',
      'v.reason',
      'v.created_at',
      'r.giver_id',
      'g.display_name as giver_name',
      sql<Array<{ memberId: number; amount: number; name: string }>>`(
        select json_agg(json_build_object('memberId', rr.recipient_id, 'amount', rr.amount,
          'name', m.display_name) order by rr.recipient_id)
        from recognition_recipients rr join members m on m.id = rr.recipient_id
        where rr.recognition_id = r.id)`.as('recipients'),
      sql<number>`(select coalesce(sum(t.amount), 0)::bigint from ledger_transfers t
        where t.request_id = v.ledger_request_id and t.asset = 'allowance')`.as(
        'allowance_returned',
      ),
    ])
    .where('v.organization_id', '=', organizationId)
    .where('v.recognition_id', '=', recognitionId)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    recognitionId: row.recognition_id,
    reason: row.reason,
    at: new Date(row.created_at),
    recipients: row.recipients.map((recipient) => ({
      memberId: Number(recipient.memberId),
      amount: Number(recipient.amount),
      name: recipient.name,
    })),
    giverId: row.giver_id,
    giverName: row.giver_name,
    allowanceReturned: row.allowance_returned,
  };
}

function sumOf(
  transfers: ReadonlyArray<{ asset: string; amount: number }>,
  asset: 'points' | 'allowance',
): number {
  return transfers
    .filter((transfer) => transfer.asset === asset)
    .reduce((sum, transfer) => sum + transfer.amount, 0);
}

/** The refusal naming the recipients who no longer hold the points the reversal takes back. */
async function spentAlready(
  services: AdminServices,
  organizationId: number,
  recognitionId: number,
): Promise<AdminRefusal> {
  const recipients = await services.db
    .selectFrom('recognition_recipients as rr')
    .innerJoin('members as m', 'm.id', 'rr.recipient_id')
    .select(['rr.recipient_id', 'rr.amount', 'm.display_name'])
    .where('rr.organization_id', '=', organizationId)
    .where('rr.recognition_id', '=', recognitionId)
    .orderBy('m.display_name')
    .execute();
  const short: string[] = [];
  for (const recipient of recipients) {
    const accounts = await services.ledger.memberAccounts(organizationId, recipient.recipient_id);
    const balance = (await services.ledger.balances([accounts.earned.id])).get(accounts.earned.id);
    const available = balance?.available ?? 0;
    if (available < recipient.amount) {
      short.push(
        `${recipient.display_name} has ${points(available)} left of the ${points(recipient.amount)} it gave`,
      );
    }
  }
  const who = short.length > 0 ? `: ${listNames(short)}` : '';
  return adminRefusal(
    'not_enough_points',
    `Recognition #${recognitionId} cannot be reversed because its points were already spent or redeemed${who}. Nothing changed; deduct what is left with an adjustment if needed.`,
  );
}

/** Each recipient hears that the points left their balance. */
async function tellThem(
  services: AdminServices,
  organizationId: number,
  reversal: RecognitionReversal,
): Promise<void> {
  for (const recipient of reversal.recipients) {
    await tellMember(services, {
      organizationId,
      memberId: recipient.memberId,
      text: `The kudos ${reversal.giverName} gave you (recognition #${reversal.recognitionId}) was reversed: ${reversal.reason}. ${points(recipient.amount)} left your balance.`,
      jobId: `reversal-${reversal.recognitionId}-${recipient.memberId}`,
    });
  }
}
