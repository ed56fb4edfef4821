import { sql } from 'kysely';
import type { AdminServices } from '../admin/admin-services.ts';
import type { Database } from '../db/database.ts';
import { type AllowancePeriod, allowancePeriodAt } from '../recognition/allowance-period.ts';
import {
  type CommittedMoney,
  committedThisMonth,
  type Liability,
  liability,
  monthOf,
} from '../rewards/billing.ts';
import { formatMoney } from '../rewards/money.ts';
import { loadRewardSettings } from '../rewards/reward-settings.ts';
import { lastVerification } from '../verification/verification-record.ts';
import { peopleInRange, readClosedDays } from './insights/insight-queries.ts';
import { addDays, localDate } from './insights/insight-range.ts';

/** This period at a glance, for the console's overview. */
export interface OverviewFigures {
  readonly period: AllowancePeriod;
  /** Active people (not bots) who gave or received kudos this period, of how many. */
  readonly participants: number;
  readonly people: number;
  readonly recognitions: number;
  readonly pointsGiven: number;
  /** Redemptions asked for this period, and how many wait for HR now. */
  readonly redemptions: number;
  readonly waiting: number;
  readonly liability: Liability;
  /**
   * This month (the organization's time zone) against the monthly budget: charged, and
   * held for redemptions that would still be charged, as the budget check counts them.
   */
  readonly month: string;
  readonly chargedMinor: number;
  readonly heldMinor: number;
  readonly budgetMinor: number | null;
  readonly currency: string;
  /** The organization's time zone, for the instants shown. */
  readonly timezone: string;
  /** The last scheduled ledger verification: when, and what it found in this organization. */
  readonly ledger: { readonly verifiedAt: Date; readonly problems: number } | undefined;
}

interface PeriodRow {
  participants: string | number;
  people: string | number;
  recognitions: string | number | null;
  points: string | number | null;
  redemptions: string | number;
  waiting: string | number;
}

/**
 * The period's participants (active people, not bots, who gave or received a kudos kept
 * in it), recognitions, points given and redemptions asked for, in one snapshot. The
 * participants are read as the insights read people (migrations/0027): each person's
 * running totals at the period's last closed day and the day before it, and the day rows
 * since, two rows a person instead of every person-day of the period (at 50,000 people, a
 * million in a month). Someone counted on a day gave or received a kudos kept that day (a
 * day row left at zero is removed), so their totals moved in the period exactly when they
 * took part. The points given are the period's days' points, which count the same kudos.
 */
async function periodCounts(
  db: Database,
  organizationId: number,
  period: AllowancePeriod,
  timezone: string,
): Promise<PeriodRow> {
  const range = { from: period.firstDay, to: addDays(localDate(period.end, timezone), -1) };
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute(async (trx) => {
      const closed = await readClosedDays(trx, organizationId);
      const { rows } = await sql<PeriodRow>`
        with took_part as (${peopleInRange(organizationId, range, 'all', closed.people)}),
        people as (
          select id from members
          where organization_id = ${organizationId} and status = 'active' and not is_bot
        ),
        days as (
          select sum(recognitions) as recognitions, sum(points) as points from kudos_days
          where organization_id = ${organizationId}
            and day between ${range.from}::date and ${range.to}::date
        )
        select
          (select count(*) from people p where p.id in (select member_id from took_part))
            as participants,
          (select count(*) from people) as people,
          (select recognitions from days) as recognitions,
          (select points from days) as points,
          (select count(*) from redemptions
            where organization_id = ${organizationId}
              and requested_at >= ${period.start} and requested_at < ${period.end})
            as redemptions,
          (select count(*) from redemptions
            where organization_id = ${organizationId} and status = 'held') as waiting`.execute(trx);
      return rows[0] as PeriodRow;
    });
}

/** Reversed kudos do not count: they were taken back. */
export async function overviewFigures(
  services: Pick<AdminServices, 'db' | 'settings'>,
  organizationId: number,
): Promise<OverviewFigures> {
  const { db } = services;
  const { settings, now } = await services.settings.load(organizationId);
  const period = allowancePeriodAt(now, settings.allowanceCadence, settings.timezone);
  const month = monthOf(now, settings.timezone);
  const [row, owed, committed, rewards, verified] = await Promise.all([
    periodCounts(db, organizationId, period, settings.timezone),
    liability(db, organizationId),
    committedThisMonth(db, organizationId, settings.timezone, now),
    loadRewardSettings(db, organizationId),
    lastVerification(db),
  ]);
  return {
    period,
    participants: Number(row.participants),
    people: Number(row.people),
    recognitions: Number(row.recognitions ?? 0),
    pointsGiven: Number(row.points ?? 0),
    redemptions: Number(row.redemptions),
    waiting: Number(row.waiting),
    liability: owed,
    month,
    chargedMinor: committed.chargedMinor,
    heldMinor: committed.heldMinor,
    budgetMinor: rewards.monthlyBudgetMinor,
    currency: rewards.currency,
    timezone: settings.timezone,
    ledger: verified && {
      verifiedAt: verified.finishedAt,
      problems: verified.byOrganization.get(organizationId) ?? 0,
    },
  };
}

/**
 * The budget used, as the budget check counts it: "7.50 EUR charged + 2.00 EUR held of
 * 100.00 EUR (10%)", or without "of …" when no budget is set. The overview and billing
 * both show it so.
 */
export function budgetUsed(
  committed: CommittedMoney,
  budgetMinor: number | null,
  currency: string,
): string {
  const money = (minor: number) => formatMoney(minor, currency);
  const used = `${money(committed.chargedMinor)} charged + ${money(committed.heldMinor)} held`;
  if (budgetMinor === null) return used;
  const total = committed.chargedMinor + committed.heldMinor;
  const share = budgetMinor === 0 ? 100 : Math.round((total / budgetMinor) * 100);
  return `${used} of ${money(budgetMinor)} (${share}%)`;
}

/** The label under the budget figure: which month, and what "held" is. */
export function budgetLabel(month: string, budgetMinor: number | null): string {
  const held = 'held money is for redemptions not yet fulfilled';
  return budgetMinor === null
    ? `spent in ${month}; ${held}; no monthly budget is set`
    : `monthly budget used in ${month}; ${held}`;
}
