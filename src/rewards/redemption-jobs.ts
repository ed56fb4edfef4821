import type { Logger } from 'pino';
import { type Dispatcher, fetch } from 'undici';
import { type JobHandler, type Jobs, PermanentJobFailure } from '../jobs/job-queue.ts';
import { keepTrying } from '../jobs/keep-trying.ts';
import type { Redemption } from './redemptions.ts';
import {
  EXPIRE_REDEMPTION,
  FULFIL_REDEMPTION,
  type RedemptionJob,
  type RewardDesk,
  SWEEP_REDEMPTIONS,
} from './reward-desk.ts';
import { WebhookAllowList } from './webhook-addresses.ts';
import { addressRefusalOf, type ResolveHost, webhookAgent } from './webhook-connections.ts';
import { WEBHOOK_HEADERS, webhookSignature } from './webhook-signature.ts';

export interface RedemptionWorkerOptions {
  /** Signs webhook bodies; without it, webhook items cannot be fulfilled. */
  readonly webhookSecret: string | undefined;
  /** How long a webhook may take to answer. @defaultValue 10000 */
  readonly webhookTimeoutMs?: number;
  /** Unix seconds now, for the signature's timestamp. */
  readonly nowSeconds?: () => number;
  /**
   * Internal hosts webhooks may reach (REWARD_WEBHOOK_ALLOWED_HOSTS); other than these,
   * only addresses on the internet. @defaultValue {@link WebhookAllowList.NONE}
   */
  readonly allowList?: WebhookAllowList;
  /** Resolves webhook hostnames; tests point a made-up name at this machine. @defaultValue dns.lookup */
  readonly resolveHost?: ResolveHost;
  readonly logger: Logger;
}

/** What sending a webhook needs besides the redemption: the options, and the guarded agent. */
interface Sender extends RedemptionWorkerOptions {
  readonly agent: Dispatcher;
}

/**
 * A webhook's answers that no retry changes (the receiver says the request itself is
 * wrong). Others (408, 409, 425, 429, 5xx, a timeout, no answer) are tried again.
 */
const PERMANENT_STATUSES = new Set([400, 401, 403, 404, 405, 410, 413, 422]);

/**
 * A redemption being fulfilled that no worker has tried for this long goes back to HR:
 * longer than a fulfilment job's whole retry schedule (12 attempts from 5 s, under 3 h).
 */
const STALLED_FULFILMENT_MINUTES = 6 * 60;

/** The body a webhook receives: the redemption, named by a key that never changes. */
export interface RedemptionWebhookPayload {
  readonly type: 'redemption.fulfil';
  readonly idempotencyKey: string;
  readonly organizationId: number;
  readonly redemption: {
    readonly id: number;
    readonly item: { readonly id: number; readonly name: string };
    readonly member: { readonly id: number; readonly name: string; readonly email: string | null };
    readonly points: number;
    readonly price: { readonly amountMinor: number; readonly currency: string };
    readonly requestedAt: string;
  };
}

/** The idempotency key of a redemption's webhook: the same on every attempt, by any worker. */
export function webhookIdempotencyKey(redemption: Redemption): string {
  return `plaudit-redemption-${redemption.organizationId}-${redemption.id}`;
}

/**
 * The redemptions queue's handlers. Each step can run again without harm: a webhook sent
 * twice carries the same idempotency key, and fulfilment (which posts the hold and bills)
 * happens only while the redemption is still held, once. So a worker killed at any point
 * loses nothing and bills nothing twice.
 */
export function redemptionHandlers(
  desk: RewardDesk,
  options: RedemptionWorkerOptions,
): Record<string, JobHandler> {
  const { logger } = options;
  const sender: Sender = {
    ...options,
    agent: webhookAgent(options.allowList ?? WebhookAllowList.NONE, options.resolveHost),
  };
  return {
    [FULFIL_REDEMPTION]: async (job) => {
      const { organizationId, redemptionId } = job.data as RedemptionJob;
      const redemption = await desk.redemptions.find(organizationId, redemptionId);
      if (redemption?.fulfilment !== 'webhook') return;
      if (redemption.status !== 'held' && redemption.status !== 'fulfilling') {
        // Ended by an earlier run of this job whose worker died between the commit and
        // telling the member (or while the queue was away): tell them now.
        if (redemption.newsDue) await desk.tellNews(redemption);
        return;
      }
      if (!options.webhookSecret) {
        throw new PermanentJobFailure(
          'REWARD_WEBHOOK_SECRET is not set: webhook rewards cannot be fulfilled',
        );
      }
      // From here HR can no longer reject it: the company's system may have it already.
      const delivering = await desk.redemptions.beginFulfilment(organizationId, redemptionId);
      if (!delivering) return;
      try {
        await sendWebhook(desk, delivering, sender);
      } catch (error) {
        // The receiver said no: it does not have it, so HR may decide after all. A passing
        // failure keeps it being fulfilled; the retry sends it again, with the same key.
        if (error instanceof PermanentJobFailure) {
          await desk.redemptions.returnToHeld({ organizationId, redemptionId });
        }
        throw error;
      }
      const fulfilled = await desk.resolve(organizationId, redemptionId, 'fulfilled', {
        memberId: null,
      });
      // Rejected or expired meanwhile: the receiver was told, but nothing is billed.
      if (!fulfilled.ok && fulfilled.code !== 'already_resolved') {
        throw new Error(`redemption ${redemptionId}: ${fulfilled.message}`);
      }
      if (!fulfilled.ok) {
        logger.warn({ redemptionId }, 'a webhook fulfilled a redemption resolved meanwhile');
      }
    },

    [EXPIRE_REDEMPTION]: async (job) => {
      const { organizationId, redemptionId } = job.data as RedemptionJob;
      const expired = await desk.resolve(organizationId, redemptionId, 'expired', {
        memberId: null,
      });
      if (expired.ok) return;
      // Not yet due (a delay cut short, or a clock ahead of the database's): the sweep
      // looks again later.
      if (expired.code === 'not_expired') return;
      if (expired.code !== 'already_resolved') {
        throw new Error(`redemption ${redemptionId}: ${expired.message}`);
      }
      // Resolved before its time (the usual case), or expired by an earlier run whose
      // worker died before telling the member: tell them now (once, by the message's id).
      const redemption = await desk.redemptions.find(organizationId, redemptionId);
      if (redemption?.status === 'expired' && redemption.newsDue) await desk.tellNews(redemption);
    },

    [SWEEP_REDEMPTIONS]: async () => {
      // Being fulfilled with no attempt for longer than a job's whole retry schedule: its
      // job was given up, so HR decides (after checking the company's system).
      const returned = await desk.redemptions.returnToHeld({
        idleMinutes: STALLED_FULFILMENT_MINUTES,
      });
      let expired = 0;
      for (const due of await desk.redemptions.expiredHolds()) {
        const result = await desk.resolve(due.organizationId, due.id, 'expired', {
          memberId: null,
        });
        if (result.ok) expired += 1;
      }
      // Jobs that could not be queued when their redemption was made (Redis away).
      const waiting = await desk.redemptions.heldWebhooks();
      for (const redemption of waiting) await desk.queueJobs(redemption);
      // Members never told of a change (Redis away then, or a worker died right after it).
      const told = await desk.tellUntold();
      if (expired > 0 || waiting.length > 0 || returned > 0 || told > 0) {
        logger.info({ expired, webhooks: waiting.length, returned, told }, 'redemptions swept');
      }
    },
  };
}

async function sendWebhook(
  desk: RewardDesk,
  redemption: Redemption,
  options: Sender,
): Promise<void> {
  const url = redemption.webhookUrl;
  const secret = options.webhookSecret;
  if (!url || !secret) throw new PermanentJobFailure('no webhook to send to');
  const member = await desk.db
    .selectFrom('members')
    .select(['display_name', 'email'])
    .where('id', '=', redemption.memberId)
    .executeTakeFirstOrThrow();
  const key = webhookIdempotencyKey(redemption);
  const payload: RedemptionWebhookPayload = {
    type: 'redemption.fulfil',
    idempotencyKey: key,
    organizationId: redemption.organizationId,
    redemption: {
      id: redemption.id,
      item: { id: redemption.itemId, name: redemption.itemName },
      member: { id: redemption.memberId, name: member.display_name, email: member.email },
      points: redemption.points,
      price: { amountMinor: redemption.priceMinor, currency: redemption.currency },
      requestedAt: redemption.requestedAt.toISOString(),
    },
  };
  const body = JSON.stringify(payload);
  const timestamp = options.nowSeconds?.() ?? Math.floor(Date.now() / 1000);
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [WEBHOOK_HEADERS.idempotencyKey]: key,
      [WEBHOOK_HEADERS.timestamp]: String(timestamp),
      [WEBHOOK_HEADERS.signature]: webhookSignature(secret, timestamp, body),
    },
    body,
    // Not followed: a redirect could lead where the address guard would not let it go.
    redirect: 'manual',
    dispatcher: options.agent,
    signal: AbortSignal.timeout(options.webhookTimeoutMs ?? 10_000),
  }).catch((error: unknown) => {
    const refused = addressRefusalOf(error);
    // Nothing was sent, and no retry changes where the address leads.
    if (refused) throw new PermanentJobFailure(`redemption ${redemption.id}: ${refused.message}`);
    throw error;
  });
  await response.body?.cancel();
  if (response.ok) return;
  const failure = `the webhook answered ${response.status} for redemption ${redemption.id}`;
  if (response.status >= 300 && response.status < 400) {
    throw new PermanentJobFailure(`${failure}: redirects are not followed`);
  }
  if (PERMANENT_STATUSES.has(response.status)) throw new PermanentJobFailure(failure);
  throw new Error(failure);
}

/** The id of the sweep's job scheduler on the redemptions queue. */
export const REDEMPTION_SWEEP_ID = 'redemption-sweep';

/** Every ten minutes, UTC: expiries that are due, and webhook jobs that were never queued. */
export async function scheduleRedemptionSweep(jobs: Jobs): Promise<void> {
  await jobs.schedule('redemptions', {
    id: REDEMPTION_SWEEP_ID,
    pattern: '*/10 * * * *',
    timezone: 'UTC',
    job: { name: SWEEP_REDEMPTIONS, data: {} },
  });
}

/**
 * Schedules the sweep in the background: a process must start while Redis is away, so
 * this tries again every few seconds until Redis answers or the signal stops it. Without
 * the sweep, a hold whose expiry job was lost (or ran early, on a clock ahead of the
 * database's) would never expire. Resolves when scheduled or stopped.
 */
export async function keepRedemptionSweep(
  jobs: Jobs,
  logger: Logger,
  signal: AbortSignal,
  retryMs = 5000,
): Promise<void> {
  await keepTrying(
    'the redemption sweep',
    () => scheduleRedemptionSweep(jobs),
    logger,
    signal,
    retryMs,
  );
}

/** Takes the redemptions queue's jobs in this process. */
export function startRedemptionWorkers(
  jobs: Jobs,
  desk: RewardDesk,
  options: RedemptionWorkerOptions,
): void {
  jobs.work('redemptions', redemptionHandlers(desk, options), { concurrency: 4 });
}
