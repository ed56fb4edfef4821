/**
 * What a ledger verification can find wrong in an organization: one kind per invariant
 * the ledger and the rewards promise (DESIGN.md "The ledger"), each named by the row it
 * is about.
 */
export type LedgerViolationKind =
  /** An asset's balances in the organization do not sum to zero (posted/pending). */
  | 'asset_not_zero'
  /** A limited account's balance row differs from the totals of its transfers. */
  | 'balance_row_mismatch'
  /** A limited account has no balance row. */
  | 'balance_row_missing'
  /** An unlimited account has a balance row (it would be held to zero). */
  | 'balance_row_unexpected'
  /** A limited account's transfers take more from it than it was given. */
  | 'limited_account_negative'
  /** Points outstanding (members' earned and held points) differ from issued less redeemed. */
  | 'liability_mismatch'
  /** A redemption's hold is not in the status its redemption's status needs. */
  | 'hold_status_mismatch'
  /** A redemption's hold is not its points, from its member's earned account to the hold. */
  | 'hold_mismatch'
  /** A fulfilled redemption without exactly one charge, or a charge on any other. */
  | 'charge_count'
  /** A charge not at its redemption's price, currency, item or member. */
  | 'charge_mismatch'
  /** The redeemed account does not hold the points of the fulfilled redemptions. */
  | 'redeemed_mismatch'
  /** The hold account does not hold exactly the points of the redemptions waiting. */
  | 'redemption_hold_mismatch'
  /** The organization has redemptions but no redemption accounts. */
  | 'redemption_accounts_missing'
  /**
   * The checks could not run on the organization's rows (the database refused them: a
   * value out of range written by hand, a statement past its time limit).
   */
  | 'checks_failed';

/** One thing found wrong, naming the row it is about, with what was expected and found. */
export interface LedgerViolation {
  readonly kind: LedgerViolationKind;
  readonly organizationId: number;
  /** The row at fault (an account, a redemption), or null for an organization-wide sum. */
  readonly row: { readonly table: 'ledger_accounts' | 'redemptions'; readonly id: number } | null;
  /** Which account or asset, in words: "earned of member 12", "points". */
  readonly subject: string;
  readonly expected: string;
  readonly actual: string;
}

/**
 * One line naming the violation and its row:
 * `organization 3: balance_row_mismatch at ledger_accounts 41 (earned of member 7):
 * expected …, found …`.
 */
export function describeViolation(violation: LedgerViolation): string {
  const at = violation.row ? ` at ${violation.row.table} ${violation.row.id}` : '';
  return `organization ${violation.organizationId}: ${violation.kind}${at} (${violation.subject}): expected ${violation.expected}, found ${violation.actual}`;
}

/** A violation as the checks' SQL returns it, before it is given its organization. */
export interface ViolationRow {
  readonly kind: LedgerViolationKind;
  readonly row_table: 'ledger_accounts' | 'redemptions' | null;
  readonly row_id: number | null;
  readonly subject: string;
  readonly expected: string;
  readonly actual: string;
}

export function toViolation(organizationId: number, row: ViolationRow): LedgerViolation {
  return {
    kind: row.kind,
    organizationId,
    row:
      row.row_table === null || row.row_id === null
        ? null
        : { table: row.row_table, id: Number(row.row_id) },
    subject: row.subject,
    expected: row.expected,
    actual: row.actual,
  };
}

/** What one group of checks found in an organization: the first violations, and how many. */
export interface CheckResult {
  readonly violations: readonly LedgerViolation[];
  /** All the violations found, listed or not. */
  readonly total: number;
}
