import type { Database } from '../db/database.ts';
import { ensureAllowanceAccounts, openAllowancePeriods } from '../ledger/period-openings.ts';
import { allowancePeriodAt } from '../recognition/allowance-period.ts';
import { allowancePeriodKey, periodGrant } from '../recognition/allowances.ts';
import type { RecognitionServices } from '../recognition/recognition-services.ts';

/** How far a reset has come. */
export interface ResetProgress {
  /** Members walked so far. */
  readonly done: number;
  /** Of them, those whose period this run opened (the others were opened already). */
  readonly opened: number;
}

export interface ResetOptions {
  /** Members per statement. @defaultValue 1000 */
  readonly batchSize?: number;
  readonly onProgress?: (progress: ResetProgress) => Promise<void>;
  /** The instant whose period is opened; the database clock's now when absent (tests set it). */
  readonly at?: Date;
}

/**
 * Opens the current giving period for every member of an organization who may give:
 * unused allowance beyond the rollover cap expires and the new grant is credited, in
 * batches, each member under the key that names them and the period. Whoever opens a
 * member's period first (this job, a run of it in another worker, a rerun after a crash,
 * or the member's own first give) opens it; everyone else changes nothing. The database
 * clock says which period it is.
 */
export async function resetAllowances(
  db: Database,
  services: RecognitionServices,
  organizationId: number,
  options: ResetOptions = {},
): Promise<ResetProgress> {
  const { settings, now } = await services.settings.load(organizationId);
  const period = allowancePeriodAt(options.at ?? now, settings.allowanceCadence, settings.timezone);
  const accounts = await services.ledger.organizationAccounts(organizationId);
  const batchSize = options.batchSize ?? 1000;
  let cursor = 0;
  let done = 0;
  let opened = 0;
  for (;;) {
    let query = db
      .selectFrom('members')
      .select(['id', 'roles', 'created_at'])
      .where('organization_id', '=', organizationId)
      .where('status', '=', 'active')
      .where('is_bot', '=', false)
      .where('id', '>', cursor);
    if (!settings.guestsMayParticipate) query = query.where('is_guest', '=', false);
    const members = await query.orderBy('id').limit(batchSize).execute();
    if (members.length === 0) break;
    await ensureAllowanceAccounts(
      db,
      organizationId,
      members.map((member) => member.id),
    );
    opened += await openAllowancePeriods(db, {
      organizationId,
      accounts,
      rolloverCap: settings.rolloverCap,
      memo: {
        grant: `${period.cadence} allowance from ${period.firstDay}`,
        expire: `unused before ${period.firstDay}`,
      },
      openings: members.map((member) => ({
        memberId: member.id,
        grant: periodGrant(
          settings,
          { id: member.id, roles: member.roles, joinedAt: member.created_at },
          period,
        ),
        key: allowancePeriodKey(member.id, period),
      })),
    });
    done += members.length;
    cursor = members.at(-1)?.id ?? cursor;
    await options.onProgress?.({ done, opened });
  }
  return { done, opened };
}
