import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Database } from '../../src/db/database.ts';
import type { Platform } from '../../src/db/tables.ts';
import { Ledger } from '../../src/ledger/ledger.ts';

/** A member as an end-to-end test knows them: found by their platform identity. */
export interface KnownMember {
  readonly id: number;
  readonly organizationId: number;
}

/** The member a platform user became on first sight; fails when there is none yet. */
export async function memberOf(
  db: Database,
  identity: { platform: Platform; tenantId: string; userId: string },
): Promise<KnownMember> {
  const row = await db
    .selectFrom('platform_identities')
    .select(['member_id', 'organization_id'])
    .where('platform', '=', identity.platform)
    .where('tenant_id', '=', identity.tenantId)
    .where('user_id', '=', identity.userId)
    .executeTakeFirst();
  if (!row) throw new Error(`${identity.userId} has not been seen on ${identity.platform}`);
  return { id: row.member_id, organizationId: row.organization_id };
}

/** Gives a member the HR role, as an admin would. */
export async function makeHr(db: Database, member: KnownMember): Promise<void> {
  await db
    .updateTable('members')
    .set({ roles: ['member', 'hr'] })
    .where('id', '=', member.id)
    .execute();
}

/** Credits a member's earned points (issuance → earned), as kudos would, in one adjustment. */
export async function earnPoints(db: Database, member: KnownMember, amount: number): Promise<void> {
  const ledger = new Ledger(db);
  const [mine, organization] = await Promise.all([
    ledger.memberAccounts(member.organizationId, member.id),
    ledger.organizationAccounts(member.organizationId),
  ]);
  const result = await ledger.transfer({
    organizationId: member.organizationId,
    idempotencyKey: `e2e-earn:${randomUUID()}`,
    transfers: [
      {
        debitAccountId: organization.issuance.id,
        creditAccountId: mine.earned.id,
        amount,
        kind: 'adjustment',
      },
    ],
  });
  if (!result.ok) throw new Error(result.message);
}

/** Earned points a member may spend, and those held for their redemptions, from the ledger. */
export async function pointsOf(
  db: Database,
  member: KnownMember,
): Promise<{ available: number; held: number }> {
  const { rows } = await sql<{ available: number; held: number }>`
    select b.credits_posted - b.debits_posted - b.debits_pending as available,
           b.debits_pending as held
    from ledger_accounts a join ledger_balances b on b.account_id = a.id
    where a.member_id = ${member.id} and a.code = 'earned'`.execute(db);
  return {
    available: Number(rows[0]?.available ?? 0),
    held: Number(rows[0]?.held ?? 0),
  };
}

/** A member's redemptions, oldest first, with their status. */
export async function redemptionsOf(
  db: Database,
  member: KnownMember,
): Promise<Array<{ id: number; status: string }>> {
  return db
    .selectFrom('redemptions')
    .select(['id', 'status'])
    .where('member_id', '=', member.id)
    .orderBy('id')
    .execute();
}

/** The billing charges recorded for one redemption. */
export async function chargesFor(db: Database, redemptionId: number): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from billing_charges where redemption_id = ${redemptionId}`.execute(
    db,
  );
  return rows[0]?.n ?? 0;
}
