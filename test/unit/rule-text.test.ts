import { describe, expect, it } from 'vitest';
import {
  denySubjects,
  describeRule,
  parseRuleText,
  parseSubjects,
  type RuleNames,
} from '../../src/admin/rule-text.ts';

describe('parseRuleText', () => {
  it('reads everyone', () => {
    expect(parseRuleText('everyone')).toEqual({ kind: 'everyone', subjects: [] });
    expect(parseRuleText('  Everyone ')).toEqual({ kind: 'everyone', subjects: [] });
  });

  it('reads only, with people, groups and roles in any order', () => {
    expect(
      parseRuleText('only @ana group:"Sales EMEA" role:hr, @"Li Wei" and group:design'),
    ).toEqual({
      kind: 'only',
      subjects: [
        { kind: 'mention', ref: { kind: 'name', name: 'ana' }, text: '@ana' },
        { kind: 'group', name: 'Sales EMEA' },
        { kind: 'role', role: 'hr' },
        { kind: 'mention', ref: { kind: 'name', name: 'Li Wei' }, text: '@Li Wei' },
        { kind: 'group', name: 'design' },
      ],
    });
  });

  it('reads except and everyone except alike', () => {
    const expected = {
      kind: 'everyone_except',
      subjects: [
        { kind: 'mention', ref: { kind: 'name', name: 'bob' }, text: '@bob' },
        { kind: 'role', role: 'admin' },
      ],
    };
    expect(parseRuleText('except @bob role:admin')).toEqual(expected);
    expect(parseRuleText('everyone except @bob role:admins')).toEqual(expected);
    expect(parseRuleText('everyone-except @bob role:Admin')).toEqual(expected);
  });

  it('reads Slack mentions of people and user groups, and curly quotes', () => {
    expect(parseRuleText('only <@U123ABC|ana> <!subteam^S999|@design> group:“Sales EMEA”')).toEqual(
      {
        kind: 'only',
        subjects: [
          { kind: 'mention', ref: { kind: 'slack_user', userId: 'U123ABC' }, text: '@ana' },
          {
            kind: 'mention',
            ref: { kind: 'slack_group', groupId: 'S999', label: 'design' },
            text: '@design',
          },
          { kind: 'group', name: 'Sales EMEA' },
        ],
      },
    );
  });

  it('reads Teams mentions by their entities, in order', () => {
    const mentions = [
      { text: '<at>Ana Silva</at>', userId: '29:ana', name: 'Ana Silva' },
      { text: '<at>Bo</at>', userId: '29:bo', name: 'Bo' },
    ];
    expect(parseRuleText('except <at>Bo</at> <at>Ana Silva</at>', mentions)).toEqual({
      kind: 'everyone_except',
      subjects: [
        { kind: 'mention', ref: { kind: 'teams_user', userId: '29:bo', name: 'Bo' }, text: 'Bo' },
        {
          kind: 'mention',
          ref: { kind: 'teams_user', userId: '29:ana', name: 'Ana Silva' },
          text: 'Ana Silva',
        },
      ],
    });
    expect(parseRuleText('only <at>Nobody</at>', mentions)).toMatchObject({
      ok: false,
      code: 'usage',
      message: 'I could not tell who Nobody is; pick them from the mention list.',
    });
  });

  const refused: Array<[string, string, string]> = [
    ['', 'usage', 'Say who: everyone, only @someone group:"Name" role:hr, or except @someone …'],
    ['some people', 'usage', 'Start with everyone, only or except'],
    [
      'everyone @bob',
      'usage',
      '“everyone” takes nobody after it; to leave some out, write except @bob.',
    ],
    ['only', 'usage', 'Say who, like only @ana group:"Design" role:hr.'],
    ['except', 'usage', 'Say who to leave out'],
    ['only @ana bananas', 'usage', 'I do not know “bananas”.'],
    [
      'only role:boss',
      'unknown_role',
      '“role:boss” is not a role; roles are member, admin and hr.',
    ],
    ['except role:guest', 'unknown_role', 'Guests are not a role here'],
    ['only group:""', 'usage', 'Say which group, like group:"Sales EMEA".'],
  ];
  it.each(refused)('refuses “%s” (%s) with a sentence', (text, code, message) => {
    const parsed = parseRuleText(text);
    expect(parsed).toMatchObject({ ok: false, code });
    expect('message' in parsed && parsed.message).toContain(message);
  });
});

describe('parseSubjects', () => {
  it('reads nothing as no one', () => {
    expect(parseSubjects('  ')).toEqual([]);
  });
});

const NAMES: RuleNames = {
  members: new Map([
    [1, 'Ana Silva'],
    [2, 'Bob Jones'],
  ]),
  groups: new Map([
    [10, 'Design'],
    [11, 'Sales EMEA'],
  ]),
};

describe('describeRule', () => {
  it('tells each shape in words, with names', () => {
    expect(describeRule('give', { kind: 'everyone' }, NAMES)).toBe('Everyone may give kudos.');
    expect(
      describeRule('give', { kind: 'only', members: [1], groups: [10], roles: ['hr'] }, NAMES),
    ).toBe('Only Ana Silva, the Design group and HR may give kudos.');
    expect(
      describeRule('receive', { kind: 'everyone_except', members: [2], roles: ['admin'] }, NAMES),
    ).toBe('Everyone except Bob Jones and admins may receive kudos.');
    expect(describeRule('receive', { kind: 'only', groups: [11] }, NAMES)).toBe(
      'Only the Sales EMEA group may receive kudos.',
    );
    expect(describeRule('give', { kind: 'only' }, NAMES)).toBe('Nobody may give kudos.');
    expect(describeRule('give', { kind: 'everyone_except' }, NAMES)).toBe(
      'Everyone may give kudos.',
    );
  });

  it('says which names it no longer knows', () => {
    expect(describeRule('give', { kind: 'only', members: [99], groups: [98] }, NAMES)).toBe(
      'Only member 99 and group 98 (deleted) may give kudos.',
    );
  });
});

describe('denySubjects', () => {
  const bob = { members: [2], groups: [], roles: [] };
  it('makes everyone into everyone but those denied', () => {
    expect(denySubjects({ kind: 'everyone' }, bob)).toEqual({
      rule: { kind: 'everyone_except', ...bob },
      absent: { members: [], groups: [], roles: [] },
    });
  });

  it('adds to those already left out', () => {
    const denied = denySubjects(
      { kind: 'everyone_except', groups: [10] },
      { members: [2], groups: [], roles: ['hr'] },
    );
    expect(denied.rule).toEqual({
      kind: 'everyone_except',
      members: [2],
      groups: [10],
      roles: ['hr'],
    });
  });

  it('takes those denied off an only list, and says who was not on it', () => {
    const denied = denySubjects(
      { kind: 'only', members: [1, 2], roles: ['hr'] },
      { members: [2, 3], groups: [10], roles: ['hr'] },
    );
    expect(denied).toEqual({
      rule: { kind: 'only', members: [1], groups: [], roles: [] },
      absent: { members: [3], groups: [10], roles: [] },
    });
  });
});
