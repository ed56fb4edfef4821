import { z } from 'zod/v4';
import { csvDocument } from '../../../core/csv.ts';
import { ok } from '../../../core/result.ts';
import { monthlyStatement, parseMonth } from '../../../rewards/billing.ts';
import { statementCsv } from '../../../rewards/statement-csv.ts';
import { apiRoute } from '../api-route.ts';
import { id, instant, instantQuery, iso } from '../api-schemas.ts';
import { newestFirstPage, pageOf, pageQuery } from '../pagination.ts';

const TAG = 'Billing';

/** What every charge says, in the listing and in a statement. */
const chargeFields = {
  id,
  chargedAt: instant,
  redemptionId: id,
  rewardId: id,
  rewardName: z.string(),
  memberId: id,
  memberName: z.string(),
};

const chargeSchema = z
  .object({
    ...chargeFields,
    amountMinor: z.number().int().describe('What the company was billed, in minor units.'),
    currency: z.string(),
  })
  .meta({ title: 'Charge' });

type ChargeView = z.input<typeof chargeSchema>;

const CHARGE_CSV_HEADER = [
  'charge_id',
  'charged_at',
  'redemption_id',
  'reward_id',
  'reward',
  'member_id',
  'member',
  'amount_minor',
  'currency',
] as const;

const chargesCsv = (charges: readonly ChargeView[]) =>
  csvDocument(
    CHARGE_CSV_HEADER,
    charges.map((charge) => [
      String(charge.id),
      charge.chargedAt,
      String(charge.redemptionId),
      String(charge.rewardId),
      charge.rewardName,
      String(charge.memberId),
      charge.memberName,
      String(charge.amountMinor),
      charge.currency,
    ]),
  );

const charges = apiRoute({
  method: 'get',
  path: '/charges',
  operationId: 'listCharges',
  tag: TAG,
  summary: 'Billing charges, one per fulfilled redemption, newest first',
  roles: ['hr'],
  what: 'read the billing charges',
  query: z.object({
    ...pageQuery,
    since: instantQuery.optional().describe('Charged at or after this instant (ISO 8601).'),
    until: instantQuery.optional().describe('Charged before this instant (ISO 8601).'),
  }),
  response: pageOf(chargeSchema),
  csv: (page) => ({ csv: chargesCsv(page.items), filename: 'plaudit-charges.csv' }),
  handler: async ({ services, actor, query }) => {
    let select = services.db
      .selectFrom('billing_charges as c')
      .innerJoin('reward_items as i', 'i.id', 'c.item_id')
      .innerJoin('members as m', 'm.id', 'c.member_id')
      .select([
        'c.id',
        'c.charged_at',
        'c.redemption_id',
        'c.item_id',
        'i.name as item_name',
        'c.member_id',
        'm.display_name as member_name',
        'c.amount_minor',
        'c.currency',
      ])
      .where('c.organization_id', '=', actor.organizationId);
    if (query.since !== undefined) select = select.where('c.charged_at', '>=', query.since);
    if (query.until !== undefined) select = select.where('c.charged_at', '<', query.until);
    return ok(
      await newestFirstPage(select, 'c.id', query, (row) => ({
        id: row.id,
        chargedAt: iso(new Date(row.charged_at)),
        redemptionId: row.redemption_id,
        rewardId: row.item_id,
        rewardName: row.item_name,
        memberId: row.member_id,
        memberName: row.member_name,
        amountMinor: row.amount_minor,
        currency: row.currency,
      })),
    );
  },
});

const line = z.object({ name: z.string(), count: z.number().int(), totalMinor: z.number().int() });

const statement = apiRoute({
  method: 'get',
  path: '/statements/{month}',
  operationId: 'readStatement',
  tag: TAG,
  summary: "A month's billing statement: the charges, by reward and by group",
  description:
    "The month is a calendar month of the organization's time zone. With `format=csv`, the charges as CSV, amounts in major units.",
  roles: ['hr'],
  what: 'read billing statements',
  params: z.object({
    month: z
      .string()
      .refine((text) => parseMonth(text) !== undefined, { message: 'a month as YYYY-MM' })
      .describe('YYYY-MM, e.g. 2026-11.'),
  }),
  response: z
    .object({
      month: z.string(),
      currency: z.string(),
      count: z.number().int(),
      totalMinor: z.number().int(),
      byReward: z.array(line),
      byGroup: z
        .array(line)
        .describe("A charge counts in each of its member's groups; `(no group)` for none."),
      charges: z.array(
        z.object({
          ...chargeFields,
          memberEmail: z.string().nullable(),
          groups: z.array(z.string()),
          amountMinor: z.number().int(),
          currency: z.string(),
        }),
      ),
    })
    .meta({ title: 'Statement' }),
  // The statement's CSV is the one the console download serves; it reads only the charges.
  csv: (body) => ({
    csv: statementCsv({
      organizationId: 0,
      month: body.month,
      currency: body.currency,
      count: body.count,
      totalMinor: body.totalMinor,
      byItem: body.byReward,
      byGroup: body.byGroup,
      charges: body.charges.map((charge) => ({
        ...charge,
        chargedAt: new Date(charge.chargedAt),
        itemId: charge.rewardId,
        itemName: charge.rewardName,
      })),
    }),
    filename: `plaudit-statement-${body.month}.csv`,
  }),
  handler: async ({ services, actor, params }) => {
    const month = parseMonth(params.month) as string;
    const bill = await monthlyStatement(services.db, actor.organizationId, month);
    return ok({
      month: bill.month,
      currency: bill.currency,
      count: bill.count,
      totalMinor: bill.totalMinor,
      byReward: bill.byItem.map((entry) => ({ ...entry })),
      byGroup: bill.byGroup.map((entry) => ({ ...entry })),
      charges: bill.charges.map((charge) => ({
        id: charge.id,
        chargedAt: iso(charge.chargedAt),
        redemptionId: charge.redemptionId,
        rewardId: charge.itemId,
        rewardName: charge.itemName,
        memberId: charge.memberId,
        memberName: charge.memberName,
        memberEmail: charge.memberEmail,
        groups: [...charge.groups],
        amountMinor: charge.amountMinor,
        currency: charge.currency,
      })),
    });
  },
});

export const BILLING_ROUTES = [charges, statement];
