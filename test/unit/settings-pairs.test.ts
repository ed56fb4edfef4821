import { describe, expect, it } from 'vitest';
import { readSettingPairs } from '../../src/admin/settings-command.ts';
import { settingArgument } from '../../src/admin/settings-form.ts';

describe('readSettingPairs', () => {
  it('reads bare, double-quoted and curly-quoted values, in order, keys repeated', () => {
    expect(
      readSettingPairs(
        'max=50 values="teamwork, ownership" timezone=“America/New_York” role-allowance=hr:200 role-allowance=admin:none',
      ),
    ).toEqual([
      ['max', '50'],
      ['values', 'teamwork, ownership'],
      ['timezone', 'America/New_York'],
      ['role-allowance', 'hr:200'],
      ['role-allowance', 'admin:none'],
    ]);
  });

  it('keeps a Teams mention with spaces whole in a bare value', () => {
    expect(readSettingPairs('member-allowance=<at>Ana Silva</at>:50 min=2')).toEqual([
      ['member-allowance', '<at>Ana Silva</at>:50'],
      ['min', '2'],
    ]);
  });

  it('reads what the settings form writes, escapes included', () => {
    const argument = settingArgument('values', 'say "hi",ownership');
    expect(readSettingPairs(argument)).toEqual([['values', 'say "hi",ownership']]);
    expect(readSettingPairs(`${settingArgument('pair-cap', 'none')} channel=`)).toEqual([
      ['pair-cap', 'none'],
      ['channel', ''],
    ]);
  });

  it('says what it could not read', () => {
    expect(readSettingPairs('max=50 please')).toBe(
      'I could not read “please”; write key=value, with values that have spaces in double quotes.',
    );
    expect(readSettingPairs('values="unclosed')).toMatch(/^I could not read/);
  });
});
