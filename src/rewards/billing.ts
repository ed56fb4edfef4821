import { sql } from 'kysely';
import type { Database } from '../db/database.ts';
import { loadRewardSettings } from './reward-settings.ts';

/** One billing charge, as a statement lists it. */
export interface StatementCharge {
  readonly id: number;
  readonly chargedAt: Date;
  readonly redemptionId: number;
  readonly itemId: number;
  readonly itemName: string;
  readonly memberId: number;
  readonly memberName: string;
  readonly memberEmail: string | null;
  /** The member's groups (departments, teams) when the statement was made, by name. */
  readonly groups: readonly string[];
  readonly amountMinor: number;
  readonly currency: string;
}

export interface StatementLine {
  readonly name: string;
  readonly count: number;
  readonly totalMinor: number;
}

/** What the company was charged in one calendar month of its time zone. */
export interface MonthlyStatement {
  readonly organizationId: number;
  /** `YYYY-MM`. */
  readonly month: string;
  readonly currency: string;
  readonly count: number;
  readonly totalMinor: number;
  readonly byItem: readonly StatementLine[];
  /**
   * Per group: a charge counts in each group its member is in, so these may add up to
   * more than the total; members in no group are under `(no group)`.
   */
  readonly byGroup: readonly StatementLine[];
  readonly charges: readonly StatementCharge[];
}

export const NO_GROUP = '(no group)';

/** `YYYY-MM`, or undefined when the text is not a month. */
export function parseMonth(text: string): string | undefined {
  const match = /^(\d{4})-(\d{2})$/.exec(text.trim());
  if (!match) return undefined;
  const month = Number(match[2]);
  return month >= 1 && month <= 12 ? `${match[1]}-${match[2]}` : undefined;
}

/** The month an instant falls in, in a time zone: `YYYY-MM`. */
export function monthOf(instant: Date, timezone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: timezone,
    year: 'numeric',
    month: '2-digit',
  }).formatToParts(instant);
  const year = parts.find((part) => part.type === 'year')?.value;
  const month = parts.find((part) => part.type === 'month')?.value;
  return `${year}-${month}`;
}

/** What counts against a monthly budget, in minor units of the organization's currency. */
export interface CommittedMoney {
  /** Charged in the month (fulfilled redemptions). */
  readonly chargedMinor: number;
  /** The prices of the redemptions still held or being fulfilled, whenever they were asked. */
  readonly heldMinor: number;
}

/**
 * What a month's rewards budget has taken: the charges of the calendar month `now` falls in
 * (in `timezone`), and the redemptions that would still be charged. The budget check,
 * billing and the overview all read it here. Without `now`, the month is the database
 * clock's (in a transaction, the transaction's start). Given a transaction, it reads there.
 */
export async function committedThisMonth(
  db: Database,
  organizationId: number,
  timezone: string,
  now?: Date,
): Promise<CommittedMoney> {
  const at = now === undefined ? sql`now()` : sql`${now}::timestamptz`;
  const { rows } = await sql<{ charged: number | string; held: number | string }>`
    with month as (
      select date_trunc('month', ${at} at time zone ${timezone}) as first
    )
    select
      coalesce((select sum(c.amount_minor) from billing_charges c, month
        where c.organization_id = ${organizationId}
          and c.charged_at >= month.first at time zone ${timezone}
          and c.charged_at < (month.first + interval '1 month') at time zone ${timezone}), 0)
        as charged,
      coalesce((select sum(r.price_minor) from redemptions r
        where r.organization_id = ${organizationId} and r.status in ('held', 'fulfilling')), 0)
        as held`.execute(db);
  const row = rows[0];
  return { chargedMinor: Number(row?.charged ?? 0), heldMinor: Number(row?.held ?? 0) };
}

interface ChargeRow {
  id: number;
  charged_at: Date;
  redemption_id: number;
  item_id: number;
  item_name: string;
  member_id: number;
  member_name: string;
  member_email: string | null;
  groups: string[];
  amount_minor: number;
  currency: string;
}

/** The charges of one month (`YYYY-MM`, in the organization's time zone), with totals. */
export async function monthlyStatement(
  db: Database,
  organizationId: number,
  month: string,
): Promise<MonthlyStatement> {
  const settings = await loadRewardSettings(db, organizationId);
  const charges = await chargesOf(db, organizationId, month, settings.timezone);
  return {
    organizationId,
    month,
    currency: settings.currency,
    count: charges.length,
    totalMinor: charges.reduce((sum, charge) => sum + charge.amountMinor, 0),
    byItem: lines(charges.map((charge) => [charge.itemName, charge.amountMinor])),
    byGroup: lines(
      charges.flatMap((charge) =>
        (charge.groups.length > 0 ? charge.groups : [NO_GROUP]).map(
          (group) => [group, charge.amountMinor] as [string, number],
        ),
      ),
    ),
    charges,
  };
}

/** What a month's statement says but its charges: their count, total and lines. */
export type StatementSummary = Omit<MonthlyStatement, 'charges'>;

/**
 * A month's statement without its charges, summed in the database: the same count,
 * total and lines as {@link monthlyStatement}, without reading every charge out (tens of
 * thousands a month in a large company).
 */
export async function statementSummary(
  db: Database,
  organizationId: number,
  month: string,
): Promise<StatementSummary> {
  const settings = await loadRewardSettings(db, organizationId);
  const { rows } = await sql<{ kind: string; name: string | null; n: string; total: string }>`
    with c as (
      select c.amount_minor, c.member_id, i.name as item_name
      from billing_charges c
      join reward_items i on i.id = c.item_id
      where ${inMonth(organizationId, month, settings.timezone)}
    )
    select 'total' as kind, null as name, count(*) as n, coalesce(sum(amount_minor), 0) as total
    from c
    union all
    select 'item', item_name, count(*), sum(amount_minor) from c group by item_name
    union all
    select 'group', coalesce(g.name, ${NO_GROUP}), count(*), sum(c.amount_minor)
    from c
    left join group_members gm on gm.member_id = c.member_id
    left join groups g on g.id = gm.group_id
    group by 2`.execute(db);
  const linesOf = (kind: string) =>
    sortLines(
      rows
        .filter((row) => row.kind === kind)
        .map((row) => ({
          name: row.name ?? '',
          count: Number(row.n),
          totalMinor: Number(row.total),
        })),
    );
  const total = rows.find((row) => row.kind === 'total');
  return {
    organizationId,
    month,
    currency: settings.currency,
    count: Number(total?.n ?? 0),
    totalMinor: Number(total?.total ?? 0),
    byItem: linesOf('item'),
    byGroup: linesOf('group'),
  };
}

/** `limit` of a month's charges from `offset`, in statement order (as {@link monthlyStatement}). */
export async function statementCharges(
  db: Database,
  organizationId: number,
  month: string,
  page: { readonly offset: number; readonly limit: number },
): Promise<StatementCharge[]> {
  const settings = await loadRewardSettings(db, organizationId);
  return chargesOf(db, organizationId, month, settings.timezone, page);
}

/** The charges of an organization in a month of its time zone, as a `where` condition on `c`. */
const inMonth = (organizationId: number, month: string, timezone: string) => {
  const first = `${month}-01`;
  return sql`c.organization_id = ${organizationId}
    and c.charged_at >= (${first}::date)::timestamp at time zone ${timezone}
    and c.charged_at < ((${first}::date + interval '1 month')::timestamp) at time zone ${timezone}`;
};

async function chargesOf(
  db: Database,
  organizationId: number,
  month: string,
  timezone: string,
  page?: { readonly offset: number; readonly limit: number },
): Promise<StatementCharge[]> {
  const { rows } = await sql<ChargeRow>`
    select c.id, c.charged_at, c.redemption_id, c.item_id, i.name as item_name,
      c.member_id, m.display_name as member_name, m.email as member_email,
      array(select g.name from group_members gm join groups g on g.id = gm.group_id
        where gm.member_id = c.member_id order by g.name) as groups,
      c.amount_minor, c.currency
    from billing_charges c
    join reward_items i on i.id = c.item_id
    join members m on m.id = c.member_id
    where ${inMonth(organizationId, month, timezone)}
    order by c.charged_at, c.id
    ${page === undefined ? sql`` : sql`limit ${page.limit} offset ${page.offset}`}`.execute(db);
  return rows.map((row) => ({
    id: row.id,
    chargedAt: new Date(row.charged_at),
    redemptionId: row.redemption_id,
    itemId: row.item_id,
    itemName: row.item_name,
    memberId: row.member_id,
    memberName: row.member_name,
    memberEmail: row.member_email,
    groups: row.groups,
    amountMinor: row.amount_minor,
    currency: row.currency,
  }));
}

function lines(entries: ReadonlyArray<readonly [string, number]>): StatementLine[] {
  const byName = new Map<string, { count: number; totalMinor: number }>();
  for (const [name, amount] of entries) {
    const line = byName.get(name) ?? { count: 0, totalMinor: 0 };
    line.count += 1;
    line.totalMinor += amount;
    byName.set(name, line);
  }
  return sortLines([...byName].map(([name, line]) => ({ name, ...line })));
}

/** Lines by what they billed, most first, then by name. */
const sortLines = (unsorted: StatementLine[]): StatementLine[] =>
  unsorted.sort((a, b) => b.totalMinor - a.totalMinor || a.name.localeCompare(b.name));

/** What the points people hold would cost if all were redeemed at the organization's rate. */
export interface Liability {
  /** Points given and not yet redeemed (held ones included). */
  readonly outstandingPoints: number;
  readonly valueMinor: number;
  readonly currency: string;
}

export async function liability(db: Database, organizationId: number): Promise<Liability> {
  // Points given and not yet redeemed sit in the members' earned accounts and the
  // redemption hold: by double entry, what issuance gave out less what was redeemed. Both
  // are limited accounts with a balance row each, so this reads one row per member instead
  // of summing every kudos transfer the issuance account ever made.
  const [settings, row] = await Promise.all([
    loadRewardSettings(db, organizationId),
    db
      .selectFrom('ledger_accounts as a')
      .innerJoin('ledger_balances as b', 'b.account_id', 'a.id')
      .select(sql<string>`coalesce(sum(b.credits_posted - b.debits_posted), 0)`.as('outstanding'))
      .where('a.organization_id', '=', organizationId)
      .where('a.code', 'in', ['earned', 'redemption_hold'])
      .executeTakeFirstOrThrow(),
  ]);
  const outstandingPoints = Number(row.outstanding);
  return {
    outstandingPoints,
    valueMinor: Math.round((outstandingPoints * settings.pointValueMilli) / 1000),
    currency: settings.currency,
  };
}
