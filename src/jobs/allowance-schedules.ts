import type { Database } from '../db/database.ts';
import type { Cadence } from '../recognition/allowance-period.ts';
import type { Jobs } from './job-queue.ts';

export const ALLOWANCE_RESET = 'allowance-reset';

/**
 * The job that brings every organization's reset schedule in line with its settings,
 * every few minutes: an organization created after the processes started (a workspace
 * installed, a tenant connected) gets its schedule without waiting for a restart.
 */
export const SCHEDULE_ALLOWANCE_RESETS = 'schedule-allowance-resets';

/** The id of that job's scheduler on the allowance queue. */
export const RESET_SCHEDULES_ID = 'allowance-reset-schedules';

/** The job's data: which organization to reset. */
export interface AllowanceResetData {
  readonly organizationId: number;
}

/**
 * When a period's reset runs, in the organization's time zone: one minute after the local
 * midnight that starts it (weeks on Monday, months on the 1st, quarters in January, April,
 * July and October), so that a clock a little ahead of the database's cannot run it in the
 * period before.
 */
export function resetPattern(cadence: Cadence): string {
  switch (cadence) {
    case 'weekly':
      return '1 0 * * 1';
    case 'monthly':
      return '1 0 1 * *';
    case 'quarterly':
      return '1 0 1 1,4,7,10 *';
  }
}

export const resetScheduleId = (organizationId: number) => `allowance-reset-${organizationId}`;

/** Creates or moves an organization's reset schedule to its cadence and time zone. */
export async function scheduleAllowanceReset(
  jobs: Jobs,
  organization: { readonly id: number; readonly cadence: Cadence; readonly timezone: string },
): Promise<void> {
  await jobs.schedule('allowance', {
    id: resetScheduleId(organization.id),
    pattern: resetPattern(organization.cadence),
    timezone: organization.timezone,
    job: { name: ALLOWANCE_RESET, data: { organizationId: organization.id } },
  });
}

/** Removes a deleted organization's reset schedule. */
export async function unscheduleAllowanceReset(jobs: Jobs, organizationId: number): Promise<void> {
  await jobs.unschedule('allowance', resetScheduleId(organizationId));
}

/** Brings every organization's schedule in line with its settings (run at worker start). */
export async function scheduleAllAllowanceResets(jobs: Jobs, db: Database): Promise<number> {
  const rows = await db
    .selectFrom('organizations as o')
    .leftJoin('recognition_settings as s', 's.organization_id', 'o.id')
    .select(['o.id', 'o.timezone', 's.allowance_cadence'])
    .execute();
  for (const row of rows) {
    await scheduleAllowanceReset(jobs, {
      id: row.id,
      cadence: (row.allowance_cadence ?? 'monthly') as Cadence,
      timezone: row.timezone,
    });
  }
  return rows.length;
}

/** Every ten minutes, UTC: the schedules of organizations that appeared meanwhile. */
export async function scheduleResetUpkeep(jobs: Jobs): Promise<void> {
  await jobs.schedule('allowance', {
    id: RESET_SCHEDULES_ID,
    pattern: '*/10 * * * *',
    timezone: 'UTC',
    job: { name: SCHEDULE_ALLOWANCE_RESETS, data: {} },
  });
}
