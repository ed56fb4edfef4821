import type { Logger } from 'pino';
import type { AdminActor } from '../admin/admin-actor.ts';
import { deadline } from '../core/deadline.ts';
import type { Result } from '../core/result.ts';
import type { Database } from '../db/database.ts';
import type { Jobs } from '../jobs/job-queue.ts';
import type { Ledger } from '../ledger/ledger.ts';
import {
  SEND_RETRIES,
  TELL_PERSON,
  type TellPersonJob,
} from '../notifications/kudos-notifications.ts';
import { points } from '../recognition/wording.ts';
import { RewardCatalog } from './catalog.ts';
import { requireHrActor } from './hr-access.ts';
import {
  decisionAction,
  onBehalf,
  type Redemption,
  type RedemptionRequest,
  type RedemptionResult,
  Redemptions,
  type Resolution,
} from './redemptions.ts';
import type { RewardRefusalCode } from './reward-refusals.ts';
import type { WebhookAllowList } from './webhook-addresses.ts';

/** The redemptions queue's jobs. */
export const FULFIL_REDEMPTION = 'fulfil-redemption';
export const EXPIRE_REDEMPTION = 'expire-redemption';
export const SWEEP_REDEMPTIONS = 'sweep-redemptions';

export interface RedemptionJob {
  readonly organizationId: number;
  readonly redemptionId: number;
}

/** How often a webhook fulfilment is tried, and the first wait between tries (each next doubles). */
export interface WebhookRetries {
  readonly attempts: number;
  readonly backoffMs: number;
}

/** Webhook fulfilment is tried this often, 5 s, 10 s, 20 s … apart (about 2 h 50 min in all). */
export const WEBHOOK_RETRIES: WebhookRetries = { attempts: 12, backoffMs: 5000 };

export interface RewardDeskOptions {
  /**
   * Retries of a webhook fulfilment job; tests shorten them to keep quick.
   * @defaultValue {@link WEBHOOK_RETRIES}
   */
  readonly webhookRetries?: WebhookRetries;
  /**
   * Internal hosts the catalog's webhooks may go to (REWARD_WEBHOOK_ALLOWED_HOSTS).
   * @defaultValue {@link WebhookAllowList.NONE}: addresses on the internet only
   */
  readonly webhookAllowList?: WebhookAllowList;
}

/** How long adding a job may take before the caller goes on without it (the sweep adds it later). */
const QUEUE_TIMEOUT_MS = 5000;

/**
 * Where rewards are redeemed and decided: the catalog, the redemptions, and what follows
 * each change — the redemption's jobs (webhook fulfilment, expiry) and a message to the
 * member. The database is the record; a job or message that cannot be queued now (Redis
 * away) is logged, and the periodic sweep queues the jobs again.
 */
export class RewardDesk {
  readonly catalog: RewardCatalog;
  readonly redemptions: Redemptions;

  constructor(
    readonly db: Database,
    readonly ledger: Ledger,
    private readonly jobs: Jobs,
    private readonly logger: Logger,
    private readonly options: RewardDeskOptions = {},
  ) {
    this.catalog = new RewardCatalog(db, options.webhookAllowList);
    this.redemptions = new Redemptions(db, ledger);
  }

  /**
   * Redeems for the member, or on their behalf. Given the actor (HR redeeming for someone,
   * in chat or over HTTP), the role is checked and the redemption audited as
   * `redemption.redeem_for`.
   */
  async redeem(request: RedemptionRequest, actor?: AdminActor): Promise<RedemptionResult> {
    // On someone's behalf: asked by another member, or by an actor who is not the member
    // (an API token has no member, and names HR's member as requestedBy or not at all).
    if (onBehalf(request, actor)) {
      const denied = await requireHrActor(this.db, actor, 'redeem on someone’s behalf', {
        action: 'redemption.redeem_for',
        target: `member:${request.memberId}`,
        wanted: { itemId: request.itemId },
      });
      if (denied) return denied;
    }
    const result = await this.redemptions.request(request, actor);
    if (!result.ok || result.value.replayed) return result;
    const { redemption } = result.value;
    await this.queueJobs(redemption);
    if (redemption.newsDue) await this.tellNews(redemption);
    return result;
  }

  /**
   * Ends a held redemption and tells the member, unless they ended it themselves. Given the
   * actor of an HR decision, the role is checked and the decision audited.
   */
  async resolve(
    organizationId: number,
    redemptionId: number,
    outcome: Resolution,
    by: { memberId: number | null; reason?: string },
    actor?: AdminActor,
  ): Promise<Result<Redemption, RewardRefusalCode>> {
    const denied = await requireHrActor(this.db, actor, 'decide redemptions', {
      action: decisionAction(outcome),
      target: `redemption:${redemptionId}`,
      wanted: by.reason === undefined ? undefined : { reason: by.reason },
    });
    if (denied) return denied;
    const result = await this.redemptions.resolve(organizationId, redemptionId, outcome, by, actor);
    if (result.ok && result.value.newsDue) await this.tellNews(result.value);
    return result;
  }

  /** Queues a held redemption's expiry, and its webhook fulfilment; adding twice adds once. */
  async queueJobs(redemption: Redemption): Promise<void> {
    const data: RedemptionJob = {
      organizationId: redemption.organizationId,
      redemptionId: redemption.id,
    };
    await this.#add(
      this.jobs.add('redemptions', EXPIRE_REDEMPTION, data, {
        jobId: `redemption-${redemption.id}-expiry`,
        delayMs: Math.max(0, redemption.expiresAt.getTime() - Date.now()),
        attempts: 5,
        backoffMs: 60_000,
      }),
      redemption,
    );
    if (redemption.fulfilment === 'webhook') {
      await this.#add(
        this.jobs.add('redemptions', FULFIL_REDEMPTION, data, {
          jobId: `redemption-${redemption.id}`,
          ...(this.options.webhookRetries ?? WEBHOOK_RETRIES),
        }),
        redemption,
      );
    }
  }

  /**
   * Tells the member the news of their redemption (HR redeemed it for them, or how it
   * ended), and once the queue has the message, notes them as told. The message's job id
   * names the redemption and the status, so telling again (a job re-run after its worker
   * died) is one message.
   */
  async tellNews(redemption: Redemption): Promise<void> {
    const job: TellPersonJob = {
      organizationId: redemption.organizationId,
      memberId: redemption.memberId,
      text: newsOf(redemption),
    };
    const queued = await this.#add(
      this.jobs.add('notifications', TELL_PERSON, job, {
        jobId: `redemption-${redemption.id}-${redemption.status}`,
        ...SEND_RETRIES,
      }),
      redemption,
    );
    if (!queued) return;
    try {
      await this.redemptions.told(redemption);
    } catch (error) {
      // The message is queued; the sweep will queue it again, which its job id makes one
      // message while BullMQ keeps the first (an hour).
      this.logger.warn({ err: error, redemptionId: redemption.id }, 'a told redemption not noted');
    }
  }

  /**
   * Tells the members of redemptions whose news was never told (the queue was away, or a
   * worker died between a change and its message): the sweep's part. Resolves with how
   * many it told.
   */
  async tellUntold(
    options: { graceSeconds?: number; organizationId?: number } = {},
  ): Promise<number> {
    const untold = await this.redemptions.untold(options);
    for (const redemption of untold) await this.tellNews(redemption);
    return untold.length;
  }

  /** Adds a job, or logs that the sweep will: resolves with whether the queue took it. */
  async #add(adding: Promise<void>, redemption: Redemption): Promise<boolean> {
    try {
      await deadline(adding, QUEUE_TIMEOUT_MS, 'the job queue');
      return true;
    } catch (error) {
      this.logger.warn(
        { err: error, redemptionId: redemption.id, status: redemption.status },
        'a redemption job waits for the sweep: the queue is away',
      );
      return false;
    }
  }
}

/**
 * The news a member is told of their redemption: HR redeemed it for them (while held), or
 * how it ended.
 */
function newsOf(redemption: Redemption): string {
  const what = `Your redemption #${redemption.id} of “${redemption.itemName}”`;
  const back = `your ${points(redemption.points)} are back to spend`;
  switch (redemption.status) {
    case 'fulfilled':
      return `${what} was fulfilled. Enjoy!`;
    case 'rejected':
      return `${what} was rejected${redemption.reason ? `: ${redemption.reason}` : ''}. ${capitalized(back)}.`;
    case 'cancelled':
      return `${what} was cancelled; ${back}.`;
    case 'expired':
      return `${what} expired before it was fulfilled; ${back}.`;
    case 'held':
      return `HR redeemed “${redemption.itemName}” for you (redemption #${redemption.id}): ${points(redemption.points)} are held until it is fulfilled.`;
    case 'fulfilling':
      return `${what} is being fulfilled; ${points(redemption.points)} are held for it.`;
  }
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
