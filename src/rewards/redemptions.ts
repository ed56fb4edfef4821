import { createHash } from 'node:crypto';
import { type Selectable, sql, type Transaction } from 'kysely';
import type { AdminActor } from '../admin/admin-actor.ts';
import { writeAudit } from '../admin/audit-log.ts';
import { ok, RefusalAbort, type Result } from '../core/result.ts';
import type { Database } from '../db/database.ts';
import { retryOnConflict } from '../db/retry.ts';
import type { RedemptionStatus, RedemptionTable, Tables } from '../db/tables.ts';
import type { OrganizationAccounts } from '../ledger/accounts.ts';
import type { Ledger } from '../ledger/ledger.ts';
import { points } from '../recognition/wording.ts';
import { committedThisMonth } from './billing.ts';
import { toRewardItem, unknownItem } from './catalog.ts';
import { checkLeaverWindow } from './leaver-window.ts';
import { formatMoney } from './money.ts';
import { type RewardRefusal, type RewardRefusalCode, rewardRefusal } from './reward-refusals.ts';
import { loadRewardSettings } from './reward-settings.ts';

type Trx = Transaction<Tables>;

export interface Redemption {
  readonly id: number;
  readonly organizationId: number;
  readonly itemId: number;
  readonly itemName: string;
  readonly memberId: number;
  readonly requestedBy: number;
  readonly status: RedemptionStatus;
  readonly points: number;
  readonly priceMinor: number;
  readonly currency: string;
  readonly fulfilment: 'manual' | 'webhook';
  readonly webhookUrl: string | null;
  readonly holdTransferId: number;
  readonly requestedAt: Date;
  readonly expiresAt: Date;
  readonly resolvedAt: Date | null;
  readonly resolvedBy: number | null;
  readonly reason: string | null;
  /**
   * Its member has news of it not yet told (see migration 0015): HR redeemed it for them,
   * or someone else ended it, and the message has not reached the queue.
   */
  readonly newsDue: boolean;
}

/** How a held redemption ends. */
/** A redemption's status in words, for people: "waiting for HR". */
export const REDEMPTION_STATUS_WORDS: Readonly<Record<Redemption['status'], string>> = {
  held: 'waiting for HR',
  fulfilling: 'being fulfilled',
  fulfilled: 'fulfilled',
  rejected: 'rejected',
  cancelled: 'cancelled',
  expired: 'expired',
};

export type Resolution = 'fulfilled' | 'rejected' | 'cancelled' | 'expired';

export interface RedemptionRequest {
  readonly organizationId: number;
  /** Whose points pay for it. */
  readonly memberId: number;
  /** Who asked: the member, or HR on their behalf. */
  readonly requestedBy: number;
  readonly itemId: number;
  /** Unique per organization: the same request delivered twice redeems once. */
  readonly requestKey: string;
}

/**
 * Whether a request redeems on the member's behalf: asked by another member, or by an
 * actor who is not the member (an API token has no member, and names the member as
 * requestedBy or HR).
 */
export function onBehalf(request: RedemptionRequest, actor?: AdminActor): boolean {
  return actor ? actor.memberId !== request.memberId : request.requestedBy !== request.memberId;
}

export type RedemptionResult = Result<
  { redemption: Redemption; replayed: boolean },
  RewardRefusalCode
>;

type RedemptionRow = Selectable<RedemptionTable> & { item_name: string };

/** A redemption as its row, with its item's name, holds it. */
export function toRedemption(row: RedemptionRow): Redemption {
  return {
    id: row.id,
    organizationId: row.organization_id,
    itemId: row.item_id,
    itemName: row.item_name,
    memberId: row.member_id,
    requestedBy: row.requested_by,
    status: row.status,
    points: row.points,
    priceMinor: row.price_minor,
    currency: row.currency,
    fulfilment: row.fulfilment,
    webhookUrl: row.webhook_url,
    holdTransferId: row.hold_transfer_id,
    requestedAt: new Date(row.requested_at),
    expiresAt: new Date(row.expires_at),
    resolvedAt: row.resolved_at && new Date(row.resolved_at),
    resolvedBy: row.resolved_by,
    reason: row.reason,
    newsDue: row.told_status !== row.status && row.status !== 'fulfilling',
  };
}

/** A ledger idempotency key for one step of a redemption, within the ledger's 300 characters. */
function ledgerKey(step: string, key: string): string {
  const whole = `redemption:${step}:${key}`;
  return whole.length <= 300
    ? whole
    : `redemption:${step}:sha256:${createHash('sha256').update(key).digest('hex')}`;
}

/**
 * Redemptions of earned points, each step one database transaction: a request holds the
 * points (a pending ledger transfer) and reserves stock; fulfilment posts the hold and
 * writes the billing charge; rejection, cancellation or expiry voids the hold and
 * releases the stock. A redemption leaves `held` once: of two concurrent resolutions
 * exactly one wins, and the other is told what happened.
 */
export class Redemptions {
  constructor(
    private readonly db: Database,
    private readonly ledger: Ledger,
  ) {}

  /**
   * Holds the points and reserves the item. Given the actor of a redemption on someone's
   * behalf (HR), it is audited as `redemption.redeem_for` in the same transaction.
   */
  async request(request: RedemptionRequest, actor?: AdminActor): Promise<RedemptionResult> {
    const replay = await this.#byRequestKey(request.organizationId, request.requestKey);
    if (replay) return replayOf(replay, request);
    const { organizationId, memberId } = request;
    const [earned, organization] = await Promise.all([
      this.ledger.memberAccounts(organizationId, memberId),
      this.ledger.organizationAccounts(organizationId),
    ]);
    try {
      const redemption = await retryOnConflict(() =>
        this.db.transaction().execute(async (trx) => {
          await checkLeaverWindow(trx, organizationId, memberId, request.requestedBy);
          const item = await this.#reserveItem(trx, request);
          const settings = await loadRewardSettings(trx, organizationId);
          if (settings.monthlyBudgetMinor !== null) {
            await this.#checkBudget(trx, organizationId, settings.timezone, {
              budget: settings.monthlyBudgetMinor,
              price: item.priceMinor,
              currency: settings.currency,
            });
          }
          const held = await this.ledger.transfer(
            {
              organizationId,
              idempotencyKey: ledgerKey('hold', request.requestKey),
              transfers: [
                {
                  debitAccountId: earned.earned.id,
                  creditAccountId: organization.redemption_hold.id,
                  amount: item.pointsCost,
                  kind: 'redemption',
                  pending: true,
                  memo: `held for ${item.name}`,
                },
              ],
            },
            { within: trx },
          );
          if (!held.ok) throw new RefusalAbort(held);
          // The same request committed while this one waited for the item: it is the answer.
          if (held.value.replayed) throw new RequestRaced();
          const hold = held.value.transfers[0];
          if (!hold) throw new Error('a redemption hold made no transfer');
          const row = await trx
            .insertInto('redemptions')
            .values({
              organization_id: organizationId,
              item_id: item.id,
              member_id: memberId,
              requested_by: request.requestedBy,
              request_key: request.requestKey,
              points: item.pointsCost,
              price_minor: item.priceMinor,
              currency: settings.currency,
              fulfilment: item.fulfilment,
              webhook_url: item.webhookUrl,
              hold_transfer_id: hold.id,
              expires_at: sql<Date>`now() + make_interval(hours => ${settings.holdHours})`,
              // A member who redeemed for themselves has nothing to be told; HR's
              // redemption for them is news (see untold).
              told_status: onBehalf(request, actor) ? null : 'held',
            })
            .returningAll()
            .executeTakeFirstOrThrow();
          const redemption = toRedemption({ ...row, item_name: item.name });
          // An actor other than the member (HR, or an API token) redeems on their behalf.
          if (actor && actor.memberId !== memberId) {
            await writeAudit(trx, actor, redeemedFor(redemption));
          }
          return redemption;
        }),
      );
      return ok({ redemption, replayed: false });
    } catch (error) {
      if (error instanceof RequestRaced) {
        const first = await this.#byRequestKey(organizationId, request.requestKey);
        if (!first)
          throw new Error(`request ${request.requestKey} replayed a hold of no redemption`);
        return replayOf(first, request);
      }
      if (!(error instanceof RefusalAbort)) throw error;
      const refusal = error.refusal as RewardRefusal | { code: string; message: string };
      if (refusal.code === 'insufficient_balance') return this.#notEnough(request);
      if (refusal.code === 'idempotency_conflict') {
        // The same request raced itself: the first one's redemption is the answer.
        const first = await this.#byRequestKey(organizationId, request.requestKey);
        if (first) return replayOf(first, request);
      }
      return refusal as RewardRefusal;
    }
  }

  /**
   * Ends a held redemption. Fulfilment posts the hold, moves the points to `redeemed` and
   * writes the billing charge; the other outcomes void the hold and release the stock.
   * Expiry only ends a hold whose time is up. Given the actor of an HR decision, it is
   * audited (`redemption.fulfil`, `redemption.reject`) in the same transaction.
   */
  async resolve(
    organizationId: number,
    redemptionId: number,
    outcome: Resolution,
    by: { memberId: number | null; reason?: string },
    actor?: AdminActor,
  ): Promise<Result<Redemption, RewardRefusalCode>> {
    // Before the transaction, not in it: reading them may take a second pooled connection,
    // and as many fulfilments at once as the pool has connections would each hold one and
    // wait for ever for another (a fresh process, whose account cache is empty).
    const accounts = await this.ledger.organizationAccounts(organizationId);
    try {
      const redemption = await retryOnConflict(() =>
        this.db.transaction().execute(async (trx) => {
          const row = await this.#leaveHeld(trx, organizationId, redemptionId, outcome, by);
          if (outcome === 'fulfilled') await this.#fulfil(trx, row, accounts);
          else await this.#release(trx, row);
          const resolved = toRedemption({
            ...row,
            item_name: await this.#itemName(trx, row.item_id),
          });
          if (actor) await writeAudit(trx, actor, decided(resolved));
          return resolved;
        }),
      );
      return ok(redemption);
    } catch (error) {
      if (error instanceof RefusalAbort) return error.refusal as RewardRefusal;
      throw error;
    }
  }

  async find(organizationId: number, redemptionId: number): Promise<Redemption | undefined> {
    const row = await this.#rows(organizationId)
      .where('r.id', '=', redemptionId)
      .executeTakeFirst();
    return row && toRedemption(row);
  }

  /** A member's redemptions, newest first. */
  async ofMember(organizationId: number, memberId: number, limit = 20): Promise<Redemption[]> {
    const rows = await this.#rows(organizationId)
      .where('r.member_id', '=', memberId)
      .orderBy('r.id', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toRedemption);
  }

  /** The organization's redemptions waiting for HR, oldest first. */
  async held(organizationId: number, limit = 50): Promise<Redemption[]> {
    const rows = await this.#rows(organizationId)
      .where('r.status', '=', 'held')
      .orderBy('r.id')
      .limit(limit)
      .execute();
    return rows.map(toRedemption);
  }

  /**
   * Marks a webhook redemption as being delivered, from now; undefined when it was
   * resolved meanwhile (nothing is to be sent then).
   */
  async beginFulfilment(
    organizationId: number,
    redemptionId: number,
  ): Promise<Redemption | undefined> {
    const row = await this.db
      .updateTable('redemptions')
      .set({ status: 'fulfilling', fulfilling_since: sql<Date>`now()` })
      .where('organization_id', '=', organizationId)
      .where('id', '=', redemptionId)
      .where('status', 'in', ['held', 'fulfilling'])
      .returning('id')
      .executeTakeFirst();
    return row && this.find(organizationId, redemptionId);
  }

  /**
   * Gives a redemption back to HR: the webhook refused it, or no worker has tried it for
   * `idleMinutes` (its job was given up). Resolves with how many went back.
   */
  async returnToHeld(
    where: { organizationId: number; redemptionId: number } | { idleMinutes: number },
  ): Promise<number> {
    let update = this.db
      .updateTable('redemptions')
      .set({ status: 'held', fulfilling_since: null })
      .where('status', '=', 'fulfilling');
    update =
      'redemptionId' in where
        ? update
            .where('organization_id', '=', where.organizationId)
            .where('id', '=', where.redemptionId)
        : update.where(
            'fulfilling_since',
            '<',
            sql<Date>`now() - make_interval(mins => ${where.idleMinutes})`,
          );
    const rows = await update.returning('id').execute();
    return rows.length;
  }

  /** Held redemptions whose time is up, of every organization (for the sweep). */
  async expiredHolds(limit = 500): Promise<Array<{ organizationId: number; id: number }>> {
    const rows = await this.db
      .selectFrom('redemptions')
      .select(['organization_id', 'id'])
      .where('status', '=', 'held')
      .where('expires_at', '<=', sql<Date>`now()`)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((row) => ({ organizationId: row.organization_id, id: row.id }));
  }

  /** Held redemptions fulfilled by webhook, older than a minute, of every organization. */
  async heldWebhooks(limit = 500): Promise<Redemption[]> {
    const rows = await this.#withItemNames()
      .where('r.status', '=', 'held')
      .where('r.fulfilment', '=', 'webhook')
      .where('r.requested_at', '<', sql<Date>`now() - interval '1 minute'`)
      .orderBy('r.id')
      .limit(limit)
      .execute();
    return rows.map(toRedemption);
  }

  /**
   * Redemptions whose member has news not yet told (`newsDue`, here in SQL), changed more than
   * `graceSeconds` ago (the change's own request or job tells of it in that time), of
   * every organization or of one.
   */
  async untold(
    options: { graceSeconds?: number; organizationId?: number } = {},
    limit = 500,
  ): Promise<Redemption[]> {
    let query = this.#withItemNames()
      .where(sql<boolean>`r.told_status is distinct from r.status and r.status <> 'fulfilling'`)
      .where(
        sql<Date>`coalesce(r.resolved_at, r.requested_at)`,
        '<',
        sql<Date>`now() - make_interval(secs => ${options.graceSeconds ?? 60})`,
      );
    if (options.organizationId !== undefined) {
      query = query.where('r.organization_id', '=', options.organizationId);
    }
    const rows = await query.orderBy('r.id').limit(limit).execute();
    return rows.map(toRedemption);
  }

  /** Notes that the redemption's member was told of this status. */
  async told(redemption: Redemption): Promise<void> {
    // Only while it still has that status: a message about an older one changes nothing.
    await this.db
      .updateTable('redemptions')
      .set({ told_status: redemption.status })
      .where('organization_id', '=', redemption.organizationId)
      .where('id', '=', redemption.id)
      .where('status', '=', redemption.status)
      .execute();
  }

  /** Redemptions with their item's name, of every organization. */
  #withItemNames() {
    return this.db
      .selectFrom('redemptions as r')
      .innerJoin('reward_items as i', 'i.id', 'r.item_id')
      .selectAll('r')
      .select('i.name as item_name');
  }

  #rows(organizationId: number) {
    return this.#withItemNames().where('r.organization_id', '=', organizationId);
  }

  async #byRequestKey(organizationId: number, key: string): Promise<Redemption | undefined> {
    const row = await this.#rows(organizationId)
      .where('r.request_key', '=', key)
      .executeTakeFirst();
    return row && toRedemption(row);
  }

  /**
   * Locks the item, checks it may be redeemed, and takes one from its stock. The lock is
   * `for no key update`: it serializes the item's stock changes but, unlike `for update`,
   * lets rows that reference the item be written meanwhile. A fulfilment writes its charge
   * (which references the item) after locking the balances this request waits for, so a
   * `for update` here deadlocked the two whenever they met.
   */
  async #reserveItem(trx: Trx, request: RedemptionRequest) {
    const row = await trx
      .selectFrom('reward_items')
      .selectAll()
      .where('organization_id', '=', request.organizationId)
      .where('id', '=', request.itemId)
      .forNoKeyUpdate()
      .executeTakeFirst();
    if (!row) throw new RefusalAbort(unknownItem(`#${request.itemId}`));
    const item = toRewardItem(row);
    if (item.retired) {
      throw new RefusalAbort(
        rewardRefusal('retired_item', `“${item.name}” was retired from the catalog.`),
      );
    }
    if (!item.active) {
      throw new RefusalAbort(
        rewardRefusal('inactive_item', `“${item.name}” cannot be redeemed at the moment.`),
      );
    }
    if (item.stock !== null) {
      if (item.stock <= 0) {
        throw new RefusalAbort(
          rewardRefusal('out_of_stock', `“${item.name}” is out of stock; ask HR when it is back.`),
        );
      }
      await trx
        .updateTable('reward_items')
        .set({ stock: sql<number>`stock - 1` })
        .where('id', '=', item.id)
        .execute();
    }
    return item;
  }

  /**
   * Refuses a redemption that would take this month's charges, with the redemptions still
   * held, past the budget. The settings row is locked, so two redemptions cannot both
   * take the last of it.
   */
  async #checkBudget(
    trx: Trx,
    organizationId: number,
    timezone: string,
    wanted: { budget: number; price: number; currency: string },
  ): Promise<void> {
    await trx
      .selectFrom('reward_settings')
      .select('organization_id')
      .where('organization_id', '=', organizationId)
      .forUpdate()
      .execute();
    const { chargedMinor, heldMinor } = await committedThisMonth(trx, organizationId, timezone);
    const committed = chargedMinor + heldMinor;
    if (committed + wanted.price > wanted.budget) {
      const left = Math.max(0, wanted.budget - committed);
      throw new RefusalAbort(
        rewardRefusal(
          'over_budget',
          `This month's rewards budget has ${formatMoney(left, wanted.currency)} left, and this reward costs ${formatMoney(wanted.price, wanted.currency)}; ask HR, or try again next month.`,
        ),
      );
    }
  }

  async #notEnough(request: RedemptionRequest): Promise<RewardRefusal> {
    const [accounts, item] = await Promise.all([
      this.ledger.memberAccounts(request.organizationId, request.memberId),
      this.db
        .selectFrom('reward_items')
        .select(['name', 'points_cost'])
        .where('id', '=', request.itemId)
        .executeTakeFirstOrThrow(),
    ]);
    const balance = (await this.ledger.balances([accounts.earned.id])).get(accounts.earned.id);
    const whose = request.requestedBy === request.memberId ? 'You have' : 'They have';
    return rewardRefusal(
      'not_enough_points',
      `${whose} ${points(balance?.available ?? 0)} to spend, and “${item.name}” costs ${points(item.points_cost)}.`,
    );
  }

  /** Moves the redemption out of `held`, or says why it cannot. */
  async #leaveHeld(
    trx: Trx,
    organizationId: number,
    redemptionId: number,
    outcome: Resolution,
    by: { memberId: number | null; reason?: string },
  ): Promise<Selectable<RedemptionTable>> {
    // Once a worker is delivering it to the company's webhook, the company may already
    // have it: only fulfilment may end it then.
    const from: RedemptionStatus[] = outcome === 'fulfilled' ? ['held', 'fulfilling'] : ['held'];
    let update = trx
      .updateTable('redemptions')
      .set({
        status: outcome,
        fulfilling_since: null,
        resolved_at: sql<Date>`now()`,
        resolved_by: by.memberId,
        reason: by.reason ?? null,
        // The member ending it themselves has nothing to be told.
        told_status: sql<RedemptionStatus | null>`case when member_id = ${by.memberId}
          then ${outcome} else told_status end`,
      })
      .where('organization_id', '=', organizationId)
      .where('id', '=', redemptionId)
      .where('status', 'in', from);
    if (outcome === 'expired') update = update.where('expires_at', '<=', sql<Date>`now()`);
    const row = await update.returningAll().executeTakeFirst();
    if (row) return row;
    const current = await trx
      .selectFrom('redemptions')
      .select(['status'])
      .where('organization_id', '=', organizationId)
      .where('id', '=', redemptionId)
      .executeTakeFirst();
    if (!current) {
      throw new RefusalAbort(
        rewardRefusal('unknown_redemption', `There is no redemption #${redemptionId}.`),
      );
    }
    if (current.status === 'held') {
      throw new RefusalAbort(
        rewardRefusal('not_expired', `Redemption #${redemptionId} is still within its time.`),
      );
    }
    if (current.status === 'fulfilling') {
      throw new RefusalAbort(
        rewardRefusal(
          'being_fulfilled',
          `Redemption #${redemptionId} is being delivered to the company's fulfilment service right now, so it can no longer be ${outcome}; it comes back to HR if that fails.`,
        ),
      );
    }
    throw new RefusalAbort(
      rewardRefusal(
        'already_resolved',
        `Redemption #${redemptionId} was already ${current.status}; nothing changed.`,
      ),
    );
  }

  /** Posts the hold, moves the points to `redeemed`, and bills the company, once. */
  async #fulfil(
    trx: Trx,
    row: Selectable<RedemptionTable>,
    accounts: OrganizationAccounts,
  ): Promise<void> {
    const organizationId = row.organization_id;
    const posted = await this.ledger.postPending(
      {
        organizationId,
        idempotencyKey: ledgerKey('post', String(row.id)),
        transferId: row.hold_transfer_id,
      },
      { within: trx },
    );
    if (!posted.ok) throw new Error(`redemption ${row.id}: ${posted.message}`);
    const redeemed = await this.ledger.transfer(
      {
        organizationId,
        idempotencyKey: ledgerKey('redeem', String(row.id)),
        transfers: [
          {
            debitAccountId: accounts.redemption_hold.id,
            creditAccountId: accounts.redeemed.id,
            amount: row.points,
            kind: 'redemption',
            memo: `redemption #${row.id}`,
          },
        ],
      },
      { within: trx },
    );
    if (!redeemed.ok) throw new Error(`redemption ${row.id}: ${redeemed.message}`);
    await trx
      .insertInto('billing_charges')
      .values({
        organization_id: organizationId,
        redemption_id: row.id,
        item_id: row.item_id,
        member_id: row.member_id,
        amount_minor: row.price_minor,
        currency: row.currency,
      })
      .execute();
  }

  /** Voids the hold and gives the item its stock back. */
  async #release(trx: Trx, row: Selectable<RedemptionTable>): Promise<void> {
    // The item first: a request locks the item before the balances, and so does this.
    await trx
      .updateTable('reward_items')
      .set({ stock: sql<number>`stock + 1` })
      .where('id', '=', row.item_id)
      .where('stock', 'is not', null)
      .execute();
    const voided = await this.ledger.voidPending(
      {
        organizationId: row.organization_id,
        idempotencyKey: ledgerKey('void', String(row.id)),
        transferId: row.hold_transfer_id,
      },
      { within: trx },
    );
    if (!voided.ok) throw new Error(`redemption ${row.id}: ${voided.message}`);
  }

  async #itemName(trx: Trx, itemId: number): Promise<string> {
    const row = await trx
      .selectFrom('reward_items')
      .select('name')
      .where('id', '=', itemId)
      .executeTakeFirstOrThrow();
    return row.name;
  }
}

/** The audit action of a decision on a redemption, by how it ended. */
export function decisionAction(outcome: Resolution): string {
  const verbs: Record<Resolution, string> = {
    fulfilled: 'fulfil',
    rejected: 'reject',
    cancelled: 'cancel',
    expired: 'expire',
  };
  return `redemption.${verbs[outcome]}`;
}

function decided(redemption: Redemption) {
  return {
    action: decisionAction(redemption.status as Resolution),
    target: `redemption:${redemption.id}`,
    outcome: 'done' as const,
    after: {
      status: redemption.status,
      reason: redemption.reason,
      memberId: redemption.memberId,
      itemId: redemption.itemId,
      points: redemption.points,
      priceMinor: redemption.priceMinor,
      currency: redemption.currency,
    },
  };
}

function redeemedFor(redemption: Redemption) {
  return {
    action: 'redemption.redeem_for',
    target: `member:${redemption.memberId}`,
    outcome: 'done' as const,
    after: {
      redemptionId: redemption.id,
      itemId: redemption.itemId,
      itemName: redemption.itemName,
      points: redemption.points,
    },
  };
}

/** Thrown inside a request's transaction when its hold was made by the same request first. */
class RequestRaced extends Error {}

/**
 * The first answer to a request key, when the request is the same one again; a key reused
 * for another item or member is refused, as the ledger refuses a key reused for another
 * transfer, rather than answered with a redemption that was not asked for.
 */
function replayOf(first: Redemption, request: RedemptionRequest): RedemptionResult {
  if (
    first.itemId === request.itemId &&
    first.memberId === request.memberId &&
    first.requestedBy === request.requestedBy
  ) {
    return ok({ redemption: first, replayed: true });
  }
  return rewardRefusal(
    'idempotency_conflict',
    `This request was already used to redeem “${first.itemName}” (redemption #${first.id}); nothing changed.`,
  );
}
