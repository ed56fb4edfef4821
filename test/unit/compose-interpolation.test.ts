// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Compose interpolations, not templates.
import { describe, expect, it } from 'vitest';
import {
  ComposeInterpolationError,
  interpolateCompose,
  interpolateString,
  parseDotEnv,
} from '../support/compose-interpolation.ts';

// The Compose Specification's interpolation rules, as docker-compose.yml's test relies on them.
describe('Compose interpolation', () => {
  const env = { SET: 'value', EMPTY: '' };

  it.each([
    ['$SET and ${SET}', 'value and value'],
    ['${UNSET}|$UNSET|${EMPTY}', '||'],
    ['${SET:-d} ${EMPTY:-d} ${UNSET:-d}', 'value d d'],
    ['${SET-d} ${EMPTY-d} ${UNSET-d}', 'value  d'],
    ['${SET:+r} ${EMPTY:+r} ${UNSET:+r}', 'r  '],
    ['${SET+r} ${EMPTY+r} ${UNSET+r}', 'r r '],
    ['${SET:?e} ${EMPTY?e}', 'value '],
    ['${UNSET:-${SET}-x}', 'value-x'],
    ['$$SET costs $${SET} and 5$$', '$SET costs ${SET} and 5$'],
    ['postgres://u:${SET:?e}@db:5432/x', 'postgres://u:value@db:5432/x'],
  ])('%s', (text, expected) => {
    expect(interpolateString(text, env)).toBe(expected);
  });

  it('refuses a missing required variable with its explanation', () => {
    expect(() => interpolateString('${UNSET:?set it in .env}', env)).toThrow(
      new ComposeInterpolationError('UNSET', 'set it in .env'),
    );
    expect(() => interpolateString('${EMPTY:?empty is missing}', env)).toThrow(
      'required variable EMPTY is missing a value: empty is missing',
    );
    expect(() => interpolateString('${UNSET?unset}', env)).toThrow(ComposeInterpolationError);
  });

  it('refuses what Compose cannot read', () => {
    expect(() => interpolateString('${SET', env)).toThrow('unclosed');
    expect(() => interpolateString('${1X}', env)).toThrow('invalid interpolation format');
    expect(() => interpolateString('${SET:=x}', env)).toThrow('invalid interpolation format');
  });

  it('resolves the values of a parsed file, not its keys', () => {
    expect(interpolateCompose({ $SET: ['${SET}', 3, { k: '$SET' }], n: null }, env)).toEqual({
      $SET: ['value', 3, { k: 'value' }],
      n: null,
    });
  });

  it('reads an .env file', () => {
    expect(
      parseDotEnv('# comment\nA=1\nB=\n# C=3\nD="x y"\nE=plain # note\n  export F=f\n'),
    ).toEqual({ A: '1', B: '', D: 'x y', E: 'plain', F: 'f' });
  });
});
