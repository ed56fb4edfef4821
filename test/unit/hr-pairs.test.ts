import { describe, expect, it } from 'vitest';
import { readPairs } from '../../src/rewards/hr-commands.ts';

const read = (text: string) => {
  const pairs = readPairs(text);
  return typeof pairs === 'string' ? pairs : Object.fromEntries(pairs);
};

describe('readPairs (the key=value reader of hr reward and hr settings)', () => {
  it('reads bare values and quoted words, straight or curly quotes', () => {
    expect(read('name="Coffee voucher" cost=200 price=5.00')).toEqual({
      name: 'Coffee voucher',
      cost: '200',
      price: '5.00',
    });
    // Phones and Slack's editor turn straight quotes into curly ones.
    expect(read('name=“Day off” description=“A whole day, paid”')).toEqual({
      name: 'Day off',
      description: 'A whole day, paid',
    });
  });

  it('lower-cases keys, keeps values as written, and takes hyphenated keys', () => {
    expect(read('Name=Mug COST=5 hold-days=14')).toEqual({
      name: 'Mug',
      cost: '5',
      'hold-days': '14',
    });
  });

  it('keeps = and other marks inside a value (a webhook address with a query)', () => {
    expect(read('webhook=https://hooks.example/redeem?token=a=b&c=1')).toEqual({
      webhook: 'https://hooks.example/redeem?token=a=b&c=1',
    });
  });

  it('reads an empty quoted value as empty, and nothing as no pairs', () => {
    expect(read('description=""')).toEqual({ description: '' });
    expect(read('')).toEqual({});
    expect(read('   ')).toEqual({});
  });

  it('takes any whitespace between pairs, tabs, line breaks and no-break spaces too', () => {
    expect(read('  cost=1\tprice=2\nstock=3\u00a0active=no  ')).toEqual({
      cost: '1',
      price: '2',
      stock: '3',
      active: 'no',
    });
  });

  it('says what it could not read: a stray word, a key without a value, a bad key', () => {
    expect(read('name=Mug please')).toBe(
      'I could not read “please”; write key=value, with quotes around words.',
    );
    expect(read('name=')).toMatch(/^I could not read “name=”/);
    expect(read('cost 200')).toMatch(/^I could not read “cost 200”/);
    expect(read('c0st=200')).toMatch(/^I could not read “c0st=200”/);
  });

  it('refuses a quote that is never closed, instead of keeping the quote mark in a value', () => {
    // `name="Coffee cost=200` would otherwise name the reward `"Coffee` and set the cost,
    // when the person meant a name of several words and forgot the closing quote.
    expect(read('name="Coffee cost=200')).toMatch(/^I could not read “name="Coffee cost=200”/);
    expect(read('cost=200 name=“Day off')).toMatch(/^I could not read “name=“Day off”/);
  });
});
