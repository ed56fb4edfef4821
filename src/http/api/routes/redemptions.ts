import { z } from 'zod/v4';
import { ok } from '../../../core/result.ts';
import type { RedemptionStatus } from '../../../db/tables.ts';
import { type Redemption, toRedemption } from '../../../rewards/redemptions.ts';
import { notFound } from '../api-errors.ts';
import { apiRoute } from '../api-route.ts';
import { id, idParams, idText, instant, iso, isoOrNull, reason } from '../api-schemas.ts';
import { newestFirstPage, pageOf, pageQuery } from '../pagination.ts';

const TAG = 'Redemptions';

const STATUSES = [
  'held',
  'fulfilling',
  'fulfilled',
  'rejected',
  'cancelled',
  'expired',
] as const satisfies readonly RedemptionStatus[];

const redemptionSchema = z
  .object({
    id,
    rewardId: id,
    rewardName: z.string(),
    memberId: id.describe('Whose points pay for it.'),
    requestedBy: id.describe('Who asked: the member, or HR on their behalf.'),
    status: z.enum(STATUSES),
    points: z.number().int(),
    priceMinor: z.number().int(),
    currency: z.string(),
    fulfilment: z.enum(['manual', 'webhook']),
    requestedAt: instant,
    expiresAt: instant.describe('When the hold ends if HR has not decided.'),
    resolvedAt: instant.nullable(),
    resolvedBy: id
      .nullable()
      .describe('The member who decided; null for an API token or the system.'),
    reason: z.string().nullable(),
  })
  .meta({ title: 'Redemption' });

const view = (redemption: Redemption) => ({
  id: redemption.id,
  rewardId: redemption.itemId,
  rewardName: redemption.itemName,
  memberId: redemption.memberId,
  requestedBy: redemption.requestedBy,
  status: redemption.status,
  points: redemption.points,
  priceMinor: redemption.priceMinor,
  currency: redemption.currency,
  fulfilment: redemption.fulfilment,
  requestedAt: iso(redemption.requestedAt),
  expiresAt: iso(redemption.expiresAt),
  resolvedAt: isoOrNull(redemption.resolvedAt),
  resolvedBy: redemption.resolvedBy,
  reason: redemption.reason,
});

const list = apiRoute({
  method: 'get',
  path: '/redemptions',
  operationId: 'listRedemptions',
  tag: TAG,
  summary: 'Redemptions, newest first, by status or member',
  roles: ['hr'],
  what: 'read redemptions',
  query: z.object({
    ...pageQuery,
    status: z.enum(STATUSES).optional(),
    member: idText.optional().describe("Only this member's."),
  }),
  response: pageOf(redemptionSchema),
  handler: async ({ services, actor, query }) => {
    let select = services.db
      .selectFrom('redemptions as r')
      .innerJoin('reward_items as i', 'i.id', 'r.item_id')
      .selectAll('r')
      .select('i.name as item_name')
      .where('r.organization_id', '=', actor.organizationId);
    if (query.status !== undefined) select = select.where('r.status', '=', query.status);
    if (query.member !== undefined) select = select.where('r.member_id', '=', query.member);
    return ok(await newestFirstPage(select, 'r.id', query, (row) => view(toRedemption(row))));
  },
});

const get = apiRoute({
  method: 'get',
  path: '/redemptions/{id}',
  operationId: 'getRedemption',
  tag: TAG,
  summary: 'A redemption',
  roles: ['hr'],
  what: 'read redemptions',
  params: idParams,
  response: redemptionSchema,
  handler: async ({ services, actor, params }) => {
    const redemption = await services.desk.redemptions.find(actor.organizationId, params.id);
    return redemption
      ? ok(view(redemption))
      : notFound(`There is no redemption ${params.id} here.`);
  },
});

const decide = apiRoute({
  method: 'post',
  path: '/redemptions/{id}/decisions',
  operationId: 'decideRedemption',
  tag: TAG,
  summary:
    'Fulfils a held redemption (billing it) or rejects it with a reason (its points go back)',
  roles: ['hr'],
  what: 'decide redemptions',
  action: ({ body }) => (body?.decision === 'reject' ? 'redemption.reject' : 'redemption.fulfil'),
  target: ({ params }) => `redemption:${params.id}`,
  params: idParams,
  body: z.discriminatedUnion('decision', [
    z.object({ decision: z.literal('fulfil'), reason: reason.optional() }),
    z.object({ decision: z.literal('reject'), reason }),
  ]),
  response: redemptionSchema,
  handler: async ({ services, actor, params, body }) => {
    const decided = await services.desk.resolve(
      actor.organizationId,
      params.id,
      body.decision === 'fulfil' ? 'fulfilled' : 'rejected',
      { memberId: null, ...(body.reason !== undefined && { reason: body.reason }) },
      actor,
    );
    return decided.ok ? ok(view(decided.value)) : decided;
  },
});

const redeemFor = apiRoute({
  method: 'post',
  path: '/redemptions',
  operationId: 'redeemForMember',
  tag: TAG,
  summary: "Redeems a reward on a member's behalf: their points are held until HR decides",
  roles: ['hr'],
  what: "redeem on someone's behalf",
  action: 'redemption.redeem_for',
  target: ({ body }) => (body ? `member:${body.memberId}` : null),
  idempotent: true,
  status: 201,
  body: z.object({ memberId: id, rewardId: id }),
  response: redemptionSchema,
  handler: async ({ services, actor, body, idempotencyKey }) => {
    const member = await services.db
      .selectFrom('members')
      .select('id')
      .where('organization_id', '=', actor.organizationId)
      .where('id', '=', body.memberId)
      .executeTakeFirst();
    if (!member) return notFound(`There is no member ${body.memberId} here.`);
    // `requested_by` names a member, and a token is none: the member stands in it, and the
    // token is the actor the audit log names.
    const redeemed = await services.desk.redeem(
      {
        organizationId: actor.organizationId,
        memberId: member.id,
        requestedBy: member.id,
        itemId: body.rewardId,
        requestKey: `api:${idempotencyKey}`,
      },
      actor,
    );
    return redeemed.ok ? ok(view(redeemed.value.redemption)) : redeemed;
  },
});

export const REDEMPTION_ROUTES = [list, get, decide, redeemFor];
