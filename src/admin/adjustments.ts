import { sql } from 'kysely';
import { ok, RefusalAbort, type Result } from '../core/result.ts';
import type { Database } from '../db/database.ts';
import { retryOnConflict } from '../db/retry.ts';
import { points } from '../recognition/wording.ts';
import { requireRole } from './access.ts';
import type { AdminActor } from './admin-actor.ts';
import { adminLedgerKey } from './admin-ledger-key.ts';
import { type AdminRefusal, type AdminRefusalCode, adminRefusal } from './admin-refusals.ts';
import type { AdminServices } from './admin-services.ts';
import { writeAudit } from './audit-log.ts';
import { tellMember } from './tell-member.ts';

/** Points an admin granted (positive amount) or deducted (negative) by hand. */
export interface Adjustment {
  /** The ledger transfer's id. */
  readonly id: number;
  readonly memberId: number;
  readonly amount: number;
  readonly reason: string;
  /** Who made it, as named now; null when no audit entry tells (made outside the admin tools). */
  readonly actorName: string | null;
  readonly at: Date;
}

export interface AdjustmentInput {
  readonly memberId: number;
  /** Positive to grant, negative to deduct. */
  readonly amount: number;
  readonly reason: string;
  /** Unique per request: the same request delivered again adjusts once. */
  readonly idempotencyKey: string;
}

/** The most points one adjustment moves, either way: a slip of the keyboard stays small. */
export const MAX_ADJUSTMENT = 1_000_000;
export const MAX_REASON_LENGTH = 500;

/** The adjustment's audit action: a grant and a deduction are told apart in the log. */
const actionOf = (amount: number) => (amount > 0 ? 'adjustment.grant' : 'adjustment.deduct');

/**
 * Grants points to a member (`issuance → earned`) or deducts them (`earned → issuance`),
 * as a ledger transfer of kind `adjustment` whose memo is the reason. The audit entry
 * commits in the same transaction as the transfer. A member's earned account cannot go
 * below zero, so a deduction beyond what they have is refused, saying what they have. The
 * same idempotency key again answers with the first adjustment and writes nothing.
 */
export async function adjustPoints(
  services: AdminServices,
  actor: AdminActor,
  input: AdjustmentInput,
): Promise<Result<Adjustment, AdminRefusalCode>> {
  const { db, ledger } = services;
  const organizationId = actor.organizationId;
  const action = actionOf(input.amount);
  const target = `member:${input.memberId}`;
  const denied = await requireRole(db, actor, 'admin', 'grant or deduct points', {
    action,
    target,
    wanted: { amount: input.amount, reason: input.reason },
  });
  if (denied) return denied;
  const invalid = checkAdjustment(input);
  if (invalid) return invalid;
  const reason = input.reason.trim();
  const member = await db
    .selectFrom('members')
    .select(['id', 'display_name'])
    .where('organization_id', '=', organizationId)
    .where('id', '=', input.memberId)
    .executeTakeFirst();
  if (!member) {
    return adminRefusal('unknown_member', `There is no member ${input.memberId} here.`);
  }
  // Read before the transaction: creating accounts takes a connection of its own.
  const [mine, organization] = await Promise.all([
    ledger.memberAccounts(organizationId, member.id),
    ledger.organizationAccounts(organizationId),
  ]);
  const amount = Math.abs(input.amount);
  const granting = input.amount > 0;
  try {
    const done = await retryOnConflict(() =>
      db.transaction().execute(async (trx) => {
        const moved = await ledger.transfer(
          {
            organizationId,
            idempotencyKey: adminLedgerKey('adjustment', input.idempotencyKey),
            transfers: [
              {
                debitAccountId: granting ? organization.issuance.id : mine.earned.id,
                creditAccountId: granting ? mine.earned.id : organization.issuance.id,
                amount,
                kind: 'adjustment',
                memo: reason,
              },
            ],
          },
          { within: trx },
        );
        if (!moved.ok) throw new RefusalAbort(moved);
        const transfer = moved.value.transfers[0];
        if (!transfer) throw new Error('an adjustment made no transfer');
        if (!moved.value.replayed) {
          await writeAudit(trx, actor, {
            action,
            target,
            outcome: 'done',
            after: { amount: input.amount, reason, transferId: transfer.id },
          });
        }
        return { transferId: transfer.id, replayed: moved.value.replayed };
      }),
    );
    const adjustment = await findAdjustment(db, organizationId, done.transferId);
    if (!adjustment) throw new Error(`adjustment ${done.transferId} is not to be found`);
    if (!done.replayed) {
      await tellMember(services, {
        organizationId,
        memberId: member.id,
        text: granting
          ? `${actor.name} added ${points(amount)} to your balance: ${reason}`
          : `${actor.name} deducted ${points(amount)} from your balance: ${reason}`,
        jobId: `adjustment-${done.transferId}`,
      });
    }
    return ok(adjustment);
  } catch (error) {
    if (!(error instanceof RefusalAbort)) throw error;
    const refusal = error.refusal as { code: string; message: string };
    if (refusal.code === 'idempotency_conflict') {
      return adminRefusal(
        'idempotency_conflict',
        'This request was already used for a different adjustment; nothing changed.',
      );
    }
    if (refusal.code !== 'insufficient_balance') throw new Error(refusal.message);
    // Read only now: the failed transaction has been rolled back and its connection freed.
    const balance = (await ledger.balances([mine.earned.id])).get(mine.earned.id);
    const shortfall = adminRefusal(
      'not_enough_points',
      `${member.display_name} has ${points(balance?.available ?? 0)} to deduct from; ${points(amount)} is more than that, so nothing changed.`,
    );
    await writeAudit(db, actor, {
      action,
      target,
      outcome: 'refused',
      refusalCode: shortfall.code,
      after: { amount: input.amount, reason },
    });
    return shortfall;
  }
}

/** The refusal for the first part of an adjustment that is not right, if any. */
export function checkAdjustment(input: AdjustmentInput): AdminRefusal | undefined {
  const bad = (message: string) => adminRefusal('invalid_adjustment', message);
  if (
    !Number.isSafeInteger(input.amount) ||
    input.amount === 0 ||
    Math.abs(input.amount) > MAX_ADJUSTMENT
  ) {
    return bad(
      `Adjust by a whole number of points from 1 to ${MAX_ADJUSTMENT.toLocaleString('en')}, + to grant or - to deduct.`,
    );
  }
  const reason = typeof input.reason === 'string' ? input.reason.trim() : '';
  if (reason.length === 0) return bad('Say why: an adjustment needs a reason.');
  if (reason.length > MAX_REASON_LENGTH) {
    return bad(`Keep the reason under ${MAX_REASON_LENGTH} characters.`);
  }
  if (typeof input.idempotencyKey !== 'string' || input.idempotencyKey.length === 0) {
    return bad('An adjustment needs an idempotency key, so a retried request adjusts once.');
  }
  return undefined;
}

/**
 * An organization's adjustments, newest first, a page at a time (`before`: the previous
 * page's `nextBefore`). Who made each comes from its audit entry.
 */
export async function listAdjustments(
  db: Database,
  organizationId: number,
  page: { before?: number; limit?: number; memberId?: number } = {},
): Promise<{ adjustments: Adjustment[]; nextBefore: number | null }> {
  const limit = Math.min(Math.max(page.limit ?? 50, 1), 500);
  let query = adjustmentsOf(db, organizationId).limit(limit + 1);
  if (page.before !== undefined) query = query.where('t.id', '<', page.before);
  if (page.memberId !== undefined) query = query.where('a.member_id', '=', page.memberId);
  const rows = await query.execute();
  const adjustments = rows.slice(0, limit).map(toAdjustment);
  return {
    adjustments,
    nextBefore: rows.length > limit ? (adjustments.at(-1)?.id ?? null) : null,
  };
}

async function findAdjustment(
  db: Database,
  organizationId: number,
  transferId: number,
): Promise<Adjustment | undefined> {
  const row = await adjustmentsOf(db, organizationId)
    .where('t.id', '=', transferId)
    .executeTakeFirst();
  return row && toAdjustment(row);
}

/** Adjustment transfers with the member whose earned account they touch and their author. */
function adjustmentsOf(db: Database, organizationId: number) {
  return db
    .selectFrom('ledger_transfers as t')
    .innerJoin('ledger_accounts as a', (join) =>
      join
        .on('a.code', '=', 'earned')
        .on((eb) =>
          eb.or([
            eb('a.id', '=', eb.ref('t.credit_account_id')),
            eb('a.id', '=', eb.ref('t.debit_account_id')),
          ]),
        ),
    )
    .leftJoin('audit_log as l', (join) =>
      join
        .onRef('l.organization_id', '=', 't.organization_id')
        .on('l.action', 'in', ['adjustment.grant', 'adjustment.deduct'])
        .on('l.outcome', '=', 'done')
        .on(sql<boolean>`(l.after ->> 'transferId')::bigint = t.id`),
    )
    .leftJoin('members as m', 'm.id', 'l.actor_member_id')
    .leftJoin('api_tokens as k', 'k.id', 'l.actor_token_id')
    .select([
      't.id',
      't.amount',
      't.memo',
      't.created_at',
      'a.member_id',
      sql<boolean>`a.id = t.credit_account_id`.as('granted'),
      sql<string | null>`coalesce(m.display_name, k.name)`.as('actor_name'),
    ])
    .where('t.organization_id', '=', organizationId)
    .where('t.kind', '=', 'adjustment')
    .orderBy('t.id', 'desc');
}

function toAdjustment(row: {
  id: number;
  amount: number;
  memo: string | null;
  created_at: Date;
  member_id: number | null;
  granted: boolean;
  actor_name: string | null;
}): Adjustment {
  return {
    id: row.id,
    memberId: row.member_id as number,
    amount: row.granted ? row.amount : -row.amount,
    reason: row.memo ?? '',
    actorName: row.actor_name,
    at: new Date(row.created_at),
  };
}
