import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAdminCommands } from '../../../src/admin/admin-commands.ts';
import { ADMIN_VERBS } from '../../../src/admin/admin-verbs.ts';
import type { MentionResolver } from '../../../src/core/command.ts';
import { CommandRouter } from '../../../src/core/command-router.ts';
import { textReply } from '../../../src/core/reply.ts';
import type { Database } from '../../../src/db/database.ts';
import { createMember, listMembers, type Member } from '../../../src/directory/members.ts';
import type { RecipientRef } from '../../../src/recognition/grammar/give-grammar.ts';
import { type AdminFixture, createAdminFixture } from '../../support/admin-fixture.ts';
import { openTestDatabase } from '../../support/databases.ts';
import { key } from '../../support/ledger-fixture.ts';
import { localCommand } from '../../support/recognition-fixture.ts';

/**
 * Like Slack's and Teams' resolvers, makes a member of anyone it is asked about for the
 * first time, and counts how often it is asked.
 */
class FirstSightResolver implements MentionResolver {
  calls = 0;
  constructor(private readonly db: Database) {}

  async resolve(organizationId: number, refs: readonly RecipientRef[]) {
    this.calls += 1;
    const members: Member[] = [];
    for (const ref of refs) {
      if (ref.kind !== 'name') throw new Error(`unexpected ${ref.kind}`);
      const known = (await listMembers(this.db, organizationId)).find(
        (member) => member.displayName === ref.name,
      );
      if (known) {
        members.push(known);
        continue;
      }
      const made = await createMember(this.db, organizationId, { displayName: ref.name });
      if (!made.ok) throw new Error(made.message);
      members.push(made.value);
    }
    return { members, unknown: [] };
  }
}

describe('a refused admin command looks nobody up', () => {
  let db: Database;
  const closers: Array<() => Promise<void>> = [];
  beforeAll(async () => {
    db = await openTestDatabase('postgres');
  });
  afterAll(async () => {
    await Promise.all(closers.map((close) => close()));
    await db?.destroy();
  });

  async function organization(): Promise<AdminFixture> {
    const f = await createAdminFixture(db, {
      members: { Ada: { roles: ['member', 'admin'] }, Li: {}, Hal: { roles: ['member', 'hr'] } },
    });
    closers.push(f.close);
    return f;
  }

  const COMMANDS: Array<[string, string]> = [
    ['admin roles @Newcomer +admin', 'role.grant'],
    ['admin roles @Newcomer -hr', 'role.revoke'],
    ['admin adjust @Newcomer +50 for the offsite', 'adjustment.grant'],
    ['admin adjust @Newcomer -5 for the mix-up', 'adjustment.deduct'],
    ['admin allow-give only @Newcomer', 'rule.set'],
    ['admin allow-receive except @Newcomer role:hr', 'rule.set'],
    ['admin deny give @Newcomer', 'rule.set'],
    ['admin settings member-allowance=@Newcomer:50', 'settings.change'],
  ];

  function run(f: AdminFixture, resolver: MentionResolver, as: string, text: string) {
    const router = new CommandRouter(async () => textReply('not an admin command'));
    registerAdminCommands(router, f.services, ADMIN_VERBS);
    return router.route(localCommand(f.members[as] as Member, text, key('cmd'), resolver));
  }

  it.each([
    ['Li', 'a member'],
    ['Hal', 'HR'],
  ])(
    '%s (%s) is refused before any mention is resolved: nobody is made, the attempt is audited',
    async (as) => {
      const f = await organization();
      const resolver = new FirstSightResolver(db);
      const before = await f.snapshot();
      for (const [text] of COMMANDS) {
        expect(await run(f, resolver, as, text), text).toMatchObject({
          outcome: 'refused',
          code: 'not_admin',
        });
      }
      expect(resolver.calls).toBe(0);
      expect(await f.snapshot()).toEqual(before);
      const audit = await f.audit();
      expect(audit.map((entry) => [entry.actorName, entry.action, entry.outcome])).toEqual(
        COMMANDS.map(([, action]) => [as, action, 'refused']),
      );
      expect(audit.map((entry) => entry.after)).toEqual(
        COMMANDS.map(([text]) => ({ text: text.replace(/^admin \S+ /, '') })),
      );
    },
  );

  it('resolves the same mentions for an admin', async () => {
    const f = await organization();
    const resolver = new FirstSightResolver(db);
    for (const [text] of COMMANDS) {
      expect((await run(f, resolver, 'Ada', text)).code, text).not.toBe('not_admin');
    }
    expect(resolver.calls).toBe(COMMANDS.length);
    const names = (await listMembers(db, f.organizationId)).map((member) => member.displayName);
    expect(names).toContain('Newcomer');
  });
});
