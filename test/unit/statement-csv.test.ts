import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MonthlyStatement, StatementCharge } from '../../src/rewards/billing.ts';
import { STATEMENT_CSV_HEADER, statementCsv } from '../../src/rewards/statement-csv.ts';
import { CsvError, parseCsv } from '../support/csv.ts';

describe('the test CSV reader (RFC 4180, strict)', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks', () => {
    expect(parseCsv('a,"b,c","say ""hi""","two\r\nlines"\r\n1,,"",x\r\n')).toEqual([
      ['a', 'b,c', 'say "hi"', 'two\r\nlines'],
      ['1', '', '', 'x'],
    ]);
  });

  it('takes a last record without its CRLF, and nothing as no records', () => {
    expect(parseCsv('a,b\r\nc,d')).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    expect(parseCsv('')).toEqual([]);
  });

  it.each([
    ['a,b\nc,d', 'a bare LF ends no record'],
    ['a,b\rc,d', 'a bare CR is not a line end'],
    ['a,b"c', 'a quote inside an unquoted field'],
    ['"a"b,c', 'text after a closing quote'],
    ['"a,b', 'a quote never closed'],
    ['a,b\r\nc', 'records of different lengths'],
  ])('refuses %j: %s', (text) => {
    expect(() => parseCsv(text)).toThrow(CsvError);
  });
});

const charge = (fields: Partial<StatementCharge>): StatementCharge => ({
  id: 1,
  chargedAt: new Date('2026-03-04T05:06:07.089Z'),
  redemptionId: 2,
  itemId: 3,
  itemName: 'Mug',
  memberId: 4,
  memberName: 'Ana',
  memberEmail: 'ana@example.com',
  groups: [],
  amountMinor: 550,
  currency: 'EUR',
  ...fields,
});

const statementOf = (charges: StatementCharge[]): MonthlyStatement => ({
  organizationId: 1,
  month: '2026-03',
  currency: 'EUR',
  count: charges.length,
  totalMinor: charges.reduce((sum, each) => sum + each.amountMinor, 0),
  byItem: [],
  byGroup: [],
  charges,
});

/** The fields a charge should have in the CSV, for text that is not formula-like. */
const expectedRow = (c: StatementCharge, amount: string) => [
  String(c.id),
  c.chargedAt.toISOString(),
  String(c.redemptionId),
  String(c.itemId),
  c.itemName,
  String(c.memberId),
  c.memberName,
  c.memberEmail ?? '',
  c.groups.join('; '),
  amount,
  c.currency,
];

describe('statementCsv', () => {
  it('writes a header and one row per charge, every field read back as it was', () => {
    const charges = [
      charge({ itemName: 'Lunch, for two', memberName: 'Silva, "Ana"' }),
      charge({
        id: 9,
        itemName: 'Day\r\noff',
        memberName: 'Li\nWei',
        memberEmail: null,
        groups: ['Design', 'R&D, "Lab"'],
        amountMinor: 5,
      }),
      charge({ id: 10, memberName: 'Cr\rline', amountMinor: 123_456 }),
    ];
    const rows = parseCsv(statementCsv(statementOf(charges)));
    expect(rows).toEqual([
      [...STATEMENT_CSV_HEADER],
      expectedRow(charges[0] as StatementCharge, '5.50'),
      expectedRow(charges[1] as StatementCharge, '0.05'),
      expectedRow(charges[2] as StatementCharge, '1234.56'),
    ]);
  });

  it('writes amounts with the decimals of the currency: none for JPY, three for KWD', () => {
    const rows = parseCsv(
      statementCsv(
        statementOf([
          charge({ amountMinor: 1500, currency: 'JPY' }),
          charge({ amountMinor: 1005, currency: 'KWD' }),
          charge({ amountMinor: 0, currency: 'EUR' }),
        ]),
      ),
    );
    expect(rows.slice(1).map((row) => row.slice(-2))).toEqual([
      ['1500', 'JPY'],
      ['1.005', 'KWD'],
      ['0.00', 'EUR'],
    ]);
  });

  it('defuses text a spreadsheet would run as a formula, with a leading quote mark', () => {
    const rows = parseCsv(
      statementCsv(
        statementOf([
          charge({ memberName: '=HYPERLINK("http://x")', itemName: '+1 mug' }),
          charge({ memberName: '@SUM(A1)', itemName: '-5 off', groups: ['\tTabbed'] }),
        ]),
      ),
    );
    expect(rows.slice(1).map((row) => [row[4], row[6], row[8]])).toEqual([
      ["'+1 mug", '\'=HYPERLINK("http://x")', ''],
      ["'-5 off", "'@SUM(A1)", "'\tTabbed"],
    ]);
  });

  it('an empty statement is the header alone', () => {
    expect(statementCsv(statementOf([]))).toBe(`${STATEMENT_CSV_HEADER.join(',')}\r\n`);
  });

  it('round-trips any names that do not start like a formula', () => {
    // Any text, and text made mostly of the characters CSV must quote, so they do occur.
    const text = fc
      .oneof(
        fc.string({ unit: 'grapheme', maxLength: 30 }),
        fc.string({
          unit: fc.constantFrom(',', '"', '\r', '\n', '\r\n', ' ', 'a', 'é'),
          maxLength: 12,
        }),
      )
      .filter((value) => !/^[=+\-@\t\r]/.test(value));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(text, text, fc.array(text, { maxLength: 3 })), { maxLength: 5 }),
        (named) => {
          const charges = named.map(([itemName, memberName, groups], index) =>
            charge({ id: index + 1, itemName, memberName, groups, amountMinor: index * 101 }),
          );
          const rows = parseCsv(statementCsv(statementOf(charges)));
          expect(rows.slice(1)).toEqual(
            charges.map((each) => expectedRow(each, (each.amountMinor / 100).toFixed(2))),
          );
        },
      ),
    );
  });
});
