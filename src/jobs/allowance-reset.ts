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
  /**
   * Members per statement: larger batches cost less per member, and hold those members'
   * balance rows (a give of theirs waits) a little longer. @defaultValue 2000
   */
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
  const batchSize = options.batchSize ?? 2000;
  let cursor = 0;
  let done = 0;
  let opened = 0;
  for (;;) {
    let query = db
      .selectFrom('members as m')
      .leftJoin('ledger_accounts as a', (join) =>
        join
          .onRef('a.organization_id', '=', 'm.organization_id')
          .onRef('a.member_id', '=', 'm.id')
          .on('a.asset', '=', 'allowance')
          .on('a.code', '=', 'allowance'),
      )
      .select(['m.id', 'm.roles', 'm.created_at', 'a.id as account_id'])
      .where('m.organization_id', '=', organizationId)
      .where('m.status', '=', 'active')
      .where('m.is_bot', '=', false)
      .where('m.id', '>', cursor);
    if (!settings.guestsMayParticipate) query = query.where('m.is_guest', '=', false);
    const members = await query.orderBy('m.id').limit(batchSize).execute();
    if (members.length === 0) break;
    // After an organization's first period, everyone has accounts: nothing to create.
    const created = await ensureAllowanceAccounts(
      db,
      organizationId,
      members.filter((member) => member.account_id === null).map((member) => member.id),
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
        accountId: member.account_id ?? accountOf(created, member.id),
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

/** A member's new allowance account; its absence would open a period with nothing in it. */
function accountOf(created: ReadonlyMap<number, number>, memberId: number): number {
  const accountId = created.get(memberId);
  if (accountId === undefined) throw new Error(`member ${memberId} has no allowance account`);
  return accountId;
}
