import { sql } from 'kysely';
import type { Database } from '../db/database.ts';
import type { OrganizationAccounts } from './accounts.ts';
import { requestHash } from './request-hash.ts';

/** One member's period opening: the idempotency key names the member and the period. */
export interface PeriodOpening {
  /** The member's allowance account. */
  readonly accountId: number;
  /** Allowance granted for the new period. */
  readonly grant: number;
  readonly key: string;
  /**
   * Keys of the member's openings of other cadences' periods that begin within this one
   * (after a cadence change). When any was opened, nothing expires and the grant is what
   * they did not grant yet.
   */
  readonly earlierKeys?: readonly string[];
}

export interface PeriodOpeningBatch {
  readonly organizationId: number;
  readonly accounts: OrganizationAccounts;
  /** Unused allowance kept into the new period, at most; the rest expires. */
  readonly rolloverCap: number;
  readonly memo: { readonly grant: string; readonly expire: string };
  readonly openings: readonly PeriodOpening[];
}

/**
 * Creates the member accounts (and their balance rows) that a batch of members lacks, in
 * one statement, so that a reset of many members does not create them one by one.
 * Returns each member's allowance account.
 */
export async function ensureAllowanceAccounts(
  db: Database,
  organizationId: number,
  memberIds: readonly number[],
): Promise<Map<number, number>> {
  if (memberIds.length === 0) return new Map();
  await sql`
    with created as (
      insert into ledger_accounts (organization_id, asset, code, member_id, debits_must_not_exceed_credits)
      select ${organizationId}, c.asset, c.code, m.id, true
      from unnest(${[...memberIds]}::bigint[]) as m (id)
      cross join (values ('allowance', 'allowance'), ('points', 'earned')) as c (asset, code)
      order by m.id, c.code
      on conflict (organization_id, asset, code, member_id) do nothing
      returning id
    )
    insert into ledger_balances (account_id, debits_must_not_exceed_credits)
    select id, true from created`.execute(db);
  const rows = await db
    .selectFrom('ledger_accounts')
    .select(['id', 'member_id'])
    .where('organization_id', '=', organizationId)
    .where('asset', '=', 'allowance')
    .where('code', '=', 'allowance')
    .where('member_id', 'in', [...memberIds])
    .execute();
  return new Map(rows.map((row) => [row.member_id as number, row.id]));
}

/** The request hash of an opening (the key names the member and the period). */
export function periodOpeningHash(opening: Pick<PeriodOpening, 'accountId'>): string {
  // What is granted and what expires are worked out by whoever opens the period first,
  // from the settings and the balance of that moment: a later opener (the reset job after
  // a first give, or a give after an admin changed the allowance) asks for the same
  // opening, not a different one. A key used for anything else is a conflict.
  return requestHash('open_period', { accountId: opening.accountId });
}

/**
 * Opens the giving period of many members in one statement, each as its own ledger
 * request under its own key: what is left of a member's allowance beyond the rollover
 * cap expires, and the new period's grant is credited. A key already claimed is skipped,
 * so each member's period is opened exactly once. Returns how many this call opened.
 *
 * Keys are claimed and balance rows locked in account order, as every ledger write
 * locks them; the transfers move the balance rows (the database does, migration 0016).
 */
export async function executePeriodOpenings(
  db: Database,
  batch: PeriodOpeningBatch,
): Promise<number> {
  const org = batch.organizationId;
  const accountIds = batch.openings.map((opening) => opening.accountId);
  const grants = batch.openings.map((opening) => opening.grant);
  const keys = batch.openings.map((opening) => opening.key);
  const hashes = batch.openings.map(periodOpeningHash);
  const earlierAccounts = batch.openings.flatMap((opening) =>
    (opening.earlierKeys ?? []).map(() => opening.accountId),
  );
  const earlierKeys = batch.openings.flatMap((opening) => opening.earlierKeys ?? []);
  const { rows } = await sql<{ opened: number }>`
    with input as (
      select * from unnest(${accountIds}::bigint[], ${grants}::bigint[], ${keys}::text[],
        ${hashes}::text[]) as i (account_id, grant_amount, key, hash)
    ),
    req as (
      insert into ledger_requests (organization_id, idempotency_key, request_hash, operation)
      select ${org}, key, hash, 'transfer'
      from input order by account_id
      on conflict (organization_id, idempotency_key) do nothing
      returning id, idempotency_key
    ),
    claimed as (
      select i.account_id, i.grant_amount, r.id as request_id
      from input i join req r on r.idempotency_key = i.key
    ),
    locked as (
      select b.account_id, b.credits_posted - b.debits_posted - b.debits_pending as available
      from ledger_balances b
      where b.account_id = any(array(select account_id from claimed))
      order by b.account_id
      for update
    ),
    earlier as (
      select e.account_id,
        coalesce(sum(t.amount) filter (where t.kind = 'allowance_grant'), 0) as granted
      from unnest(${earlierAccounts}::bigint[], ${earlierKeys}::text[]) as e (account_id, key)
      join ledger_requests r on r.organization_id = ${org} and r.idempotency_key = e.key
      left join ledger_transfers t on t.request_id = r.id
      group by e.account_id
    ),
    amounts as (
      select c.account_id, c.request_id,
        case when e.account_id is null then c.grant_amount
          else greatest(0, c.grant_amount - e.granted) end as grant_amount,
        case when e.account_id is null then greatest(0, l.available - ${batch.rolloverCap})
          else 0 end as expire
      from claimed c join locked l on l.account_id = c.account_id
      left join earlier e on e.account_id = c.account_id
    ),
    transfers as (
      insert into ledger_transfers (organization_id, request_id, asset, debit_account_id,
        credit_account_id, amount, kind, status, memo)
      select ${org}, x.request_id, 'allowance', t.debit_account_id, t.credit_account_id,
        t.amount, t.kind, 'posted', t.memo
      from amounts x
      cross join lateral (values
        (1, x.account_id, ${batch.accounts.allowance_expired.id}::bigint, x.expire,
          'allowance_expire', ${batch.memo.expire}::text),
        (2, ${batch.accounts.allowance_pool.id}::bigint, x.account_id, x.grant_amount,
          'allowance_grant', ${batch.memo.grant}::text)
      ) as t (position, debit_account_id, credit_account_id, amount, kind, memo)
      where t.amount > 0
      order by x.account_id, t.position
      returning 1
    )
    select (select count(*) from amounts)::int as opened,
      (select count(*) from transfers)::int as transfers`.execute(db);
  return rows[0]?.opened ?? 0;
}

/**
 * The keys of a batch that were claimed by a different request than their opening (read
 * after the opening statement, whose snapshot may predate a concurrent claim).
 */
export async function conflictingOpenings(
  db: Database,
  batch: PeriodOpeningBatch,
): Promise<string[]> {
  const keys = batch.openings.map((opening) => opening.key);
  const hashes = batch.openings.map(periodOpeningHash);
  const { rows } = await sql<{ key: string }>`
    select i.key
    from unnest(${keys}::text[], ${hashes}::text[]) as i (key, hash)
    join ledger_requests r
      on r.organization_id = ${batch.organizationId} and r.idempotency_key = i.key
    where r.request_hash <> i.hash
    order by i.key`.execute(db);
  return rows.map((row) => row.key);
}
