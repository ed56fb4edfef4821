import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeInstallerFirstAdmin } from '../../../src/admin/system-admin-grant.ts';
import type { Database } from '../../../src/db/database.ts';
import { openDatabase } from '../../../src/db/database.ts';
import { createMigrator, migrateToLatest } from '../../../src/db/migrate.ts';
import { createAdminFixture } from '../../support/admin-fixture.ts';
import { openTestDatabase } from '../../support/databases.ts';
import { createFreshDatabase } from '../../support/fresh-database.ts';

const adminsOf = async (db: Database, organizationId: number) =>
  (
    await db
      .selectFrom('members')
      .select('display_name')
      .where('organization_id', '=', organizationId)
      .where(sql<boolean>`'admin' = any(roles)`)
      .orderBy('id')
      .execute()
  ).map((row) => row.display_name);

describe('nobody becomes admin by using Plaudit first', () => {
  let db: Database;
  const closers: Array<() => Promise<void>> = [];
  beforeAll(async () => {
    db = await openTestDatabase('postgres');
  });
  afterAll(async () => {
    await Promise.all(closers.map((close) => close()));
    await db?.destroy();
  });

  async function organizationWithoutAdmin() {
    const f = await createAdminFixture(db, {
      members: { Ana: {}, Bo: {}, Cy: {}, Di: {}, Gus: { isGuest: true }, Bot: { isBot: true } },
    });
    closers.push(f.close);
    return f;
  }

  it('refuses the first person to run an admin command, saying how an admin is named', async () => {
    const f = await organizationWithoutAdmin();
    const balance = await f.command('Ana', 'balance');
    expect(balance.outcome, balance.text).toBe('ok');
    const before = await f.snapshot();
    const rules = await f.command('Cy', 'admin allow-give everyone');
    expect(rules.code, rules.text).toBe('not_admin');
    expect(rules.text).toBe(
      'Only admins can change who may give kudos, and nobody is admin here yet: whoever runs Plaudit names the first (PLAUDIT_INITIAL_ADMINS, or npm run admin:grant -- their email).',
    );
    expect(await adminsOf(db, f.organizationId)).toEqual([]);
    expect(await f.snapshot()).toEqual(before);
    const audit = await f.audit();
    expect(audit.map((entry) => [entry.action, entry.outcome])).toEqual([['rule.set', 'refused']]);
  });

  it('makes the installer the first admin through its seam, once, audited', async () => {
    const f = await organizationWithoutAdmin();
    const [ana, bo] = [f.members.Ana?.id ?? 0, f.members.Bo?.id ?? 0];
    const installs = await Promise.all([
      makeInstallerFirstAdmin(db, f.organizationId, ana),
      makeInstallerFirstAdmin(db, f.organizationId, bo),
    ]);
    expect(installs.filter(Boolean)).toHaveLength(1);
    expect(await adminsOf(db, f.organizationId)).toHaveLength(1);
    const [grant, ...others] = await f.audit();
    expect(others).toEqual([]);
    expect(grant).toMatchObject({
      via: 'system',
      actorMemberId: null,
      action: 'role.grant',
      outcome: 'done',
      after: { roles: ['member', 'admin'], grantedBy: 'installer' },
    });
    // A reinstall names nobody new; a bot cannot be the first admin.
    expect(await makeInstallerFirstAdmin(db, f.organizationId, f.members.Cy?.id ?? 0)).toBe(false);
    const g = await organizationWithoutAdmin();
    expect(await makeInstallerFirstAdmin(db, g.organizationId, g.members.Bot?.id ?? 0)).toBe(false);
    expect(await adminsOf(db, g.organizationId)).toEqual([]);
  });

  it('keeps the last admin who can act: a leaver holding the role does not count', async () => {
    const f = await createAdminFixture(db, {
      members: {
        Ada: { roles: ['member', 'admin'] },
        Old: { roles: ['member', 'admin'] },
        Bot: { isBot: true },
        Gus: { isGuest: true },
      },
    });
    closers.push(f.close);
    await db
      .updateTable('members')
      .set({ status: 'deactivated' })
      .where('id', '=', f.members.Old?.id ?? 0)
      .execute();
    expect((await f.command('Ada', 'admin roles @Ada -admin')).code).toBe('last_admin');
    for (const who of ['Bot', 'Gus']) {
      const reply = await f.command('Ada', `admin roles @${who} +admin`);
      expect(reply.code, reply.text).toBe('not_eligible');
    }
    expect(await adminsOf(db, f.organizationId)).toEqual(['Ada', 'Old']);
  });
});

describe('migration 0012 on an organization in use before admins existed', () => {
  it('makes its earliest active person admin, audited, and leaves organizations with one alone', async () => {
    // A database of its own, migrated only so far: what an upgrade from 0011 finds.
    const fresh = await createFreshDatabase('first_admin');
    const upgraded = await openDatabase({ url: fresh.url, poolSize: 2 });
    try {
      const migrated = await createMigrator(upgraded).migrateTo('0011_admin');
      expect(migrated.error).toBeUndefined();
      const org = async (name: string) =>
        (
          await sql<{ id: number }>`insert into organizations (name, timezone, currency)
            values (${name}, 'UTC', 'EUR') returning id`.execute(upgraded)
        ).rows[0]?.id as number;
      const member = (organizationId: number, name: string, extra = '') =>
        sql`insert into members (organization_id, display_name, roles, status, is_guest, is_bot)
          values (${organizationId}, ${name}, ${extra === 'admin' ? sql`'{member,admin}'` : sql`'{member}'`},
            ${extra === 'left' ? 'deactivated' : 'active'}, ${extra === 'guest'}, ${extra === 'bot'})`.execute(
          upgraded,
        );
      const inUse = await org('In use');
      await member(inUse, 'Bot', 'bot');
      await member(inUse, 'Gone', 'left');
      await member(inUse, 'Guest', 'guest');
      await member(inUse, 'Installer');
      await member(inUse, 'Later');
      const managed = await org('Managed');
      await member(managed, 'First');
      await member(managed, 'Boss', 'admin');
      await migrateToLatest(upgraded);
      expect(await adminsOf(upgraded, inUse)).toEqual(['Installer']);
      expect(await adminsOf(upgraded, managed)).toEqual(['Boss']);
      const audit = await upgraded
        .selectFrom('audit_log')
        .select(['organization_id', 'via', 'action', 'outcome'])
        .execute();
      expect(audit).toEqual([
        { organization_id: inUse, via: 'system', action: 'role.grant', outcome: 'done' },
      ]);
      await expect(sql`truncate audit_log`.execute(upgraded)).rejects.toThrow(/append-only/);
      await expect(sql`truncate billing_charges`.execute(upgraded)).rejects.toThrow(/append-only/);
    } finally {
      await upgraded.destroy();
      await fresh.drop();
    }
  });
});
