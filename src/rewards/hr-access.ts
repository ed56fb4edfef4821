import { type Attempt, requireRole } from '../admin/access.ts';
import type { AdminActor } from '../admin/admin-actor.ts';
import type { Database } from '../db/database.ts';
import { type RewardRefusal, rewardRefusal } from './reward-refusals.ts';

/**
 * HR through (undefined); anyone else gets the `not_hr` refusal, and the attempt is
 * written to the audit log as refused. Without an actor (the system: expiry, webhook
 * fulfilment, tests) there is nobody to check.
 */
export async function requireHrActor(
  db: Database,
  actor: AdminActor | undefined,
  what: string,
  attempt: Attempt,
): Promise<RewardRefusal | undefined> {
  if (!actor) return undefined;
  const denied = await requireRole(db, actor, 'hr', what, attempt);
  return denied && rewardRefusal('not_hr', denied.message);
}

/**
 * Runs a change in a transaction when it is to be audited (the entry commits with it), or
 * as before on the database itself when it is not.
 */
export function auditedWrite<T>(
  db: Database,
  actor: AdminActor | undefined,
  body: (executor: Database) => Promise<T>,
): Promise<T> {
  return actor && !db.isTransaction ? db.transaction().execute(body) : body(db);
}
