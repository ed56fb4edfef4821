import type { AccountCode, Asset } from '../db/tables.ts';

export interface AccountCodeRule {
  readonly asset: Asset;
  /** A member account exists once per member; the others once per organization. */
  readonly perMember: boolean;
  /** Debits may never exceed credits (the account can never go below zero). */
  readonly limited: boolean;
}

/**
 * The chart of accounts. Limited accounts keep a balance row that every write touching them
 * locks; unlimited ones are the organization's hot accounts, whose balances are derived
 * from their transfers so that no give waits on another.
 */
export const ACCOUNT_CODES: Readonly<Record<AccountCode, AccountCodeRule>> = {
  allowance_pool: { asset: 'allowance', perMember: false, limited: false },
  allowance: { asset: 'allowance', perMember: true, limited: true },
  allowance_spent: { asset: 'allowance', perMember: false, limited: false },
  allowance_expired: { asset: 'allowance', perMember: false, limited: false },
  issuance: { asset: 'points', perMember: false, limited: false },
  earned: { asset: 'points', perMember: true, limited: true },
  redemption_hold: { asset: 'points', perMember: false, limited: true },
  redeemed: { asset: 'points', perMember: false, limited: false },
};

/** Codes of the accounts each member has; the rest exist once per organization. */
export type MemberAccountCode = 'allowance' | 'earned';
export type OrganizationAccountCode = Exclude<AccountCode, MemberAccountCode>;

export const ORGANIZATION_ACCOUNT_CODES = (Object.keys(ACCOUNT_CODES) as AccountCode[]).filter(
  (code) => !ACCOUNT_CODES[code].perMember,
) as OrganizationAccountCode[];

export const MEMBER_ACCOUNT_CODES = (Object.keys(ACCOUNT_CODES) as AccountCode[]).filter(
  (code) => ACCOUNT_CODES[code].perMember,
) as MemberAccountCode[];
