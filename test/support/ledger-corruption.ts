import { sql, type Transaction } from 'kysely';
import type { Database } from '../../src/db/database.ts';
import type { Tables } from '../../src/db/tables.ts';
import { key } from './ledger-fixture.ts';
import { createRewardsFixture, type RewardsFixture, redemptionIdIn } from './rewards-fixture.ts';

/**
 * An organization whose ledger has seen every kind of write: allowance, kudos, a
 * redemption fulfilled (charged), one rejected and one still held. Ana keeps 40 earned
 * points available.
 */
export async function populatedOrganization(db: Database) {
  const f = await createRewardsFixture(db, {
    members: { Ana: {}, Ben: {}, Hal: { roles: ['member', 'hr'] } },
  });
  try {
    await f.earn('Ana', 230);
    const give = await f.kudos('Ben', '@Ana 10 for the launch');
    if (give.outcome !== 'ok') throw new Error(give.text);
    const mug = await f.item({ name: 'Mug', pointsCost: 100, priceMinor: 550 });
    const fulfilled = await redeem(f, mug);
    await hr(f, `hr fulfil ${fulfilled}`);
    const rejected = await redeem(f, mug);
    await hr(f, `hr reject ${rejected} out of mugs`);
    const held = await redeem(f, mug);
    const ana = await accountsOf(db, f, 'Ana');
    return { f, organizationId: f.organizationId, ana, fulfilled, rejected, held };
  } finally {
    await f.jobs.close();
  }
}

async function redeem(f: RewardsFixture, itemId: number): Promise<number> {
  return redemptionIdIn(await f.command('Ana', `redeem #${itemId}`));
}

async function hr(f: RewardsFixture, text: string): Promise<void> {
  const reply = await f.command('Hal', text);
  if (reply.outcome !== 'ok') throw new Error(reply.text);
}

async function accountsOf(db: Database, f: RewardsFixture, name: string) {
  const rows = await db
    .selectFrom('ledger_accounts')
    .select(['id', 'code'])
    .where('organization_id', '=', f.organizationId)
    .where('member_id', '=', (f.members[name] as { id: number }).id)
    .execute();
  const idOf = (code: string) => rows.find((row) => row.code === code)?.id as number;
  return { earned: idOf('earned'), allowance: idOf('allowance') };
}

/**
 * Writes past the database's guards, as a hand-made repair or a bug with a superuser's
 * rights could: triggers are off (`session_replication_role = replica`) for this
 * transaction only.
 */
export async function pastTheTriggers(
  db: Database,
  write: (trx: Transaction<Tables>) => Promise<unknown>,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`set local session_replication_role = replica`.execute(trx);
    await write(trx);
  });
}

/** Adds to a balance row without any transfer. */
export function nudgeBalanceRow(db: Database, accountId: number, by: number) {
  return pastTheTriggers(db, (trx) =>
    sql`update ledger_balances set credits_posted = credits_posted + ${by}
      where account_id = ${accountId}`.execute(trx),
  );
}

/** Appends a posted points transfer without moving any balance row. */
export function transferWithoutBalances(
  db: Database,
  organizationId: number,
  transfer: { debit: number; credit: number; amount: number },
) {
  return pastTheTriggers(db, async (trx) => {
    const { rows } = await sql<{ id: number }>`
      insert into ledger_requests (organization_id, idempotency_key, request_hash, operation)
      values (${organizationId}, ${key('by-hand')}, 'by hand', 'transfer') returning id`.execute(
      trx,
    );
    await sql`
      insert into ledger_transfers (organization_id, request_id, asset, debit_account_id,
        credit_account_id, amount, kind, status)
      values (${organizationId}, ${rows[0]?.id}, 'points', ${transfer.debit}, ${transfer.credit},
        ${transfer.amount}, 'adjustment', 'posted')`.execute(trx);
  });
}

/**
 * Charges a redemption (again): a copy of the redemption's terms as a billing charge. A
 * second charge needs the unique constraint gone, which only a database of the test's own
 * may lose.
 */
export async function chargeAgain(
  db: Database,
  redemptionId: number,
  options: { dropUniqueCharge: boolean },
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    if (options.dropUniqueCharge) {
      await sql`alter table billing_charges
        drop constraint if exists billing_charges_redemption_id_key`.execute(trx);
    }
    await sql`
      insert into billing_charges (organization_id, redemption_id, item_id, member_id,
        amount_minor, currency)
      select organization_id, id, item_id, member_id, price_minor, currency
      from redemptions where id = ${redemptionId}`.execute(trx);
  });
}
