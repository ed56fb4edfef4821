import type { Database } from '../db/database.ts';
import type { OrganizationAccounts } from '../ledger/accounts.ts';
import type { Ledger } from '../ledger/ledger.ts';
import { type AllowancePeriod, allowancePeriodAt } from '../recognition/allowance-period.ts';
import { memberOpening, periodOpeningMemo } from '../recognition/allowances.ts';
import type { RecognitionServices } from '../recognition/recognition-services.ts';
import type { RecognitionSettings } from '../recognition/settings.ts';
import { forEachConcurrently } from './bounded-concurrency.ts';
import { type Giver, giverPages } from './giver-pages.ts';
import { PermanentJobFailure } from './job-queue.ts';

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
  /**
   * Batches written at the same time, each in its own transaction on its own connection.
   * The work of a batch is the database's, on one core; with more, a reset uses more of
   * the server's cores. Progress is then reported as batches finish, so the ledger may
   * already hold a batch that a report does not count yet. @defaultValue 1
   */
  readonly parallelBatches?: number;
  /** Called after each batch is committed, with the totals of the batches committed so far. */
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
 * clock says which period it is. A key claimed by a different request fails the reset
 * for good ({@link PermanentJobFailure}) once every other member's period is opened.
 */
export async function resetAllowances(
  db: Database,
  services: RecognitionServices,
  organizationId: number,
  options: ResetOptions = {},
): Promise<ResetProgress> {
  const { settings, now } = await services.settings.load(organizationId);
  const context: ResetContext = {
    ledger: services.ledger,
    settings,
    period: allowancePeriodAt(options.at ?? now, settings.allowanceCadence, settings.timezone),
    accounts: await services.ledger.organizationAccounts(organizationId),
  };
  let done = 0;
  let opened = 0;
  // Keys claimed by other requests: how many, and the first few, to name them.
  const conflicts = { count: 0, keys: [] as string[] };
  // One report at a time, in the order the batches finished, so that the last one made
  // (what a job's progress keeps) is the largest.
  let reported = Promise.resolve();
  const pages = giverPages(db, settings, options.batchSize ?? 2000);
  await forEachConcurrently(pages, options.parallelBatches ?? 1, async (givers) => {
    const batch = await openPeriods(context, givers);
    done += givers.length;
    opened += batch.opened;
    conflicts.count += batch.conflicts.length;
    conflicts.keys.push(...batch.conflicts.slice(0, NAMED_CONFLICTS - conflicts.keys.length));
    const progress = { done, opened };
    reported = reported.then(() => options.onProgress?.(progress));
    await reported;
  });
  if (conflicts.count > 0) throw conflictFailure(organizationId, conflicts);
  return { done, opened };
}

/**
 * Keys of period openings claimed by other requests: a bug or a hand-made request, never
 * a race (replays count as opened), and one no retry mends. Every other member's period
 * was opened; the job fails for good, naming the keys.
 */
function conflictFailure(
  organizationId: number,
  conflicts: { readonly count: number; readonly keys: readonly string[] },
): PermanentJobFailure {
  const more = conflicts.count > conflicts.keys.length;
  return new PermanentJobFailure(
    `organization ${organizationId}: ${conflicts.count} period openings were refused, their keys used for a different request: ${conflicts.keys.join(', ')}${more ? ', …' : ''}`,
  );
}

/** Conflicting keys a failed reset names; the rest are counted. */
const NAMED_CONFLICTS = 20;

/** What a reset opens, the same for every batch. */
interface ResetContext {
  readonly ledger: Ledger;
  readonly settings: RecognitionSettings;
  readonly period: AllowancePeriod;
  readonly accounts: OrganizationAccounts;
}

/** Opens one batch's periods: how many this call opened, and the keys in conflict. */
async function openPeriods(
  { ledger, settings, period, accounts }: ResetContext,
  givers: readonly Giver[],
) {
  // After an organization's first period, everyone has accounts: nothing to create.
  const created = await ledger.allowanceAccounts(
    settings.organizationId,
    givers.filter((giver) => giver.account_id === null).map((giver) => giver.id),
  );
  return ledger.openPeriods({
    organizationId: settings.organizationId,
    accounts,
    rolloverCap: settings.rolloverCap,
    memo: periodOpeningMemo(period),
    openings: givers.map((giver) =>
      memberOpening(
        settings,
        { id: giver.id, roles: giver.roles, joinedAt: giver.created_at },
        period,
        giver.account_id ?? accountOf(created, giver.id),
      ),
    ),
  });
}

/** A member's new allowance account; its absence would open a period with nothing in it. */
function accountOf(created: ReadonlyMap<number, number>, memberId: number): number {
  const accountId = created.get(memberId);
  if (accountId === undefined) throw new Error(`member ${memberId} has no allowance account`);
  return accountId;
}
