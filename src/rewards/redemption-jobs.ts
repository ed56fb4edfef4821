import type { Logger } from 'pino';
import { type JobHandler, type Jobs, PermanentJobFailure } from '../jobs/job-queue.ts';
import type { Redemption } from './redemptions.ts';
import {
  EXPIRE_REDEMPTION,
  FULFIL_REDEMPTION,
  type RedemptionJob,
  type RewardDesk,
  SWEEP_REDEMPTIONS,
} from './reward-desk.ts';
import { WEBHOOK_HEADERS, webhookSignature } from './webhook-signature.ts';

export interface RedemptionWorkerOptions {
  /** Signs webhook bodies; without it, webhook items cannot be fulfilled. */
  readonly webhookSecret: string | undefined;
  /** How long a webhook may take to answer. @defaultValue 10000 */
  readonly webhookTimeoutMs?: number;
  /** Unix seconds now, for the signature's timestamp. */
  readonly nowSeconds?: () => number;
  readonly logger: Logger;
}

/**
 * A webhook's answers that no retry changes (the receiver says the request itself is
 * wrong). Others (408, 409, 425, 429, 5xx, a timeout, no answer) are tried again.
 */
const PERMANENT_STATUSES = new Set([400, 401, 403, 404, 405, 410, 413, 422]);

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
  return {
    [FULFIL_REDEMPTION]: async (job) => {
      const { organizationId, redemptionId } = job.data as RedemptionJob;
      const redemption = await desk.redemptions.find(organizationId, redemptionId);
      if (redemption?.status !== 'held' || redemption.fulfilment !== 'webhook') {
        return;
      }
      if (!options.webhookSecret) {
        throw new PermanentJobFailure(
          'REWARD_WEBHOOK_SECRET is not set: webhook rewards cannot be fulfilled',
        );
      }
      await sendWebhook(desk, redemption, options);
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
      // Resolved before its time (the usual case), or not yet due (a delay cut short): the
      // sweep looks again later.
      if (!expired.ok && !['already_resolved', 'not_expired'].includes(expired.code)) {
        throw new Error(`redemption ${redemptionId}: ${expired.message}`);
      }
    },

    [SWEEP_REDEMPTIONS]: async () => {
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
      if (expired > 0 || waiting.length > 0) {
        logger.info({ expired, webhooks: waiting.length }, 'redemptions swept');
      }
    },
  };
}

async function sendWebhook(
  desk: RewardDesk,
  redemption: Redemption,
  options: RedemptionWorkerOptions,
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
    redirect: 'error',
    signal: AbortSignal.timeout(options.webhookTimeoutMs ?? 10_000),
  });
  await response.body?.cancel();
  if (response.ok) return;
  const failure = `the webhook answered ${response.status} for redemption ${redemption.id}`;
  if (PERMANENT_STATUSES.has(response.status)) throw new PermanentJobFailure(failure);
  throw new Error(failure);
}

/** Every ten minutes, UTC: expiries that are due, and webhook jobs that were never queued. */
export async function scheduleRedemptionSweep(jobs: Jobs): Promise<void> {
  await jobs.schedule('redemptions', {
    id: 'redemption-sweep',
    pattern: '*/10 * * * *',
    timezone: 'UTC',
    job: { name: SWEEP_REDEMPTIONS, data: {} },
  });
}

/** Takes the redemptions queue's jobs in this process. */
export function startRedemptionWorkers(
  jobs: Jobs,
  desk: RewardDesk,
  options: RedemptionWorkerOptions,
): void {
  jobs.work('redemptions', redemptionHandlers(desk, options), { concurrency: 4 });
}
