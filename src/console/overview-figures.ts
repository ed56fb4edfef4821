import { sql } from 'kysely';
import type { AdminServices } from '../admin/admin-services.ts';
import { type AllowancePeriod, allowancePeriodAt } from '../recognition/allowance-period.ts';
import { type Liability, liability, monthlyStatement, monthOf } from '../rewards/billing.ts';
import { loadRewardSettings } from '../rewards/reward-settings.ts';

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
  /** Charged this month (the organization's time zone), against the monthly budget. */
  readonly month: string;
  readonly chargedMinor: number;
  readonly budgetMinor: number | null;
  readonly currency: string;
}

interface PeriodRow {
  participants: string | number;
  people: string | number;
  recognitions: string | number;
  points: string | number | null;
  redemptions: string | number;
  waiting: string | number;
}

/** Reversed kudos do not count: they were taken back. */
export async function overviewFigures(
  services: Pick<AdminServices, 'db' | 'ledger' | 'settings'>,
  organizationId: number,
): Promise<OverviewFigures> {
  const { db } = services;
  const { settings, now } = await services.settings.load(organizationId);
  const period = allowancePeriodAt(now, settings.allowanceCadence, settings.timezone);
  const month = monthOf(now, settings.timezone);
  const [rows, owed, statement, rewards] = await Promise.all([
    sql<PeriodRow>`
      with kept as (
        select r.* from recognition_recipients r
        where r.organization_id = ${organizationId}
          and r.created_at >= ${period.start} and r.created_at < ${period.end}
          and not exists (select 1 from recognition_reversals v
            where v.recognition_id = r.recognition_id)
      ),
      people as (
        select id from members
        where organization_id = ${organizationId} and status = 'active' and not is_bot
      )
      select
        (select count(*) from people p
          where p.id in (select giver_id from kept union select recipient_id from kept))
          as participants,
        (select count(*) from people) as people,
        (select count(distinct recognition_id) from kept) as recognitions,
        (select sum(amount) from kept) as points,
        (select count(*) from redemptions
          where organization_id = ${organizationId}
            and requested_at >= ${period.start} and requested_at < ${period.end})
          as redemptions,
        (select count(*) from redemptions
          where organization_id = ${organizationId} and status = 'held') as waiting
    `.execute(db),
    liability(db, services.ledger, organizationId),
    monthlyStatement(db, organizationId, month),
    loadRewardSettings(db, organizationId),
  ]);
  const row = rows.rows[0] as PeriodRow;
  return {
    period,
    participants: Number(row.participants),
    people: Number(row.people),
    recognitions: Number(row.recognitions),
    pointsGiven: Number(row.points ?? 0),
    redemptions: Number(row.redemptions),
    waiting: Number(row.waiting),
    liability: owed,
    month,
    chargedMinor: statement.totalMinor,
    budgetMinor: rewards.monthlyBudgetMinor,
    currency: rewards.currency,
  };
}
