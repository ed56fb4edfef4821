import type { Database } from '../../src/db/database.ts';
import type { RedemptionStatus, TransferStatus } from '../../src/db/tables.ts';
import { readBalances } from '../../src/ledger/balances.ts';
import { assetSums, balancesThatDisagreeWithTransfers, countRows } from './ledger-invariants.ts';
import type { RewardsFixture } from './rewards-fixture.ts';

/** The status a redemption's hold transfer must have for each redemption status. */
const HOLD_STATUS: Readonly<Record<RedemptionStatus, TransferStatus>> = {
  held: 'pending',
  fulfilling: 'pending',
  fulfilled: 'posted_from_pending',
  rejected: 'voided',
  cancelled: 'voided',
  expired: 'voided',
};

/**
 * What must hold of an organization's rewards between operations, as sentences for what
 * does not (an empty list when all is well), so a failing test says which rule broke:
 *
 * - every asset's balances sum to zero and every balance row equals its transfers;
 * - a redemption's hold is pending while held, posted once fulfilled, voided otherwise,
 *   and holds exactly the redemption's points from the member's earned account;
 * - exactly one billing charge per fulfilled redemption, with its snapshotted price and
 *   currency, and none for any other;
 * - `redeemed` has received exactly the fulfilled points, and `redemption_hold` holds
 *   exactly the held ones with nothing left posted on it.
 */
export async function rewardsInvariantBreaches(
  db: Database,
  organizationId: number,
): Promise<string[]> {
  const breaches: string[] = [];
  for (const sum of await assetSums(db, organizationId)) {
    if (sum.posted !== 0 || sum.pending !== 0) {
      breaches.push(`${sum.asset} sums to ${sum.posted} posted and ${sum.pending} pending`);
    }
  }
  for (const mismatch of await balancesThatDisagreeWithTransfers(db, organizationId)) {
    breaches.push(
      `account ${mismatch.account} has ${mismatch.actual.join('/')} but its transfers say ${mismatch.expected.join('/')}`,
    );
  }
  const [redemptions, charges, accounts] = await Promise.all([
    db
      .selectFrom('redemptions as r')
      .innerJoin('ledger_transfers as t', 't.id', 'r.hold_transfer_id')
      .innerJoin('ledger_accounts as a', 'a.id', 't.debit_account_id')
      .select([
        'r.id',
        'r.status',
        'r.points',
        'r.price_minor',
        'r.currency',
        'r.item_id',
        'r.member_id',
        't.status as hold_status',
        't.amount as hold_amount',
        'a.member_id as hold_member_id',
        'a.code as hold_debit_code',
      ])
      .where('r.organization_id', '=', organizationId)
      .execute(),
    db
      .selectFrom('billing_charges')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .execute(),
    db
      .selectFrom('ledger_accounts')
      .select(['id', 'code'])
      .where('organization_id', '=', organizationId)
      .where('code', 'in', ['redeemed', 'redemption_hold'])
      .execute(),
  ]);
  const chargesOf = new Map<number, typeof charges>();
  for (const charge of charges) {
    chargesOf.set(charge.redemption_id, [...(chargesOf.get(charge.redemption_id) ?? []), charge]);
  }
  let fulfilledPoints = 0;
  let heldPoints = 0;
  for (const r of redemptions) {
    const name = `redemption #${r.id} (${r.status})`;
    if (r.hold_status !== HOLD_STATUS[r.status]) {
      breaches.push(`${name} has its hold ${r.hold_status}`);
    }
    if (
      r.hold_amount !== r.points ||
      r.hold_debit_code !== 'earned' ||
      r.hold_member_id !== r.member_id
    ) {
      breaches.push(`${name} holds ${r.hold_amount} from another account than the member's`);
    }
    const mine = chargesOf.get(r.id) ?? [];
    const wanted = r.status === 'fulfilled' ? 1 : 0;
    if (mine.length !== wanted) breaches.push(`${name} has ${mine.length} charges`);
    for (const charge of mine) {
      if (
        charge.amount_minor !== r.price_minor ||
        charge.currency !== r.currency ||
        charge.item_id !== r.item_id ||
        charge.member_id !== r.member_id
      ) {
        breaches.push(`${name} was charged ${charge.amount_minor} ${charge.currency}`);
      }
    }
    if (r.status === 'fulfilled') fulfilledPoints += r.points;
    if (r.status === 'held') heldPoints += r.points;
  }
  const idOf = (code: string) => accounts.find((account) => account.code === code)?.id;
  const redeemedId = idOf('redeemed');
  const holdId = idOf('redemption_hold');
  if (redeemedId !== undefined && holdId !== undefined) {
    const balances = await readBalances(db, [redeemedId, holdId]);
    const redeemed = balances.get(redeemedId);
    const hold = balances.get(holdId);
    const redeemedNet = (redeemed?.creditsPosted ?? 0) - (redeemed?.debitsPosted ?? 0);
    if (redeemedNet !== fulfilledPoints) {
      breaches.push(
        `redeemed holds ${redeemedNet} points, fulfilled redemptions ${fulfilledPoints}`,
      );
    }
    const holdPosted = (hold?.creditsPosted ?? 0) - (hold?.debitsPosted ?? 0);
    if (holdPosted !== 0) breaches.push(`redemption_hold keeps ${holdPosted} posted points`);
    if ((hold?.creditsPending ?? 0) !== heldPoints) {
      breaches.push(`redemption_hold holds ${hold?.creditsPending} points, held ${heldPoints}`);
    }
  } else if (redemptions.length > 0) {
    breaches.push('the organization has redemptions but no redemption accounts');
  }
  return breaches;
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
