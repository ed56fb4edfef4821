import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/database.ts';
import { addGroupMembers, createGroup } from '../../../src/directory/groups.ts';
import { type AdminFixture, createAdminFixture } from '../../support/admin-fixture.ts';
import { openTestDatabase } from '../../support/databases.ts';

describe('every admin command, tried by someone who is not an admin', () => {
  let db: Database;
  let f: AdminFixture & { close(): Promise<void> };
  beforeAll(async () => {
    db = await openTestDatabase('postgres');
    f = await createAdminFixture(db, {
      members: {
        Ada: { roles: ['member', 'admin'] },
        Ana: {},
        Hal: { roles: ['member', 'hr'] },
        Li: {},
      },
    });
  });
  afterAll(async () => {
    await f?.close();
    await db?.destroy();
  });

  it('is refused with a sentence naming who can, audited as refused, and changes nothing', async () => {
    const group = await createGroup(db, f.organizationId, 'Design');
    if (!group.ok) throw new Error(group.message);
    await addGroupMembers(db, group.value, [f.members.Li?.id ?? 0]);
    await f.earn('Li', 40);
    const given = await f.command('Ada', 'admin adjust @Li +5 welcome bonus');
    expect(given.outcome, given.text).toBe('ok');
    const kudos = await f.command('Ada', '@Li 5 for the review');
    expect(kudos.outcome, kudos.text).toBe('ok');
    const recognitionId = Number(
      (
        await db
          .selectFrom('recognitions')
          .select('id')
          .where('organization_id', '=', f.organizationId)
          .executeTakeFirstOrThrow()
      ).id,
    );

    const attempts = [
      'admin allow-give only @Ana',
      'admin allow-receive everyone',
      'admin allow-give except role:hr',
      'admin deny give @Li',
      'admin deny receive group:Design',
      'admin settings max=500',
      'admin settings timezone=Asia/Tokyo cadence=weekly',
      'admin settings budget=none rate=1',
      'admin roles @Ana +admin',
      'admin roles @Ada -admin',
      'admin roles',
      'admin adjust @Ana +1000 because',
      'admin adjust @Li -20 because',
      `admin reverse ${recognitionId} mistake`,
      'admin groups create "Ops" @Ana',
      'admin groups add Design @Ana',
      'admin groups remove Design @Li',
      'admin groups rename Design Crafts',
      'admin groups sync',
      'admin audit',
    ];
    const before = await f.snapshot();
    const groupsBefore = await db
      .selectFrom('group_members')
      .select(['group_id', 'member_id'])
      .where('organization_id', '=', f.organizationId)
      .orderBy('member_id')
      .execute();
    const auditBefore = (await f.audit()).length;
    for (const as of ['Ana', 'Hal']) {
      for (const text of attempts) {
        const reply = await f.command(as, text);
        expect(reply, `${as}: ${text}`).toMatchObject({ outcome: 'refused', code: 'not_admin' });
        expect(reply.text, `${as}: ${text}`).toMatch(/^Only admins can .+; ask an admin/);
      }
    }
    expect(await f.snapshot()).toEqual(before);
    expect(
      await db
        .selectFrom('group_members')
        .select(['group_id', 'member_id'])
        .where('organization_id', '=', f.organizationId)
        .orderBy('member_id')
        .execute(),
    ).toEqual(groupsBefore);
    const refused = (await f.audit()).slice(auditBefore);
    expect(refused).toHaveLength(attempts.length * 2);
    expect(refused.map((entry) => [entry.actorName, entry.outcome, entry.refusalCode])).toEqual(
      ['Ana', 'Hal'].flatMap((as) => attempts.map(() => [as, 'refused', 'not_admin'])),
    );
    // Each entry names what was tried, in the log's own words.
    const actions = refused.slice(0, attempts.length).map((entry) => entry.action);
    expect(actions.map((action) => action.split('.')[0])).toEqual([
      'rule',
      'rule',
      'rule',
      'rule',
      'rule',
      'settings',
      'settings',
      'settings',
      'role',
      'role',
      'role',
      'adjustment',
      'adjustment',
      'recognition',
      'group',
      'group',
      'group',
      'group',
      'group',
      'audit',
    ]);
  });
});
