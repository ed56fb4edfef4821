import type { Database } from '../../src/db/database.ts';
import { describeViolation } from '../../src/ledger/ledger-violations.ts';
import { verifyOrganization } from '../../src/verification/ledger-verification.ts';
import { countRows } from './ledger-invariants.ts';
import type { RewardsFixture } from './rewards-fixture.ts';

/**
 * What must hold of an organization's ledger and rewards between operations, as
 * `npm run ledger:verify` checks it (one definition: src/verification/), as sentences for
 * what does not (an empty list when all is well), so a failing test says which rule broke
 * and which row:
 *
 * - every asset's balances sum to zero and every balance row equals its transfers, and no
 *   limited account is taken below zero;
 * - a redemption's hold is pending while it waits, posted once fulfilled, voided
 *   otherwise, and holds exactly the redemption's points from the member's earned account;
 * - exactly one billing charge per fulfilled redemption, with its snapshotted price and
 *   currency, and none for any other;
 * - `redeemed` has received exactly the fulfilled points, and `redemption_hold` holds
 *   exactly the waiting ones with nothing left posted on it; the liability is the points
 *   issued less the points redeemed.
 */
export async function rewardsInvariantBreaches(
  db: Database,
  organizationId: number,
): Promise<string[]> {
  const { violations } = await verifyOrganization(db, organizationId);
  return violations.map(describeViolation);
}

/**
 * Everything a rewards command could change in a fixture's organization: the catalog,
 * the settings, the redemptions, the charges, the ledger's rows and every member's points.
 * Equal snapshots before and after a refused command show that it changed nothing.
 */
export async function rewardsSnapshot(f: RewardsFixture) {
  const organizationId = f.organizationId;
  const [items, settings, redemptions, charges, ledgerRows] = await Promise.all([
    f.db
      .selectFrom('reward_items')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .orderBy('id')
      .execute(),
    f.db
      .selectFrom('reward_settings')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .execute(),
    f.db
      .selectFrom('redemptions')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .orderBy('id')
      .execute(),
    f.db
      .selectFrom('billing_charges')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .orderBy('id')
      .execute(),
    countRows(f.db, organizationId),
  ]);
  const points: Record<string, { available: number; held: number }> = {};
  for (const name of Object.keys(f.members)) points[name] = await f.points(name);
  return { items, settings, redemptions, charges, ledgerRows, points };
}
