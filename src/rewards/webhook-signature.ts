import { createHmac } from 'node:crypto';
import { sameSecret } from '../core/secrets.ts';

/** Headers of a redemption webhook. */
export const WEBHOOK_HEADERS = {
  signature: 'x-plaudit-signature',
  timestamp: 'x-plaudit-timestamp',
  idempotencyKey: 'idempotency-key',
} as const;

/**
 * The signature of a webhook body: `v1=` + hex HMAC-SHA256 of `{timestamp}.{body}` with
 * the shared secret, as Slack and Stripe sign theirs. The timestamp (Unix seconds) is in
 * its own header; a receiver refuses old ones, so a captured request cannot be replayed
 * later.
 */
export function webhookSignature(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Checks a signature as a receiver would, within `toleranceSeconds` of `nowSeconds`. */
export function verifyWebhookSignature(
  secret: string,
  request: { timestamp: string | undefined; signature: string | undefined; body: string },
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  const timestamp = Number(request.timestamp);
  if (!Number.isInteger(timestamp) || Math.abs(nowSeconds - timestamp) > toleranceSeconds) {
    return false;
  }
  return sameSecret(request.signature ?? '', webhookSignature(secret, timestamp, request.body));
}
