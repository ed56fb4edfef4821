import type { Response } from 'express';
import { z } from 'zod/v4';
import type { AdminRefusalCode } from '../../admin/admin-refusals.ts';
import type { Refusal } from '../../core/result.ts';
import type { RewardRefusalCode } from '../../rewards/reward-refusals.ts';

/** Every error the API answers with: a code a program can switch on, a sentence a person can read. */
export const apiErrorSchema = z
  .object({
    error: z.string().describe('A stable, machine-readable code, e.g. `not_admin`.'),
    message: z.string().describe('One sentence that says what went wrong and what to do.'),
  })
  .meta({ title: 'Error' });

export type ApiErrorBody = z.infer<typeof apiErrorSchema>;

/** The API's own refusals, beside those of the services it calls. */
export type ApiRefusalCode =
  | 'bad_request'
  | 'unauthorized'
  | 'not_found'
  | 'idempotency_key_required'
  | 'rate_limited'
  | 'too_large';

export type AnyRefusalCode = AdminRefusalCode | RewardRefusalCode | ApiRefusalCode;

/**
 * The HTTP status of each refusal that is not a plain 422 (a request understood and
 * refused by the rules of the program), in one place: a refusal of a service means the
 * same status on every route.
 */
const STATUS_OF: Partial<Record<AnyRefusalCode, number>> = {
  bad_request: 400,
  usage: 400,
  idempotency_key_required: 400,
  unauthorized: 401,
  not_admin: 403,
  not_hr: 403,
  not_found: 404,
  unknown_member: 404,
  unknown_recognition: 404,
  unknown_group: 404,
  unknown_token: 404,
  unknown_item: 404,
  unknown_redemption: 404,
  idempotency_conflict: 409,
  group_taken: 409,
  duplicate_item: 409,
  already_reversed: 409,
  already_resolved: 409,
  being_fulfilled: 409,
  retired_item: 409,
  too_large: 413,
  rate_limited: 429,
};

export function statusOf(code: string): number {
  return STATUS_OF[code as AnyRefusalCode] ?? 422;
}

/** The statuses a route may answer with besides its success, for the OpenAPI document. */
export const ERROR_STATUSES = [400, 401, 403, 404, 409, 413, 422, 429] as const;

export function sendRefusal(res: Response, refusal: Pick<Refusal, 'code' | 'message'>): void {
  res.status(statusOf(refusal.code)).json({ error: refusal.code, message: refusal.message });
}

export function notFound(message: string): Refusal<'not_found'> {
  return { ok: false, code: 'not_found', message };
}

/** zod's issues as one sentence: where each problem is, and what was expected there. */
export function issuesSentence(where: string, error: z.ZodError): string {
  const parts = error.issues.slice(0, 5).map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join('.') : where;
    return `${path}: ${issue.message}`;
  });
  const more = error.issues.length > 5 ? ` (and ${error.issues.length - 5} more)` : '';
  return `The ${where} is not right — ${parts.join('; ')}${more}.`;
}
