import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../../src/admin/admin-actor.ts';
import {
  applyMirroredGroup,
  changeGroupMembers,
  createGroupAsAdmin,
  listGroups,
  renameGroup,
} from '../../../src/admin/group-admin.ts';
import type { Database } from '../../../src/db/database.ts';
import { type AdminFixture, createAdminFixture } from '../../support/admin-fixture.ts';
import { openTestDatabase } from '../../support/databases.ts';
import { key } from '../../support/ledger-fixture.ts';

type Fixture = AdminFixture & { close(): Promise<void> };

describe('groups, by hand and mirrored', () => {
  let db: Database;
  const fixtures: Fixture[] = [];

  beforeAll(async () => {
    db = await openTestDatabase('postgres');
  });
  afterAll(async () => {
    for (const fixture of fixtures) await fixture.close();
    await db.destroy();
  });

  async function organization(): Promise<Fixture> {
    const fixture = await createAdminFixture(db, {
      members: { Ada: { roles: ['admin'] }, Ana: {}, Li: {}, Bob: {} },
    });
    fixtures.push(fixture);
    return fixture;
  }
  const id = (fixture: Fixture, name: string) => {
    const member = fixture.members[name];
    if (!member) throw new Error(`no member ${name}`);
    return member.id;
  };
  const groupRows = (fixture: Fixture) =>
    sql<{ id: number; name: string; members: number[] }>`
      select g.id, g.name, array(select member_id::int from group_members m
        where m.group_id = g.id order by member_id) as members
      from groups g where g.organization_id = ${fixture.organizationId} order by g.id`
      .execute(db)
      .then((result) => result.rows);

  it('creates a group and changes its members, each audited with before and after', async () => {
    const fixture = await organization();
    const admin = await fixture.actor('Ada');
    const created = await createGroupAsAdmin(fixture.services, admin, {
      name: '  Sales EMEA ',
      memberIds: [id(fixture, 'Ana'), id(fixture, 'Li'), id(fixture, 'Ana')],
    });
    if (!created.ok) throw new Error(created.message);
    const group = created.value;
    expect(group).toMatchObject({ name: 'Sales EMEA', source: 'manual', externalId: null });
    expect(group.memberIds).toEqual([id(fixture, 'Ana'), id(fixture, 'Li')].sort((a, b) => a - b));

    const changed = await changeGroupMembers(fixture.services, admin, group.id, {
      add: [id(fixture, 'Bob')],
      remove: [id(fixture, 'Ana')],
    });
    if (!changed.ok) throw new Error(changed.message);
    const now = [id(fixture, 'Li'), id(fixture, 'Bob')].sort((a, b) => a - b);
    expect(changed.value.memberIds).toEqual(now);
    expect(await listGroups(db, fixture.organizationId)).toEqual([{ ...group, memberIds: now }]);

    const audit = await fixture.audit();
    expect(audit.map((entry) => [entry.action, entry.target, entry.outcome])).toEqual([
      ['group.create', `group:${group.id}`, 'done'],
      ['group.members', `group:${group.id}`, 'done'],
    ]);
    expect(audit[0]).toMatchObject({
      actorMemberId: id(fixture, 'Ada'),
      after: { name: 'Sales EMEA', memberIds: group.memberIds },
    });
    expect(audit[1]).toMatchObject({
      before: { memberIds: group.memberIds },
      after: { memberIds: now },
    });
  });

  it('refuses a taken name, a bad name, and people of another organization, changing nothing', async () => {
    const fixture = await organization();
    const other = await organization();
    const admin = await fixture.actor('Ada');
    const first = await createGroupAsAdmin(fixture.services, admin, { name: 'Design' });
    if (!first.ok) throw new Error(first.message);
    expect(await createGroupAsAdmin(fixture.services, admin, { name: 'Design' })).toMatchObject({
      ok: false,
      code: 'group_taken',
      message: 'There is already a group called Design.',
    });
    expect(await createGroupAsAdmin(fixture.services, admin, { name: '  ' })).toMatchObject({
      ok: false,
      code: 'invalid_group',
    });
    const stranger = id(other, 'Ana');
    expect(
      await createGroupAsAdmin(fixture.services, admin, { name: 'Mixed', memberIds: [stranger] }),
    ).toMatchObject({ ok: false, code: 'unknown_member' });
    expect(
      await changeGroupMembers(fixture.services, admin, first.value.id, { add: [stranger] }),
    ).toMatchObject({ ok: false, code: 'unknown_member' });
    // Another organization's group is not there for this one's admin.
    const theirs = await createGroupAsAdmin(other.services, await other.actor('Ada'), {
      name: 'Theirs',
    });
    if (!theirs.ok) throw new Error(theirs.message);
    expect(
      await changeGroupMembers(fixture.services, admin, theirs.value.id, {
        add: [id(fixture, 'Ana')],
      }),
    ).toMatchObject({ ok: false, code: 'unknown_group' });
    expect(await groupRows(fixture)).toEqual([{ id: first.value.id, name: 'Design', members: [] }]);
    expect(await groupRows(other)).toEqual([{ id: theirs.value.id, name: 'Theirs', members: [] }]);
  });

  it('refuses non-admins, audits the refusal, and changes nothing', async () => {
    const fixture = await organization();
    const created = await createGroupAsAdmin(fixture.services, await fixture.actor('Ada'), {
      name: 'Design',
      memberIds: [id(fixture, 'Ana')],
    });
    if (!created.ok) throw new Error(created.message);
    // The first snapshot opens the members' ledger accounts; the second is the one compared.
    await fixture.snapshot();
    const before = { groups: await groupRows(fixture), snapshot: await fixture.snapshot() };
    const member = await fixture.actor('Bob');
    const attempts = [
      await createGroupAsAdmin(fixture.services, member, { name: 'Mine' }),
      await changeGroupMembers(fixture.services, member, created.value.id, {
        add: [id(fixture, 'Bob')],
      }),
      await renameGroup(fixture.services, member, created.value.id, 'Ours'),
    ];
    for (const attempt of attempts) expect(attempt).toMatchObject({ ok: false, code: 'not_admin' });
    expect(attempts.map((attempt) => !attempt.ok && attempt.message)).toEqual([
      'Only admins can create groups; ask an admin if this needs doing.',
      'Only admins can change groups; ask an admin if this needs doing.',
      'Only admins can rename groups; ask an admin if this needs doing.',
    ]);
    expect({ groups: await groupRows(fixture), snapshot: await fixture.snapshot() }).toEqual(
      before,
    );
    const refused = (await fixture.audit()).filter((entry) => entry.outcome === 'refused');
    expect(refused.map((entry) => [entry.action, entry.actorMemberId, entry.refusalCode])).toEqual([
      ['group.create', id(fixture, 'Bob'), 'not_admin'],
      ['group.members', id(fixture, 'Bob'), 'not_admin'],
      ['group.rename', id(fixture, 'Bob'), 'not_admin'],
    ]);
  });

  it('mirrors a platform group, renaming around a taken name, audited only when it changes', async () => {
    const fixture = await organization();
    const system = systemActor(fixture.organizationId, 'Slack');
    await createGroupAsAdmin(fixture.services, await fixture.actor('Ada'), { name: 'design' });
    const externalId = `S${key()}`;
    const mirror = (memberIds: number[], name = 'design') =>
      applyMirroredGroup(db, system, {
        organizationId: fixture.organizationId,
        source: 'slack',
        externalId,
        name,
        memberIds,
      });
    const first = await mirror([id(fixture, 'Ana'), id(fixture, 'Li')]);
    expect(first.changed).toBe(true);
    // “design” is a hand-made group's: the user group's gets Slack's name added.
    expect(first.group).toMatchObject({ name: 'design (Slack)', source: 'slack', externalId });
    expect((await mirror([id(fixture, 'Li'), id(fixture, 'Ana')])).changed).toBe(false);
    const left = await mirror([id(fixture, 'Li')], 'designers');
    expect(left).toMatchObject({
      changed: true,
      group: { id: first.group.id, name: 'designers', memberIds: [id(fixture, 'Li')] },
    });
    const entries = (await fixture.audit()).filter((entry) => entry.action === 'group.mirror');
    expect(entries).toHaveLength(2);
    expect(entries[1]).toMatchObject({
      via: 'system',
      actorMemberId: null,
      actorTokenId: null,
      target: `group:${first.group.id}`,
      before: { name: 'design (Slack)', memberIds: first.group.memberIds },
      after: { name: 'designers', memberIds: [id(fixture, 'Li')], source: 'slack', externalId },
    });
  });

  it('refuses to change a mirrored group by hand, saying where to change it, and audits that', async () => {
    const fixture = await organization();
    const { group } = await applyMirroredGroup(
      db,
      systemActor(fixture.organizationId, 'Microsoft Teams'),
      {
        organizationId: fixture.organizationId,
        source: 'teams',
        externalId: `19:${key()}@thread.tacv2`,
        name: 'Launch team',
        memberIds: [id(fixture, 'Ana')],
      },
    );
    const admin = await fixture.actor('Ada');
    const refused = await changeGroupMembers(fixture.services, admin, group.id, {
      add: [id(fixture, 'Bob')],
    });
    expect(refused).toEqual({
      ok: false,
      code: 'mirrored_group',
      message:
        'Launch team follows a Microsoft Teams team, so it cannot be changed here; change it in Teams and Plaudit follows.',
    });
    expect(await renameGroup(fixture.services, admin, group.id, 'Other')).toMatchObject({
      ok: false,
      code: 'mirrored_group',
    });
    expect(await groupRows(fixture)).toEqual([
      { id: group.id, name: 'Launch team', members: [id(fixture, 'Ana')] },
    ]);
    const audit = await fixture.audit();
    expect(audit.at(-2)).toMatchObject({
      action: 'group.members',
      target: `group:${group.id}`,
      outcome: 'refused',
      refusalCode: 'mirrored_group',
      actorMemberId: id(fixture, 'Ada'),
    });
    expect(audit.at(-1)).toMatchObject({ action: 'group.rename', outcome: 'refused' });
  });

  it('lets the members of a group named in a who-may-give rule give, and nobody else', async () => {
    const fixture = await organization();
    const admin = await fixture.actor('Ada');
    const created = await createGroupAsAdmin(fixture.services, admin, {
      name: 'Givers',
      memberIds: [id(fixture, 'Ana')],
    });
    if (!created.ok) throw new Error(created.message);
    await sql`update recognition_settings
      set who_may_give = ${JSON.stringify({ kind: 'only', groups: [created.value.id] })}
      where organization_id = ${fixture.organizationId}`.execute(db);
    fixture.services.settings.invalidate(fixture.organizationId);

    expect((await fixture.command('Ana', '@Li 5 for the review')).outcome).toBe('ok');
    const refused = await fixture.command('Bob', '@Li 5 for the review');
    expect(refused).toMatchObject({ outcome: 'refused', code: 'not_allowed_to_give' });
    expect(await fixture.balances('Li')).toMatchObject({ earned: 5 });

    const added = await changeGroupMembers(fixture.services, admin, created.value.id, {
      add: [id(fixture, 'Bob')],
    });
    expect(added.ok).toBe(true);
    expect((await fixture.command('Bob', '@Li 5 for the review')).outcome).toBe('ok');
    expect(await fixture.balances('Li')).toMatchObject({ earned: 10 });
  });

  describe('in chat', () => {
    it('creates, adds, removes, renames and lists groups by name', async () => {
      const fixture = await organization();
      const created = await fixture.command('Ada', 'admin groups create "Sales EMEA" @Ana @Li');
      expect(created).toMatchObject({ outcome: 'ok' });
      expect(created.text).toBe(
        'Made the group Sales EMEA with 2 members. Rules can name it as group:"Sales EMEA".',
      );
      expect((await fixture.command('Ada', 'admin groups add "sales emea" @Bob')).text).toBe(
        'Added to Sales EMEA: 1 person. It has 3 members now.',
      );
      expect((await fixture.command('Ada', 'admin groups remove “Sales EMEA” @Ana')).text).toBe(
        'Took out of Sales EMEA: 1 person. It has 2 members now.',
      );
      expect((await fixture.command('Ada', 'admin groups rename "Sales EMEA" Sales')).text).toBe(
        'Sales EMEA is called Sales now.',
      );
      const listed = await fixture.command('Ada', 'admin groups');
      expect(listed.text).toBe('Groups:\nSales (made by hand, 2 members): Li, Bob');
      expect(await groupRows(fixture)).toEqual([
        expect.objectContaining({
          name: 'Sales',
          members: [id(fixture, 'Li'), id(fixture, 'Bob')].sort((a, b) => a - b),
        }),
      ]);
      expect((await fixture.audit()).map((entry) => entry.action)).toEqual([
        'group.create',
        'group.members',
        'group.members',
        'group.rename',
      ]);
    });

    it('refuses a member, audits it, and looks nobody up', async () => {
      const fixture = await organization();
      await fixture.command('Ada', 'admin groups create Design @Ana');
      const before = await groupRows(fixture);
      for (const text of [
        'admin groups create Mine @Bob',
        'admin groups add Design @Bob',
        'admin groups remove Design @Ana',
      ]) {
        const reply = await fixture.command('Bob', text);
        expect(reply, text).toMatchObject({ outcome: 'refused', code: 'not_admin' });
      }
      expect((await fixture.command('Bob', 'admin groups')).code).toBe('not_admin');
      expect(await groupRows(fixture)).toEqual(before);
      const refused = (await fixture.audit()).filter((entry) => entry.outcome === 'refused');
      expect(refused.map((entry) => entry.action)).toEqual([
        'group.create',
        'group.members',
        'group.members',
      ]);
      expect(refused[1]?.target).toBe(`group:${before[0]?.id}`);
    });

    it('answers unknown people and groups, and bad forms, with a sentence', async () => {
      const fixture = await organization();
      expect(await fixture.command('Ada', 'admin groups create Design @Nobody')).toMatchObject({
        outcome: 'refused',
        code: 'unknown_member',
        text: 'I do not know who @Nobody is; nothing changed.',
      });
      expect(await fixture.command('Ada', 'admin groups add Ghosts @Ana')).toMatchObject({
        outcome: 'refused',
        code: 'unknown_group',
      });
      expect((await fixture.command('Ada', 'admin groups add Design')).outcome).toBe('usage');
      expect((await fixture.command('Ada', 'admin groups create Design @Ana 10')).outcome).toBe(
        'usage',
      );
      expect((await fixture.command('Ada', 'admin groups shuffle')).outcome).toBe('usage');
      expect((await fixture.command('Ada', 'admin groups sync')).text).toBe(
        'No chat platform here has groups to mirror; make groups by hand with groups create.',
      );
      expect(await groupRows(fixture)).toEqual([]);
    });
  });
});
