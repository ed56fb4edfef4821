import { describe, expect, it } from 'vitest';
import { nulPath } from '../../src/core/nul-text.ts';

const NUL = '\u0000';

describe('nulPath', () => {
  it('finds no NUL where there is none, whatever the value', () => {
    for (const value of ['', 'text \\0 \\u0000 written out', 0, null, undefined, true, [], {}]) {
      expect(nulPath(value)).toBeUndefined();
    }
    expect(nulPath({ a: ['b', { c: 'd' }], e: 5, f: new Date(0) })).toBeUndefined();
  });

  it('says where the first one is: the string itself, a key, an index', () => {
    expect(nulPath(`a${NUL}b`)).toBe('');
    expect(nulPath(NUL)).toBe('');
    expect(nulPath({ name: `x${NUL}` })).toBe('name');
    expect(nulPath({ items: ['ok', { name: `x${NUL}` }] })).toBe('items.1.name');
    expect(nulPath([['a'], ['b', NUL]])).toBe('1.1');
    expect(nulPath({ [`na${NUL}me`]: 'x' })).toBe('na\\0me');
    expect(nulPath({ first: NUL, second: NUL })).toBe('first');
  });
});
