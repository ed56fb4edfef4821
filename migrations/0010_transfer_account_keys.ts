import { type Kysely, sql } from 'kysely';

/**
 * A transfer's accounts are referenced together with the transfer's organization and
 * asset, so the database itself refuses a transfer between organizations or between
 * assets (until now only the ledger's code did). The organization's own reference goes:
 * each account reference now implies it, as every account references its organization.
 * One check fewer on every transfer row inserted (each is a lookup and a row lock): the
 * allowance reset appends two hundred thousand of them for a hundred thousand members.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table ledger_accounts
    add constraint ledger_accounts_id_organization_id_asset_key
    unique (id, organization_id, asset)`.execute(db);
  await sql`
    alter table ledger_transfers
    drop constraint ledger_transfers_organization_id_fkey,
    drop constraint ledger_transfers_debit_account_id_fkey,
    drop constraint ledger_transfers_credit_account_id_fkey,
    add constraint ledger_transfers_debit_account_fkey
      foreign key (debit_account_id, organization_id, asset)
      references ledger_accounts (id, organization_id, asset),
    add constraint ledger_transfers_credit_account_fkey
      foreign key (credit_account_id, organization_id, asset)
      references ledger_accounts (id, organization_id, asset)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table ledger_transfers
    drop constraint ledger_transfers_debit_account_fkey,
    drop constraint ledger_transfers_credit_account_fkey,
    add constraint ledger_transfers_organization_id_fkey
      foreign key (organization_id) references organizations (id),
    add constraint ledger_transfers_debit_account_id_fkey
      foreign key (debit_account_id) references ledger_accounts (id),
    add constraint ledger_transfers_credit_account_id_fkey
      foreign key (credit_account_id) references ledger_accounts (id)`.execute(db);
  await sql`
    alter table ledger_accounts
    drop constraint ledger_accounts_id_organization_id_asset_key`.execute(db);
}
