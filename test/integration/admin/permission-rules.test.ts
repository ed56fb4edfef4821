import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPermissionRules, setPermissionRule } from '../../../src/admin/permission-rules.ts';
import type { Database } from '../../../src/db/database.ts';
import type { MemberRole } from '../../../src/db/tables.ts';
import { addGroupMembers, createGroup, type Group } from '../../../src/directory/groups.ts';
import type { Member } from '../../../src/directory/members.ts';
import { DIALECTS, openTestDatabase } from '../../support/databases.ts';
import { createSettingsFixture, type SettingsFixture } from '../../support/settings-fixture.ts';

const roles = (...list: MemberRole[]) => ({ roles: ['member', ...list] as MemberRole[] });

const TEAM = {
  Ana: roles('admin'),
  Li: roles('admin'),
  Hana: roles('hr'),
  Bob: {},
  Cy: {},
  Dee: {},
};

const ASK = 'ask Ana or Li (admins) if that seems wrong.';

describe.each(DIALECTS)(
  'who may give and receive, through the command router, on %s',
  (dialect) => {
    let db: Database;
    beforeAll(async () => {
      db = await openTestDatabase(dialect);
    });
    afterAll(async () => {
      await db?.destroy();
    });

    /** The team, with Cy in Design and Dee in Sales EMEA. */
    async function fixture(): Promise<SettingsFixture & { groups: Record<string, Group> }> {
      const f = await createSettingsFixture(db, { members: TEAM, timezone: 'UTC' });
      const groups: Record<string, Group> = {};
      for (const [name, member] of [
        ['Design', 'Cy'],
        ['Sales EMEA', 'Dee'],
      ] as const) {
        const group = await createGroup(db, f.organizationId, name);
        if (!group.ok) throw new Error(group.message);
        await addGroupMembers(db, group.value, [(f.members[member] as Member).id]);
        groups[name] = group.value;
      }
      return { ...f, groups };
    }

    /** Each shape: the command's words, someone it lets through, someone it stops. */
    const SHAPES: Array<[string, string, string | undefined, string]> = [
      ['everyone', 'Everyone may {verb} kudos.', undefined, 'Bob'],
      ['only @Bob', 'Only Bob may {verb} kudos.', 'Cy', 'Bob'],
      ['only group:"Design"', 'Only the Design group may {verb} kudos.', 'Bob', 'Cy'],
      ['only @Design', 'Only the Design group may {verb} kudos.', 'Bob', 'Cy'],
      ['only role:hr', 'Only HR may {verb} kudos.', 'Bob', 'Hana'],
      ['except @Bob', 'Everyone except Bob may {verb} kudos.', 'Bob', 'Cy'],
      [
        'everyone except group:"sales emea"',
        'Everyone except the Sales EMEA group may {verb} kudos.',
        'Dee',
        'Bob',
      ],
      ['except role:hr', 'Everyone except HR may {verb} kudos.', 'Hana', 'Bob'],
    ];

    it('giving: each rule shape lets the right people give, at once, and tells the others whom to ask', async () => {
      const f = await fixture();
      for (const [words, description, refused, allowed] of SHAPES) {
        // The settings are cached when the rule changes: what changes must be seen at once.
        expect(await f.run('Ana', 'balance')).toMatchObject({ outcome: 'ok' });
        const set = await f.run('Ana', `admin allow-give ${words}`);
        expect(set, words).toMatchObject({
          outcome: 'ok',
          text: `Done. ${description.replace('{verb}', 'give')}`,
        });
        expect(await f.run(allowed, '@Ana 1 for the help'), words).toMatchObject({ outcome: 'ok' });
        if (refused) {
          const only = words.startsWith('only');
          expect(await f.run(refused, '@Ana 1 for the help'), words).toMatchObject({
            outcome: 'refused',
            code: 'not_allowed_to_give',
            text: only
              ? `Giving kudos is limited to some people here, and you are not among them; ${ASK}`
              : `You have been left out of giving kudos here; ${ASK}`,
          });
        }
      }
    });

    it('receiving: each rule shape lets the right people receive, at once, and says whom to ask', async () => {
      const f = await fixture();
      for (const [words, description, refused, allowed] of SHAPES) {
        expect(await f.run('Li', 'balance')).toMatchObject({ outcome: 'ok' });
        const set = await f.run('Ana', `admin allow-receive ${words}`);
        expect(set, words).toMatchObject({
          outcome: 'ok',
          text: `Done. ${description.replace('{verb}', 'receive')}`,
        });
        expect(await f.run('Ana', `@${allowed} 1 for the help`), words).toMatchObject({
          outcome: 'ok',
        });
        if (refused) {
          const only = words.startsWith('only');
          expect(await f.run('Ana', `@${refused} 1 for the help`), words).toMatchObject({
            outcome: 'refused',
            code: 'not_allowed_to_receive',
            text: only
              ? `Receiving kudos is limited to some people here, and ${refused} is not among them; ${ASK}`
              : `${refused} has been left out of receiving kudos here; ${ASK}`,
          });
        }
      }
    });

    it('stores the rule by ids and audits each change, before and after', async () => {
      const f = await fixture();
      const bob = (f.members.Bob as Member).id;
      await f.run('Ana', 'admin allow-receive only @Bob group:"Design" role:hr');
      await f.run('Ana', 'admin allow-receive only @Bob group:"Design" role:hr');
      const design = f.groups.Design?.id as number;
      expect(await readPermissionRules(db, f.organizationId)).toEqual({
        give: { kind: 'everyone' },
        receive: { kind: 'only', members: [bob], groups: [design], roles: ['hr'] },
      });
      expect(await f.audit('rule.set')).toEqual([
        {
          outcome: 'done',
          target: 'rule:receive',
          before: { kind: 'everyone' },
          after: { kind: 'only', members: [bob], groups: [design], roles: ['hr'] },
        },
      ]);
    });

    it('deny leaves people out of everyone, adds to those left out, and takes them off an only list', async () => {
      const f = await fixture();
      expect(await f.run('Ana', 'admin deny give @Bob')).toMatchObject({
        text: 'Done. Everyone except Bob may give kudos.',
      });
      expect(await f.run('Ana', 'admin deny give group:Design role:hr')).toMatchObject({
        text: 'Done. Everyone except Bob, the Design group and HR may give kudos.',
      });
      expect(await f.run('Cy', '@Ana 1 for the help')).toMatchObject({
        code: 'not_allowed_to_give',
      });
      await f.run('Ana', 'admin allow-receive only @Bob @Cy role:hr');
      expect(await f.run('Ana', 'admin deny receive @Cy @Dee')).toMatchObject({
        outcome: 'ok',
        text: 'Done. Only Bob and HR may receive kudos.\nDee was not on the list, so nothing changed for them.',
      });
      expect(await f.run('Ana', '@Cy 1 for the help')).toMatchObject({
        code: 'not_allowed_to_receive',
      });
      expect(await f.run('Ana', 'admin rules')).toMatchObject({
        outcome: 'ok',
        text: [
          'Everyone except Bob, the Design group and HR may give kudos.',
          'Only Bob and HR may receive kudos.',
          'Guests may not give or receive kudos.',
          'People who leave may not redeem their points.',
          'Change them with /kudos admin allow-give, allow-receive or deny; guests and leavers with admin settings guests=yes leaver-days=30.',
        ].join('\n'),
      });
    });

    const BAD: Array<[string, string, string]> = [
      ['allow-give only group:"Nope"', 'unknown_group', 'There is no group “Nope” here.'],
      ['allow-give only @Nobody', 'unknown_member', 'I do not know who @Nobody is.'],
      ['allow-receive except role:guest', 'unknown_role', 'Guests are not a role here'],
      ['allow-receive only role:boss', 'unknown_role', '“role:boss” is not a role'],
      ['allow-give sometimes', 'usage', 'Start with everyone, only or except'],
      ['deny @Bob', 'usage', 'Say whether to deny giving or receiving, and whom'],
      ['deny give', 'usage', 'Say whom'],
    ];
    it.each(BAD)(
      '“%s” is refused (%s) with its sentence, and no rule changes',
      async (text, code, sentence) => {
        const f = await fixture();
        const reply = await f.run('Ana', `admin ${text}`);
        expect(reply.code).toBe(code);
        expect(reply.text).toContain(sentence);
        expect(await readPermissionRules(db, f.organizationId)).toEqual({
          give: { kind: 'everyone' },
          receive: { kind: 'everyone' },
        });
        expect(await f.audit('rule.set')).toEqual([]);
      },
    );

    it.each(['Bob', 'Hana'])(
      '%s, not an admin, is refused every rule command, audited, and nothing changes',
      async (who) => {
        const f = await fixture();
        const refusal = (which: string) => ({
          outcome: 'refused',
          code: 'not_admin',
          text: `Only admins can change who may ${which} kudos; ask an admin if this needs doing.`,
        });
        expect(await f.run(who, 'admin allow-give only @Bob')).toMatchObject(refusal('give'));
        expect(await f.run(who, 'admin allow-receive except @Nobody')).toMatchObject(
          refusal('receive'),
        );
        expect(await f.run(who, 'admin deny receive @Cy')).toMatchObject(refusal('receive'));
        expect(await f.run(who, 'admin rules')).toMatchObject({ code: 'not_admin' });
        expect(await readPermissionRules(db, f.organizationId)).toEqual({
          give: { kind: 'everyone' },
          receive: { kind: 'everyone' },
        });
        const audited = await f.audit('rule.set');
        expect(audited.map((entry) => [entry.outcome, entry.target])).toEqual([
          ['refused', 'rule:give'],
          ['refused', 'rule:receive'],
          ['refused', 'rule:receive'],
        ]);
        expect(await f.audit('rule.read')).toHaveLength(1);
      },
    );

    describe('setPermissionRule, as the HTTP API calls it', () => {
      it('refuses members and groups of another organization, and unknown roles', async () => {
        const f = await fixture();
        const other = await fixture();
        const actor = f.actor('Ana');
        const strangerId = (other.members.Bob as Member).id;
        const foreignGroup = other.groups.Design?.id as number;
        expect(
          await setPermissionRule(f.admin, actor, 'give', { kind: 'only', members: [strangerId] }),
        ).toEqual({
          ok: false,
          code: 'unknown_member',
          message: `There is no member ${strangerId} here.`,
        });
        expect(
          await setPermissionRule(f.admin, actor, 'receive', {
            kind: 'everyone_except',
            groups: [foreignGroup],
          }),
        ).toEqual({
          ok: false,
          code: 'unknown_group',
          message: `There is no group ${foreignGroup} here.`,
        });
        expect(
          await setPermissionRule(f.admin, actor, 'give', {
            kind: 'only',
            roles: ['guest' as MemberRole],
          }),
        ).toMatchObject({
          ok: false,
          code: 'invalid_rule',
          message: '“guest” is not a role; roles are member, admin and hr.',
        });
        expect(
          await setPermissionRule(f.admin, actor, 'give', { kind: 'some' } as never),
        ).toMatchObject({ ok: false, code: 'invalid_rule' });
        expect(await readPermissionRules(db, f.organizationId)).toEqual({
          give: { kind: 'everyone' },
          receive: { kind: 'everyone' },
        });
        expect(await f.audit('rule.set')).toEqual([]);
      });

      it('stores a rule without repeats, and returns it', async () => {
        const f = await fixture();
        const bob = (f.members.Bob as Member).id;
        const result = await setPermissionRule(f.admin, f.actor('Li'), 'give', {
          kind: 'everyone_except',
          members: [bob, bob],
          roles: ['hr', 'hr'],
          groups: [],
        });
        expect(result).toEqual({
          ok: true,
          value: { kind: 'everyone_except', members: [bob], roles: ['hr'] },
        });
        expect((await readPermissionRules(db, f.organizationId)).give).toEqual(
          result.ok && result.value,
        );
      });
    });
  },
);
