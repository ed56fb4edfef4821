import type { AdminActor } from '../admin/admin-actor.ts';
import { writeAudit } from '../admin/audit-log.ts';
import { ok, type Result } from '../core/result.ts';
import type { Database } from '../db/database.ts';
import { auditedWrite, requireHrActor } from './hr-access.ts';
import { type RewardRefusalCode, rewardRefusal } from './reward-refusals.ts';

/** How an organization's rewards are run, beside its catalog. */
export interface RewardSettings {
  readonly organizationId: number;
  /** The organization's currency, in which items are priced and charges are made. */
  readonly currency: string;
  readonly timezone: string;
  /** Thousandths of a minor unit a point is worth, for the liability figure. */
  readonly pointValueMilli: number;
  /** How long a redemption may wait for HR before its hold expires. */
  readonly holdHours: number;
  /** The most the company will be charged per calendar month; null for no budget. */
  readonly monthlyBudgetMinor: number | null;
}

export type RewardSettingsChange = Partial<
  Pick<RewardSettings, 'pointValueMilli' | 'holdHours' | 'monthlyBudgetMinor'>
>;

/** An organization's reward settings, with the defaults until HR changes them. */
export async function loadRewardSettings(
  db: Database,
  organizationId: number,
): Promise<RewardSettings> {
  const row = await db
    .selectFrom('organizations as o')
    .leftJoin('reward_settings as s', 's.organization_id', 'o.id')
    .select([
      'o.currency',
      'o.timezone',
      's.point_value_milli',
      's.hold_hours',
      's.monthly_budget_minor',
    ])
    .where('o.id', '=', organizationId)
    .executeTakeFirstOrThrow();
  return {
    organizationId,
    currency: row.currency,
    timezone: row.timezone,
    pointValueMilli: row.point_value_milli ?? 1000,
    holdHours: row.hold_hours ?? 336,
    monthlyBudgetMinor: row.monthly_budget_minor ?? null,
  };
}

/**
 * Validates and stores a change; every bad value gets its own sentence. Given the actor
 * (HR), the role is checked and a change is audited as `reward_settings.change`, with the
 * settings before and after, in the same transaction.
 */
export async function changeRewardSettings(
  db: Database,
  organizationId: number,
  change: RewardSettingsChange,
  actor?: AdminActor,
): Promise<Result<RewardSettings, RewardRefusalCode>> {
  const denied = await requireHrActor(db, actor, 'change the rewards settings', {
    action: 'reward_settings.change',
    wanted: change,
  });
  if (denied) return denied;
  const bad = (message: string) => rewardRefusal('invalid_setting', message);
  const { pointValueMilli, holdHours, monthlyBudgetMinor } = change;
  if (
    pointValueMilli !== undefined &&
    !(Number.isSafeInteger(pointValueMilli) && pointValueMilli >= 0)
  ) {
    return bad('A point is worth an amount of money of at least 0.');
  }
  if (
    holdHours !== undefined &&
    !(Number.isInteger(holdHours) && holdHours >= 1 && holdHours <= 8760)
  ) {
    return bad('Holds last from 1 hour to 365 days.');
  }
  if (
    monthlyBudgetMinor !== undefined &&
    monthlyBudgetMinor !== null &&
    !(Number.isSafeInteger(monthlyBudgetMinor) && monthlyBudgetMinor >= 0)
  ) {
    return bad('The monthly budget is an amount of money of at least 0, or none.');
  }
  const values = {
    ...(pointValueMilli !== undefined && { point_value_milli: pointValueMilli }),
    ...(holdHours !== undefined && { hold_hours: holdHours }),
    ...(monthlyBudgetMinor !== undefined && { monthly_budget_minor: monthlyBudgetMinor }),
  };
  const changing = Object.keys(values).length > 0;
  const audited = changing ? actor : undefined;
  const settings = await auditedWrite(db, audited, async (executor) => {
    // Locked (made first, if need be) before `before` is read, so it is what was changed.
    const before = audited && (await lockedSettings(executor, organizationId));
    await executor
      .insertInto('reward_settings')
      .values({ organization_id: organizationId, ...values })
      .onConflict((conflict) =>
        changing
          ? conflict.column('organization_id').doUpdateSet(values)
          : conflict.column('organization_id').doNothing(),
      )
      .execute();
    const after = await loadRewardSettings(executor, organizationId);
    if (audited && before) {
      await writeAudit(executor, audited, {
        action: 'reward_settings.change',
        outcome: 'done',
        before: changedPart(before, change),
        after: changedPart(after, change),
      });
    }
    return after;
  });
  return ok(settings);
}

async function lockedSettings(db: Database, organizationId: number): Promise<RewardSettings> {
  await db
    .insertInto('reward_settings')
    .values({ organization_id: organizationId })
    .onConflict((conflict) => conflict.column('organization_id').doNothing())
    .execute();
  await db
    .selectFrom('reward_settings')
    .select('organization_id')
    .where('organization_id', '=', organizationId)
    .forUpdate()
    .execute();
  return loadRewardSettings(db, organizationId);
}

/** The settings a change names, as they stand in `settings`. */
function changedPart(settings: RewardSettings, change: RewardSettingsChange) {
  return Object.fromEntries(
    Object.keys(change)
      .filter((key) => change[key as keyof RewardSettingsChange] !== undefined)
      .map((key) => [key, settings[key as keyof RewardSettingsChange]]),
  );
}
