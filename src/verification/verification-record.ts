import { sql } from 'kysely';
import type { Database } from '../db/database.ts';
import { describeViolation } from '../ledger/ledger-violations.ts';
import type { LedgerVerification } from './ledger-verification.ts';

/** The last scheduled verification, as every process reports it. */
export interface VerificationRecord {
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly organizations: number;
  readonly violations: number;
  /** Violations per organization that had any. */
  readonly byOrganization: ReadonlyMap<number, number>;
  /** The first violations found, one line each. */
  readonly sample: ReadonlyArray<{ readonly organizationId: number; readonly line: string }>;
}

/** Runs older than this are dropped when a new one is recorded. */
const KEPT_DAYS = 90;

/**
 * Records a verification's result in the database, where every process (the worker that
 * ran it, the other workers and the web processes, each with its own /metrics) reads the
 * same last one, and a restart loses nothing.
 */
export async function recordVerification(db: Database, result: LedgerVerification): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('ledger_verifications')
      .values({
        started_at: result.startedAt,
        finished_at: result.finishedAt,
        organizations: result.organizations,
        violations: result.violations,
        by_organization: JSON.stringify(Object.fromEntries(result.byOrganization)),
        sample: JSON.stringify(
          result.sample.map((violation) => ({
            organizationId: violation.organizationId,
            line: describeViolation(violation),
          })),
        ),
      })
      .execute();
    await trx
      .deleteFrom('ledger_verifications')
      .where('finished_at', '<', sql<Date>`now() - make_interval(days => ${KEPT_DAYS})`)
      .execute();
  });
}

/** The last verification recorded, if any. */
export async function lastVerification(db: Database): Promise<VerificationRecord | undefined> {
  const row = await db
    .selectFrom('ledger_verifications')
    .selectAll()
    .orderBy('finished_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    startedAt: new Date(row.started_at),
    finishedAt: new Date(row.finished_at),
    organizations: row.organizations,
    violations: row.violations,
    byOrganization: new Map(
      Object.entries(row.by_organization).map(([id, n]) => [Number(id), Number(n)]),
    ),
    sample: row.sample,
  };
}
