import { sql } from 'kysely';
import type { Database } from '../../src/db/database.ts';

/** Every table that holds an organization's rows by `organization_id`. */
export const TABLES_BY_ORGANIZATION = [
  'members',
  'platform_identities',
  'groups',
  'group_members',
  'ledger_accounts',
  'ledger_requests',
  'ledger_transfers',
  'recognition_settings',
  'company_values',
  'allowance_overrides',
  'recognitions',
  'recognition_recipients',
  'recognition_reversals',
  'notification_outbox',
  'reward_settings',
  'reward_items',
  'redemptions',
  'billing_charges',
  'api_tokens',
  'audit_log',
  'slack_workspaces',
  'teams_tenants',
  'teams_conversations',
  'organization_link_codes',
] as const;

export type OrganizationSnapshot = Record<string, string[]>;

export interface SnapshotOptions {
  /**
   * Columns left out, by table: bookkeeping a read may touch (an API token's
   * `last_used_at`, written at most once a minute as it is used).
   */
  readonly without?: Partial<Record<(typeof TABLES_BY_ORGANIZATION)[number], string[]>>;
}

/**
 * All of an organization's rows, every table (the organization's own row, ledger balances
 * and Teams users through what they belong to), each row as JSON, in an order that does
 * not depend on how they were read. Equal snapshots mean nothing of it changed.
 */
export async function organizationSnapshot(
  db: Database,
  organizationId: number,
  options: SnapshotOptions = {},
): Promise<OrganizationSnapshot> {
  const sorted = (rows: ReadonlyArray<{ row: unknown }>) =>
    rows.map((row) => JSON.stringify(row.row)).sort();
  const tables: OrganizationSnapshot = {};
  for (const table of TABLES_BY_ORGANIZATION) {
    let row = sql`to_jsonb(t)`;
    for (const column of options.without?.[table] ?? []) row = sql`${row} - ${column}::text`;
    const { rows } = await sql<{ row: unknown }>`
      select ${row} as row from ${sql.table(table)} t
      where t.organization_id = ${organizationId}`.execute(db);
    tables[table] = sorted(rows);
  }
  const organizations = await sql<{ row: unknown }>`
    select to_jsonb(o) as row from organizations o where o.id = ${organizationId}`.execute(db);
  tables.organizations = sorted(organizations.rows);
  const balances = await sql<{ row: unknown }>`
    select to_jsonb(b) as row from ledger_balances b
    join ledger_accounts a on a.id = b.account_id
    where a.organization_id = ${organizationId}`.execute(db);
  tables.ledger_balances = sorted(balances.rows);
  const teamsUsers = await sql<{ row: unknown }>`
    select to_jsonb(u) as row from teams_users u
    join teams_tenants t on t.tenant_id = u.tenant_id
    where t.organization_id = ${organizationId}`.execute(db);
  tables.teams_users = sorted(teamsUsers.rows);
  return tables;
}
