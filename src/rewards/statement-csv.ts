import { csvDocument } from '../core/csv.ts';
import type { MonthlyStatement } from './billing.ts';
import { minorDigits } from './money.ts';

export const STATEMENT_CSV_HEADER = [
  'charge_id',
  'charged_at',
  'redemption_id',
  'item_id',
  'item',
  'member_id',
  'member',
  'email',
  'groups',
  'amount',
  'currency',
] as const;

/**
 * A statement's charges as CSV (RFC 4180: comma-separated, CRLF lines, fields quoted when
 * they hold a comma, quote or line break), amounts in major units with the currency's
 * decimals. A field a spreadsheet would run as a formula is prefixed with a quote mark.
 */
export function statementCsv(statement: MonthlyStatement): string {
  const rows = statement.charges.map((charge) => [
    String(charge.id),
    charge.chargedAt.toISOString(),
    String(charge.redemptionId),
    String(charge.itemId),
    charge.itemName,
    String(charge.memberId),
    charge.memberName,
    charge.memberEmail ?? '',
    charge.groups.join('; '),
    majorUnits(charge.amountMinor, charge.currency),
    charge.currency,
  ]);
  return csvDocument(STATEMENT_CSV_HEADER, rows);
}

function majorUnits(minor: number, currency: string): string {
  const digits = minorDigits(currency);
  if (digits === 0) return String(minor);
  const unit = 10 ** digits;
  return `${Math.floor(minor / unit)}.${String(minor % unit).padStart(digits, '0')}`;
}
