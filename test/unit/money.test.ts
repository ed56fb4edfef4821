import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatMoney,
  formatRate,
  minorDigits,
  parseMoney,
  parseRate,
} from '../../src/rewards/money.ts';

// EUR has 2 decimals, JPY none and KWD 3 (ISO 4217): each shape of minor unit once.
const CURRENCIES = ['EUR', 'JPY', 'KWD'] as const;

/** A currency and an amount from 0 to the most that currency's reader accepts. */
const amountsUpTo = (most: (currency: string) => number) =>
  fc
    .constantFrom(...CURRENCIES)
    .chain((currency) =>
      fc.tuple(fc.constant(currency), fc.integer({ min: 0, max: most(currency) })),
    );

describe('minorDigits', () => {
  it('knows the 0- and 3-decimal currencies and takes 2 for the rest', () => {
    expect(CURRENCIES.map(minorDigits)).toEqual([2, 0, 3]);
    expect(minorDigits('USD')).toBe(2);
  });
});

describe('formatMoney', () => {
  it.each([
    [2550, 'EUR', '25.50 EUR'],
    [5, 'EUR', '0.05 EUR'],
    [0, 'EUR', '0.00 EUR'],
    [100, 'EUR', '1.00 EUR'],
    [-2550, 'EUR', '-25.50 EUR'],
    [-5, 'EUR', '-0.05 EUR'],
    [1500, 'JPY', '1500 JPY'],
    [0, 'JPY', '0 JPY'],
    [1234, 'KWD', '1.234 KWD'],
    [5, 'KWD', '0.005 KWD'],
    [1000, 'KWD', '1.000 KWD'],
  ])('%i minor units of %s read %s', (minor, currency, text) => {
    expect(formatMoney(minor, currency)).toBe(text);
  });
});

describe('parseMoney', () => {
  it.each([
    ['25', 'EUR', 2500],
    ['25.5', 'EUR', 2550],
    ['25.50', 'EUR', 2550],
    [' 25.50 ', 'EUR', 2550],
    ['0', 'EUR', 0],
    ['0.01', 'EUR', 1],
    ['999999999999.99', 'EUR', 99_999_999_999_999],
    ['1500', 'JPY', 1500],
    ['0', 'JPY', 0],
    ['1.234', 'KWD', 1234],
    ['1.2', 'KWD', 1200],
    ['0.005', 'KWD', 5],
  ])('%j in %s is %i minor units', (text, currency, minor) => {
    expect(parseMoney(text, currency)).toBe(minor);
  });

  it.each([
    ['25.505', 'EUR'],
    ['-1', 'EUR'],
    ['+1', 'EUR'],
    ['1e3', 'EUR'],
    ['', 'EUR'],
    ['25.', 'EUR'],
    ['.5', 'EUR'],
    ['1,50', 'EUR'],
    ['25 EUR', 'EUR'],
    ['1000000000000', 'EUR'],
    ['1500.5', 'JPY'],
    ['1500.0', 'JPY'],
    ['1.2345', 'KWD'],
    ['٣', 'EUR'],
  ])('refuses %j in %s', (text, currency) => {
    expect(parseMoney(text, currency)).toBeUndefined();
  });

  it('reads back whatever formatMoney writes, up to twelve whole digits, in every kind of currency', () => {
    fc.assert(
      fc.property(
        amountsUpTo((currency) => 10 ** (12 + minorDigits(currency)) - 1),
        ([currency, minor]) => {
          const [amount] = formatMoney(minor, currency).split(' ');
          expect(parseMoney(amount as string, currency)).toBe(minor);
        },
      ),
    );
  });
});

describe('parseRate and formatRate', () => {
  it.each([
    ['0.01', 'EUR', 1000, '0.01 EUR'],
    ['0.005', 'EUR', 500, '0.005 EUR'],
    ['1', 'EUR', 100_000, '1.00 EUR'],
    ['0.00001', 'EUR', 1, '0.00001 EUR'],
    ['0', 'EUR', 0, '0.00 EUR'],
    ['1', 'JPY', 1000, '1 JPY'],
    ['0.5', 'JPY', 500, '0.5 JPY'],
    ['0.001', 'JPY', 1, '0.001 JPY'],
    ['0.001', 'KWD', 1000, '0.001 KWD'],
    ['0.000001', 'KWD', 1, '0.000001 KWD'],
  ])('%j in %s is %i thousandths of a minor unit, written %s', (text, currency, milli, shown) => {
    expect(parseRate(text, currency)).toBe(milli);
    expect(formatRate(milli, currency)).toBe(shown);
  });

  it.each([
    ['0.000001', 'EUR'],
    ['0.0001', 'JPY'],
    ['0.0000001', 'KWD'],
    ['-0.01', 'EUR'],
    ['0,01', 'EUR'],
    ['', 'EUR'],
    ['1.', 'EUR'],
  ])('refuses %j in %s, finer than the rate can hold or not an amount', (text, currency) => {
    expect(parseRate(text, currency)).toBeUndefined();
  });

  it('reads back whatever formatRate writes, up to nine whole digits', () => {
    fc.assert(
      fc.property(
        amountsUpTo((currency) => 10 ** (9 + minorDigits(currency) + 3) - 1),
        ([currency, milli]) => {
          const [amount] = formatRate(milli, currency).split(' ');
          expect(parseRate(amount as string, currency)).toBe(milli);
        },
      ),
    );
  });
});
