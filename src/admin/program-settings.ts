import { ok, RefusalAbort, type Result } from '../core/result.ts';
import type { Database } from '../db/database.ts';
import type { MemberRole } from '../db/tables.ts';
import { scheduleAllowanceReset } from '../jobs/allowance-schedules.ts';
import { loadRecognitionSettings } from '../recognition/settings.ts';
import { changeRewardSettings, loadRewardSettings } from '../rewards/reward-settings.ts';
import { requireRole } from './access.ts';
import type { AdminActor } from './admin-actor.ts';
import { type AdminRefusalCode, adminRefusal } from './admin-refusals.ts';
import type { AdminServices } from './admin-services.ts';
import { writeAudit } from './audit-log.ts';
import {
  applySettingsChange,
  changedSettings,
  inRoleOrder,
  type ProgramSettings,
  type ProgramSettingsChange,
} from './settings-validation.ts';

export type { ProgramSettings, ProgramSettingsChange } from './settings-validation.ts';

/** An organization's program settings, with the defaults where nobody changed them. */
export async function readProgramSettings(
  db: Database,
  organizationId: number,
): Promise<ProgramSettings> {
  const [{ settings }, rewards] = await Promise.all([
    loadRecognitionSettings(db, organizationId),
    loadRewardSettings(db, organizationId),
  ]);
  return {
    timezone: settings.timezone,
    currency: rewards.currency,
    allowance: {
      amount: settings.allowanceAmount,
      cadence: settings.allowanceCadence,
      rolloverCap: settings.rolloverCap,
      prorateNewMembers: settings.prorateNewMembers,
    },
    roleAllowances: inRoleOrder(Object.fromEntries(settings.roleAllowances)),
    memberAllowances: [...settings.memberAllowances]
      .map(([memberId, amount]) => ({ memberId, amount }))
      .sort((a, b) => a.memberId - b.memberId),
    defaultAmount: settings.defaultAmount,
    minAmount: settings.minAmount,
    maxAmount: settings.maxAmount,
    maxRecipients: settings.maxRecipients,
    dailyPairCap: settings.dailyPairCap,
    values: [...settings.values],
    valueRequired: settings.valueRequired,
    minReasonLength: settings.minReasonLength,
    maxReasonLength: settings.maxReasonLength,
    announcementChannel: settings.announcementChannel,
    guestsMayParticipate: settings.guestsMayParticipate,
    leaverRedeemDays: settings.leaverRedeemDays,
    reactionPoints: Object.fromEntries(
      [...settings.reactionPoints].sort(([a], [b]) => a.localeCompare(b)),
    ),
    reactionGraceMinutes: settings.reactionGraceMinutes,
    boostsAllowed: settings.boostsAllowed,
    pointValueMilli: rewards.pointValueMilli,
    monthlyBudgetMinor: rewards.monthlyBudgetMinor,
    holdHours: rewards.holdHours,
  };
}

/**
 * Changes the program's settings, all or nothing: every bad value is named in one
 * refusal and nothing changes; otherwise the change and its audit entry (the settings
 * that changed, before and after) commit together. It holds at once: this process
 * forgets its cached settings, and the allowance reset schedule moves with a new cadence
 * or time zone.
 */
export async function changeProgramSettings(
  services: AdminServices,
  actor: AdminActor,
  change: ProgramSettingsChange,
): Promise<Result<ProgramSettings, AdminRefusalCode>> {
  const { db } = services;
  const organizationId = actor.organizationId;
  const denied = await requireRole(db, actor, 'admin', "change the program's settings", {
    action: 'settings.change',
    wanted: change,
  });
  if (denied) return denied;
  let outcome: { before: ProgramSettings; after: ProgramSettings };
  try {
    outcome = await db.transaction().execute(async (trx) => {
      // One change at a time per organization: the second sees the first's result.
      await trx
        .insertInto('recognition_settings')
        .values({ organization_id: organizationId })
        .onConflict((conflict) => conflict.column('organization_id').doNothing())
        .execute();
      await trx
        .selectFrom('recognition_settings')
        .select('organization_id')
        .where('organization_id', '=', organizationId)
        .forUpdate()
        .execute();
      const before = await readProgramSettings(trx, organizationId);
      const applied = applySettingsChange(before, change);
      if (!applied.ok) {
        throw new RefusalAbort(adminRefusal('invalid_setting', applied.problems.join(' ')));
      }
      const after = applied.next;
      const unknown = await unknownMembers(
        trx,
        organizationId,
        (change.memberAllowances ?? []).flatMap((entry) =>
          entry.amount === null ? [] : [entry.memberId],
        ),
      );
      if (unknown.length > 0) {
        throw new RefusalAbort(
          adminRefusal(
            'unknown_member',
            `There is no member ${unknown.join(', ')} here, so no allowance can be set for them.`,
          ),
        );
      }
      const diff = changedSettings(before, after);
      if (Object.keys(diff.after).length === 0) return { before, after: before };
      await writeSettings(trx, organizationId, before, after);
      await writeAudit(trx, actor, {
        action: 'settings.change',
        outcome: 'done',
        before: diff.before,
        after: diff.after,
      });
      return { before, after: await readProgramSettings(trx, organizationId) };
    });
  } catch (error) {
    if (error instanceof RefusalAbort) return error.refusal;
    throw error;
  }
  const { before, after } = outcome;
  services.settings.invalidate(organizationId);
  if (before.allowance.cadence !== after.allowance.cadence || before.timezone !== after.timezone) {
    try {
      await scheduleAllowanceReset(services.jobs, {
        id: organizationId,
        cadence: after.allowance.cadence,
        timezone: after.timezone,
      });
    } catch (error) {
      // The change is made; a give opens its period lazily, and the worker brings every
      // schedule in line when it starts, so a queue that is down delays only the reset.
      services.logger.error(
        { err: error, organizationId },
        'could not move the allowance reset schedule',
      );
    }
  }
  return ok(after);
}

/** The ids among these that are no member of the organization. */
async function unknownMembers(
  db: Database,
  organizationId: number,
  memberIds: readonly number[],
): Promise<number[]> {
  if (memberIds.length === 0) return [];
  const found = await db
    .selectFrom('members')
    .select('id')
    .where('organization_id', '=', organizationId)
    .where('id', 'in', [...memberIds])
    .execute();
  const known = new Set(found.map((row) => row.id));
  return [...new Set(memberIds)].filter((id) => !known.has(id));
}

/** Writes what differs between the settings before and after, in the caller's transaction. */
async function writeSettings(
  trx: Database,
  organizationId: number,
  before: ProgramSettings,
  after: ProgramSettings,
): Promise<void> {
  const differs = <K extends keyof ProgramSettings>(key: K) =>
    JSON.stringify(before[key]) !== JSON.stringify(after[key]);

  if (differs('timezone') || differs('currency')) {
    await trx
      .updateTable('organizations')
      .set({ timezone: after.timezone, currency: after.currency })
      .where('id', '=', organizationId)
      .execute();
  }

  await trx
    .updateTable('recognition_settings')
    .set({
      allowance_amount: after.allowance.amount,
      allowance_cadence: after.allowance.cadence,
      rollover_cap: after.allowance.rolloverCap,
      prorate_new_members: after.allowance.prorateNewMembers,
      default_amount: after.defaultAmount,
      min_amount: after.minAmount,
      max_amount: after.maxAmount,
      max_recipients: after.maxRecipients,
      daily_pair_cap: after.dailyPairCap,
      value_required: after.valueRequired,
      min_reason_length: after.minReasonLength,
      max_reason_length: after.maxReasonLength,
      announcement_channel: after.announcementChannel,
      guests_may_participate: after.guestsMayParticipate,
      leaver_redeem_days: after.leaverRedeemDays,
      reaction_points: JSON.stringify(after.reactionPoints),
      reaction_grace_minutes: after.reactionGraceMinutes,
      boosts_allowed: after.boostsAllowed,
    })
    .where('organization_id', '=', organizationId)
    .execute();

  if (differs('values')) {
    // Values that stay keep their descriptions.
    let removal = trx.deleteFrom('company_values').where('organization_id', '=', organizationId);
    if (after.values.length > 0) removal = removal.where('name', 'not in', after.values);
    await removal.execute();
    if (after.values.length > 0) {
      await trx
        .insertInto('company_values')
        .values(
          after.values.map((name) => ({
            organization_id: organizationId,
            name,
            description: null,
          })),
        )
        .onConflict((conflict) => conflict.columns(['organization_id', 'name']).doNothing())
        .execute();
    }
  }

  if (differs('roleAllowances') || differs('memberAllowances')) {
    await trx
      .deleteFrom('allowance_overrides')
      .where('organization_id', '=', organizationId)
      .execute();
    const rows = [
      ...Object.entries(after.roleAllowances).map(([role, amount]) => ({
        organization_id: organizationId,
        role: role as MemberRole,
        member_id: null,
        amount: amount as number,
      })),
      ...after.memberAllowances.map(({ memberId, amount }) => ({
        organization_id: organizationId,
        role: null,
        member_id: memberId,
        amount,
      })),
    ];
    if (rows.length > 0) await trx.insertInto('allowance_overrides').values(rows).execute();
  }

  if (differs('pointValueMilli') || differs('monthlyBudgetMinor') || differs('holdHours')) {
    const changed = await changeRewardSettings(trx, organizationId, {
      pointValueMilli: after.pointValueMilli,
      monthlyBudgetMinor: after.monthlyBudgetMinor,
      holdHours: after.holdHours,
    });
    if (!changed.ok) {
      throw new RefusalAbort(adminRefusal('invalid_setting', changed.message));
    }
  }
}
