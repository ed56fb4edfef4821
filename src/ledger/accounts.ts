import type { Database } from '../db/database.ts';
import type { AccountCode, Asset } from '../db/tables.ts';
import {
  ACCOUNT_CODES,
  MEMBER_ACCOUNT_CODES,
  type MemberAccountCode,
  ORGANIZATION_ACCOUNT_CODES,
  type OrganizationAccountCode,
} from './account-codes.ts';

/** What never changes about an account; safe to cache for the life of a process. */
export interface Account {
  readonly id: number;
  readonly organizationId: number;
  readonly asset: Asset;
  readonly code: AccountCode;
  readonly memberId: number | null;
  /** Debits may never exceed posted credits; such an account keeps a balance row. */
  readonly limited: boolean;
}

export type OrganizationAccounts = Readonly<Record<OrganizationAccountCode, Account>>;
export type MemberAccounts = Readonly<Record<MemberAccountCode, Account>>;

interface AccountRow {
  id: number;
  organization_id: number;
  asset: Asset;
  code: AccountCode;
  member_id: number | null;
  debits_must_not_exceed_credits: boolean;
}

export function toAccount(row: AccountRow): Account {
  return {
    id: row.id,
    organizationId: row.organization_id,
    asset: row.asset,
    code: row.code,
    memberId: row.member_id,
    limited: row.debits_must_not_exceed_credits,
  };
}

/**
 * Creates the accounts with these codes (once; concurrent callers agree on one row each),
 * each limited one with its balance row in the same statement (the database refuses a
 * limited account without one), and returns them by code.
 */
async function ensureAccounts<C extends AccountCode>(
  db: Database,
  organizationId: number,
  memberId: number | null,
  codes: readonly C[],
): Promise<Record<C, Account>> {
  await db
    .with('created', (created) =>
      created
        .insertInto('ledger_accounts')
        .values(
          codes.map((code) => ({
            organization_id: organizationId,
            asset: ACCOUNT_CODES[code].asset,
            code,
            member_id: memberId,
            debits_must_not_exceed_credits: ACCOUNT_CODES[code].limited,
          })),
        )
        .onConflict((conflict) =>
          conflict.columns(['organization_id', 'asset', 'code', 'member_id']).doNothing(),
        )
        .returning(['id', 'debits_must_not_exceed_credits']),
    )
    .insertInto('ledger_balances')
    .columns(['account_id', 'debits_must_not_exceed_credits'])
    .expression((eb) =>
      eb
        .selectFrom('created')
        .select(['created.id', 'created.debits_must_not_exceed_credits'])
        .where('created.debits_must_not_exceed_credits', '=', true),
    )
    .execute();
  let query = db
    .selectFrom('ledger_accounts')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where('code', 'in', codes);
  query =
    memberId === null
      ? query.where('member_id', 'is', null)
      : query.where('member_id', '=', memberId);
  const rows = await query.execute();
  const byCode = {} as Record<C, Account>;
  for (const row of rows) byCode[row.code as C] = toAccount(row);
  return byCode;
}

export function ensureOrganizationAccounts(
  db: Database,
  organizationId: number,
): Promise<OrganizationAccounts> {
  return ensureAccounts(db, organizationId, null, ORGANIZATION_ACCOUNT_CODES);
}

export function ensureMemberAccounts(
  db: Database,
  organizationId: number,
  memberId: number,
): Promise<MemberAccounts> {
  return ensureAccounts(db, organizationId, memberId, MEMBER_ACCOUNT_CODES);
}
