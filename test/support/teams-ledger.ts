import { sql } from 'kysely';
import type { Database } from '../../src/db/database.ts';
import type { FakeTeamsUser } from './fake-bot-connector.ts';

/** The points a Teams user of the tenant has earned and may redeem (0 before any). */
export async function teamsEarned(
  db: Database,
  tenantId: string,
  user: FakeTeamsUser,
): Promise<number> {
  const { rows } = await sql<{ available: number }>`
    select b.credits_posted - b.debits_posted - b.debits_pending as available
    from platform_identities p
    join ledger_accounts a on a.member_id = p.member_id and a.code = 'earned'
    join ledger_balances b on b.account_id = a.id
    where p.platform = 'teams' and p.tenant_id = ${tenantId} and p.user_id = ${user.aadObjectId}`.execute(
    db,
  );
  return rows[0]?.available ?? 0;
}

/** How many recognitions and ledger transfers the tenant's organization holds. */
export async function tenantLedgerRows(
  db: Database,
  tenantId: string,
): Promise<{ recognitions: number; transfers: number }> {
  const { rows } = await sql<{ recognitions: number; transfers: number }>`
    select
      (select count(*)::int from recognitions r where r.organization_id = t.organization_id) as recognitions,
      (select count(*)::int from ledger_transfers x where x.organization_id = t.organization_id) as transfers
    from teams_tenants t where t.tenant_id = ${tenantId}`.execute(db);
  return rows[0] ?? { recognitions: 0, transfers: 0 };
}
