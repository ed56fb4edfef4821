import type { Transaction } from 'kysely';
import { isConnectionLost } from '../db/connection-errors.ts';
import type { Database } from '../db/database.ts';
import type { Tables } from '../db/tables.ts';
import { type AssetSum, checkAccounts } from '../ledger/account-checks.ts';
import type { LedgerViolation } from '../ledger/ledger-violations.ts';
import { points } from '../recognition/wording.ts';
import { liability } from '../rewards/billing.ts';
import { checkRedemptions } from '../rewards/redemption-checks.ts';

/** What verifying one organization found. */
export interface OrganizationVerification {
  readonly organizationId: number;
  /** Per asset, what its balances sum to (zero when all is well). */
  readonly sums: readonly AssetSum[];
  /** The first violations of each group of checks (at most `listLimit` each). */
  readonly violations: readonly LedgerViolation[];
  /** Every violation found, listed or not. */
  readonly total: number;
}

/**
 * Checks every invariant of one organization's ledger and rewards (see checkAccounts and
 * checkRedemptions; and the liability the console reports equals the points issued less
 * the points redeemed), in one snapshot ({@link inSnapshot}) that no writer waits for.
 * The sums happen in the database; only the findings come back, at most `listLimit` of
 * each group, with their count.
 */
export async function verifyOrganization(
  db: Database,
  organizationId: number,
  listLimit = 100,
): Promise<OrganizationVerification> {
  return inSnapshot(db, async (trx) => {
    const accounts = await checkAccounts(trx, organizationId, listLimit);
    const redemptions = await checkRedemptions(trx, organizationId, listLimit);
    const owed = await liability(trx, organizationId);
    const liabilityViolations: LedgerViolation[] =
      owed.outstandingPoints === accounts.issuedLessRedeemed
        ? []
        : [
            {
              kind: 'liability_mismatch',
              organizationId,
              row: null,
              subject: 'points outstanding: members’ earned and held points',
              expected: `${points(accounts.issuedLessRedeemed)} (issued less redeemed)`,
              actual: points(owed.outstandingPoints),
            },
          ];
    return {
      organizationId,
      sums: accounts.sums,
      violations: [...accounts.violations, ...redemptions.violations, ...liabilityViolations],
      total: accounts.total + redemptions.total + liabilityViolations.length,
    };
  });
}

/**
 * Runs reads in one REPEATABLE READ READ ONLY transaction: they all see one snapshot,
 * nothing can be written, and plain MVCC reads take no lock a writer waits for.
 */
export function inSnapshot<T>(db: Database, reads: (trx: Transaction<Tables>) => Promise<T>) {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute(reads);
}

/** What a verification of the whole database found. */
export interface LedgerVerification {
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly organizations: number;
  /** Every violation found, listed or not. */
  readonly violations: number;
  /** Violations per organization that has any. */
  readonly byOrganization: ReadonlyMap<number, number>;
  /** The first violations found (at most `sampleSize`), for a report. */
  readonly sample: readonly LedgerViolation[];
}

export interface VerifyOptions {
  /** Told each violation listed as it is found, so that a report streams. */
  readonly onViolation?: (violation: LedgerViolation) => void;
  /** Violations listed per group of checks and organization. @defaultValue 100 */
  readonly listLimit?: number;
  /** Violations kept in the result's sample. @defaultValue 20 */
  readonly sampleSize?: number;
}

/** Organizations read per page: the walk holds one page of ids at a time. */
const ORGANIZATION_PAGE = 500;

/**
 * Verifies every organization, one at a time, each in its own snapshot (its invariants
 * are its own; a transaction per organization keeps each short, so no old snapshot holds
 * back vacuum for the whole walk). Memory stays bounded whatever the size of the ledger:
 * a page of organization ids, and the listed violations of one organization.
 */
export async function verifyLedger(
  db: Database,
  options: VerifyOptions = {},
): Promise<LedgerVerification> {
  const startedAt = new Date();
  const sampleSize = options.sampleSize ?? 20;
  const byOrganization = new Map<number, number>();
  const sample: LedgerViolation[] = [];
  let organizations = 0;
  let violations = 0;
  for await (const organizationId of organizationIds(db)) {
    const found = await verifyOnItsOwn(db, organizationId, options.listLimit);
    organizations += 1;
    if (found.total === 0) continue;
    violations += found.total;
    byOrganization.set(organizationId, found.total);
    for (const violation of found.violations) {
      options.onViolation?.(violation);
      if (sample.length < sampleSize) sample.push(violation);
    }
  }
  return { startedAt, finishedAt: new Date(), organizations, violations, byOrganization, sample };
}

/**
 * Verifies one organization; checks the database refuses on its rows (a value out of
 * range written by hand, a statement past its time limit) are that organization's finding,
 * so one broken organization leaves the others' results whole. A lost connection is the
 * walk's fault: it is thrown, and the verification is tried again.
 */
async function verifyOnItsOwn(
  db: Database,
  organizationId: number,
  listLimit: number | undefined,
): Promise<OrganizationVerification> {
  try {
    return await verifyOrganization(db, organizationId, listLimit);
  } catch (error) {
    if (isConnectionLost(error)) throw error;
    return {
      organizationId,
      sums: [],
      violations: [
        {
          kind: 'checks_failed',
          organizationId,
          row: null,
          subject: 'the checks of the ledger and rewards',
          expected: 'them to run',
          actual: `the database refused them: ${error instanceof Error ? error.message : String(error)}`,
        },
      ],
      total: 1,
    };
  }
}

async function* organizationIds(db: Database): AsyncGenerator<number> {
  let after = 0;
  for (;;) {
    const page = await db
      .selectFrom('organizations')
      .select('id')
      .where('id', '>', after)
      .orderBy('id')
      .limit(ORGANIZATION_PAGE)
      .execute();
    for (const row of page) yield row.id;
    const last = page.at(-1);
    if (!last || page.length < ORGANIZATION_PAGE) return;
    after = last.id;
  }
}
