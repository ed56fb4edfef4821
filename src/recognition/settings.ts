import { type Selectable, sql } from 'kysely';
import { type PermissionRule, toPermissionRule } from '../core/permission-rule.ts';
import type { Database } from '../db/database.ts';
import { prepared } from '../db/preparing-pool.ts';
import type { MemberRole, RecognitionSettingsTable } from '../db/tables.ts';
import type { Cadence } from './allowance-period.ts';

/** An organization's recognition program, as admins configure it. */
export interface RecognitionSettings {
  readonly organizationId: number;
  readonly timezone: string;
  readonly allowanceCadence: Cadence;
  /** Points each member may give per period, unless a role or member override says otherwise. */
  readonly allowanceAmount: number;
  /** Unused allowance carried into the next period, at most; 0 means it all expires. */
  readonly rolloverCap: number;
  /** A member who joins mid-period gets the share of the allowance that is left of it. */
  readonly prorateNewMembers: boolean;
  readonly defaultAmount: number;
  readonly minAmount: number;
  readonly maxAmount: number;
  readonly maxRecipients: number;
  readonly valueRequired: boolean;
  readonly minReasonLength: number;
  /** The longest reason, in characters: a celebration and a direct message quote it whole. */
  readonly maxReasonLength: number;
  /** Most points one giver may give one recipient per local day; null for no cap. */
  readonly dailyPairCap: number | null;
  readonly guestsMayParticipate: boolean;
  readonly whoMayGive: PermissionRule;
  readonly whoMayReceive: PermissionRule;
  /** Company values, lower-case, that hashtags may name. */
  readonly values: readonly string[];
  readonly roleAllowances: ReadonlyMap<MemberRole, number>;
  readonly memberAllowances: ReadonlyMap<number, number>;
  /** Days after deactivation a leaver may still redeem their points; 0: not at all. */
  readonly leaverRedeemDays: number;
  /** Where every kudos is also announced; null: only where it was given. */
  readonly announcementChannel: string | null;
  /** Reaction emoji (short name, no colons) that give points, and how many each; empty: off. */
  readonly reactionPoints: ReadonlyMap<string, number>;
  /** Minutes after a reaction during which removing it takes its points back. */
  readonly reactionGraceMinutes: number;
  /** Whether colleagues may boost a kudos from its celebration. */
  readonly boostsAllowed: boolean;
  /** The active admins' names, in order, so a refusal can say whom to ask. */
  readonly adminNames: readonly string[];
  /** When the allowance cadence last changed; null: never. */
  readonly cadenceChangedAt: Date | null;
}

type SettingsRow = Selectable<RecognitionSettingsTable> & {
  timezone: string;
  now: Date;
  value_names: string[];
  admin_names: string[];
  overrides: Array<{ role: MemberRole | null; member_id: number | null; amount: number }>;
};

/** Read on every command, so written as one prepared statement kysely need not compile. */
async function readSettingsRow(
  db: Database,
  organizationId: number,
): Promise<SettingsRow | undefined> {
  const { rows } = await sql<SettingsRow>`${prepared}
    select s.*, o.timezone, now() as now,
      array(select name from company_values v
        where v.organization_id = s.organization_id order by name) as value_names,
      array(select display_name from members m
        where m.organization_id = s.organization_id and m.status = 'active'
          and 'admin' = any(m.roles)
        order by display_name, id) as admin_names,
      coalesce(
        (select json_agg(json_build_object('role', a.role, 'member_id', a.member_id, 'amount', a.amount))
          from allowance_overrides a where a.organization_id = s.organization_id), '[]') as overrides
    from recognition_settings s
    join organizations o on o.id = s.organization_id
    where s.organization_id = ${organizationId}`.execute(db);
  return rows[0];
}

async function createDefaults(db: Database, organizationId: number) {
  await db
    .insertInto('recognition_settings')
    .values({ organization_id: organizationId })
    .onConflict((conflict) => conflict.column('organization_id').doNothing())
    .execute();
  const row = await readSettingsRow(db, organizationId);
  if (!row) throw new Error(`organization ${organizationId} does not exist`);
  return row;
}

/**
 * Reads an organization's settings (creating the defaults on first use) with its values,
 * allowance overrides and admins' names, and the database's clock, in one prepared
 * round trip.
 */
export async function loadRecognitionSettings(
  db: Database,
  organizationId: number,
): Promise<{ settings: RecognitionSettings; now: Date }> {
  const row =
    (await readSettingsRow(db, organizationId)) ?? (await createDefaults(db, organizationId));
  const roleAllowances = new Map<MemberRole, number>();
  const memberAllowances = new Map<number, number>();
  for (const override of row.overrides) {
    if (override.role) roleAllowances.set(override.role, override.amount);
    if (override.member_id !== null)
      memberAllowances.set(Number(override.member_id), override.amount);
  }
  return {
    now: new Date(row.now),
    settings: {
      organizationId,
      timezone: row.timezone,
      allowanceCadence: row.allowance_cadence,
      allowanceAmount: row.allowance_amount,
      rolloverCap: row.rollover_cap,
      prorateNewMembers: row.prorate_new_members,
      defaultAmount: row.default_amount,
      minAmount: row.min_amount,
      maxAmount: row.max_amount,
      maxRecipients: row.max_recipients,
      valueRequired: row.value_required,
      minReasonLength: row.min_reason_length,
      maxReasonLength: row.max_reason_length,
      dailyPairCap: row.daily_pair_cap,
      guestsMayParticipate: row.guests_may_participate,
      whoMayGive: toPermissionRule(row.who_may_give),
      whoMayReceive: toPermissionRule(row.who_may_receive),
      values: row.value_names,
      roleAllowances,
      memberAllowances,
      leaverRedeemDays: row.leaver_redeem_days,
      cadenceChangedAt: row.cadence_changed_at && new Date(row.cadence_changed_at),
      announcementChannel: row.announcement_channel,
      reactionPoints: new Map(Object.entries(row.reaction_points ?? {})),
      reactionGraceMinutes: row.reaction_grace_minutes,
      boostsAllowed: row.boosts_allowed,
      adminNames: row.admin_names,
    },
  };
}

/** A member's allowance per period: their own override, else the largest of their roles', else the default. */
export function allowanceFor(
  settings: RecognitionSettings,
  member: { id: number; roles: readonly MemberRole[] },
): number {
  const own = settings.memberAllowances.get(member.id);
  if (own !== undefined) return own;
  const byRole = member.roles.flatMap((role) => {
    const amount = settings.roleAllowances.get(role);
    return amount === undefined ? [] : [amount];
  });
  return byRole.length > 0 ? Math.max(...byRole) : settings.allowanceAmount;
}
