import { describe, expect, it } from 'vitest';
import {
  isPermitted,
  type PermissionRule,
  type PermissionSubject,
  toPermissionRule,
} from '../../src/core/permission-rule.ts';

const alice: PermissionSubject = { memberId: 1, roles: ['member'], groupIds: [10] };
const bob: PermissionSubject = { memberId: 2, roles: ['admin'], groupIds: [20] };
const carol: PermissionSubject = { memberId: 3, roles: ['member', 'hr'], groupIds: [10, 30] };
const dave: PermissionSubject = { memberId: 4, roles: ['member'], groupIds: [] };
const everybody = [alice, bob, carol, dave];

/** The member ids a rule permits, among everybody. */
const permitted = (rule: PermissionRule) =>
  everybody.filter((subject) => isPermitted(rule, subject)).map(({ memberId }) => memberId);

describe('isPermitted', () => {
  it('everyone permits every member, whatever their roles and groups', () => {
    expect(permitted({ kind: 'everyone' })).toEqual([1, 2, 3, 4]);
  });

  it('only, by member id, permits exactly the listed members', () => {
    expect(permitted({ kind: 'only', members: [2, 4] })).toEqual([2, 4]);
    expect(permitted({ kind: 'only', members: [99] })).toEqual([]);
  });

  it('only, by group id, permits members of any listed group', () => {
    expect(permitted({ kind: 'only', groups: [10] })).toEqual([1, 3]);
    expect(permitted({ kind: 'only', groups: [30, 20] })).toEqual([2, 3]);
    expect(permitted({ kind: 'only', groups: [99] })).toEqual([]);
  });

  it('only, by role, permits members holding any listed role', () => {
    expect(permitted({ kind: 'only', roles: ['admin'] })).toEqual([2]);
    expect(permitted({ kind: 'only', roles: ['hr'] })).toEqual([3]);
    expect(permitted({ kind: 'only', roles: ['admin', 'hr'] })).toEqual([2, 3]);
    expect(permitted({ kind: 'only', roles: ['member'] })).toEqual([1, 3, 4]);
  });

  it('only, with members, groups and roles combined, permits anyone matching any of them', () => {
    expect(permitted({ kind: 'only', members: [4], groups: [30], roles: ['admin'] })).toEqual([
      2, 3, 4,
    ]);
  });

  it('everyone_except, by member id, permits everybody but the listed members', () => {
    expect(permitted({ kind: 'everyone_except', members: [2, 4] })).toEqual([1, 3]);
    expect(permitted({ kind: 'everyone_except', members: [99] })).toEqual([1, 2, 3, 4]);
  });

  it('everyone_except, by group id, permits everybody outside the listed groups', () => {
    expect(permitted({ kind: 'everyone_except', groups: [10] })).toEqual([2, 4]);
    expect(permitted({ kind: 'everyone_except', groups: [30] })).toEqual([1, 2, 4]);
  });

  it('everyone_except, by role, permits everybody without the listed roles', () => {
    expect(permitted({ kind: 'everyone_except', roles: ['admin'] })).toEqual([1, 3, 4]);
    expect(permitted({ kind: 'everyone_except', roles: ['hr', 'admin'] })).toEqual([1, 4]);
  });

  it('everyone_except, combined, excludes anyone matching any list', () => {
    expect(permitted({ kind: 'everyone_except', members: [1], roles: ['hr'] })).toEqual([2, 4]);
    expect(
      permitted({ kind: 'everyone_except', members: [4], groups: [20], roles: ['hr'] }),
    ).toEqual([1]);
  });

  it('only with empty or missing lists permits nobody', () => {
    expect(permitted({ kind: 'only' })).toEqual([]);
    expect(permitted({ kind: 'only', members: [], groups: [], roles: [] })).toEqual([]);
  });

  it('everyone_except with empty or missing lists permits everybody', () => {
    expect(permitted({ kind: 'everyone_except' })).toEqual([1, 2, 3, 4]);
    expect(permitted({ kind: 'everyone_except', members: [], groups: [], roles: [] })).toEqual([
      1, 2, 3, 4,
    ]);
  });

  it('a member in no group and the listed group ids do not match by accident of number', () => {
    // Member id 10 is not group 10.
    const tenth: PermissionSubject = { memberId: 10, roles: ['member'], groupIds: [] };
    expect(isPermitted({ kind: 'only', groups: [10] }, tenth)).toBe(false);
    expect(isPermitted({ kind: 'only', members: [10] }, tenth)).toBe(true);
    expect(isPermitted({ kind: 'only', members: [10] }, alice)).toBe(false);
  });
});

describe('toPermissionRule', () => {
  it('reads a stored everyone rule', () => {
    expect(toPermissionRule({ kind: 'everyone' })).toEqual({ kind: 'everyone' });
    // Lists beside everyone mean nothing and are dropped.
    expect(toPermissionRule({ kind: 'everyone', members: [1] })).toEqual({ kind: 'everyone' });
  });

  it('reads stored only and everyone_except rules with their lists', () => {
    const only = toPermissionRule({ kind: 'only', members: [1], groups: [30], roles: ['admin'] });
    expect(only).toEqual({ kind: 'only', members: [1], groups: [30], roles: ['admin'] });
    expect(permitted(only)).toEqual([1, 2, 3]);

    const except = toPermissionRule(
      JSON.parse('{"kind":"everyone_except","members":[4],"roles":["hr"]}'),
    );
    expect(except).toMatchObject({ kind: 'everyone_except', members: [4], roles: ['hr'] });
    expect(permitted(except)).toEqual([1, 2]);
  });

  it('drops keys it does not know', () => {
    const rule = toPermissionRule({ kind: 'only', members: [2], extra: 'ignored' });
    expect(rule).not.toHaveProperty('extra');
    expect(permitted(rule)).toEqual([2]);
  });

  it.each([
    ['null', null],
    ['undefined', undefined],
    ['an empty object', {}],
    ['an unknown kind', { kind: 'admins_only' }],
    ['a kind in the wrong case', { kind: 'Everyone' }],
    ['a kind that is not a string', { kind: 1 }],
    ['a bare string', 'everyone'],
    ['a number', 42],
    ['a boolean', true],
    ['an array', [{ kind: 'everyone' }]],
  ])('reads %s as the safest rule: nobody permitted', (_label, json) => {
    const rule = toPermissionRule(json);
    expect(rule).toEqual({ kind: 'only' });
    expect(permitted(rule)).toEqual([]);
  });

  it('reads an only rule whose member list is a string as nobody permitted, not as a text search', () => {
    // "1234" where a list of ids belongs does not list member 12 (nor anyone).
    const rule = toPermissionRule({ kind: 'only', members: '1234' });
    const twelve: PermissionSubject = { memberId: 12, roles: ['member'], groupIds: [] };
    expect(isPermitted(rule, twelve)).toBe(false);
    expect(permitted(rule)).toEqual([]);
  });

  it('reads an everyone_except rule whose lists are not lists as nobody permitted, without throwing', () => {
    // A list that is not a list cannot say who is excepted: the safest reading is nobody.
    for (const json of [
      { kind: 'everyone_except', members: 7 },
      { kind: 'everyone_except', groups: { 10: true } },
    ]) {
      const rule = toPermissionRule(json);
      expect(() => permitted(rule)).not.toThrow();
      expect(permitted(rule)).toEqual([]);
    }
  });
});
