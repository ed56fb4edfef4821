import { z } from 'zod/v4';
import {
  type Adjustment,
  adjustPoints,
  listAdjustments,
  MAX_ADJUSTMENT,
} from '../../../admin/adjustments.ts';
import { ok } from '../../../core/result.ts';
import { apiRoute } from '../api-route.ts';
import { id, idText, instant, iso, reason } from '../api-schemas.ts';
import { encodeCursor, pageOf, pageQuery } from '../pagination.ts';

const TAG = 'Adjustments';

const adjustmentSchema = z
  .object({
    id: id.describe('The ledger transfer’s id.'),
    memberId: id,
    amount: z.number().int().describe('Positive: granted; negative: deducted.'),
    reason: z.string(),
    actorName: z.string().nullable().describe('Who made it: a member or an API token.'),
    at: instant,
  })
  .meta({ title: 'Adjustment' });

const view = (adjustment: Adjustment) => ({ ...adjustment, at: iso(adjustment.at) });

const list = apiRoute({
  method: 'get',
  path: '/adjustments',
  operationId: 'listAdjustments',
  tag: TAG,
  summary: 'Points granted and deducted by hand, newest first',
  roles: ['admin'],
  what: 'read adjustments',
  query: z.object({
    ...pageQuery,
    member: idText.optional().describe("Only this member's."),
  }),
  response: pageOf(adjustmentSchema),
  handler: async ({ services, actor, query }) => {
    // The service pages up to 500 at a time.
    const limit = Math.min(query.limit, 500);
    const page = await listAdjustments(services.db, actor.organizationId, {
      limit,
      ...(query.cursor !== undefined && { before: query.cursor }),
      ...(query.member !== undefined && { memberId: query.member }),
    });
    return ok({
      items: page.adjustments.map(view),
      next_cursor: page.nextBefore === null ? null : encodeCursor(page.nextBefore),
    });
  },
});

const adjust = apiRoute({
  method: 'post',
  path: '/adjustments',
  operationId: 'adjustPoints',
  tag: TAG,
  summary: 'Grants (amount > 0) or deducts (amount < 0) points with a reason; the member is told',
  roles: ['admin'],
  what: 'grant or deduct points',
  action: ({ body }) => ((body?.amount ?? 0) < 0 ? 'adjustment.deduct' : 'adjustment.grant'),
  target: ({ body }) => (body ? `member:${body.memberId}` : null),
  idempotent: true,
  status: 201,
  body: z.object({
    memberId: id,
    amount: z
      .number()
      .int()
      .min(-MAX_ADJUSTMENT)
      .max(MAX_ADJUSTMENT)
      .refine((amount) => amount !== 0, { message: 'an adjustment moves at least one point' }),
    reason,
  }),
  response: adjustmentSchema,
  handler: async ({ services, actor, body, idempotencyKey }) => {
    const adjusted = await adjustPoints(services, actor, {
      memberId: body.memberId,
      amount: body.amount,
      reason: body.reason,
      idempotencyKey: `api:${idempotencyKey}`,
    });
    return adjusted.ok ? ok(view(adjusted.value)) : adjusted;
  },
});

export const ADJUSTMENT_ROUTES = [list, adjust];
