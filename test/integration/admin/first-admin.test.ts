import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/database.ts';
import { openDatabase } from '../../../src/db/database.ts';
import { createMigrator, migrateToLatest } from '../../../src/db/migrate.ts';
import { createAdminFixture } from '../../support/admin-fixture.ts';
import { openTestDatabase } from '../../support/databases.ts';

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

describe('the first person to use an organization becomes its admin', () => {
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

  it('is whoever runs a command first: not a guest, a bot, or someone the command names', async () => {
    const f = await organizationWithoutAdmin();
    await f.command('Bot', 'balance');
    await f.command('Gus', 'balance');
    expect(await adminsOf(db, f.organizationId)).toEqual([]);
    // Bo is named, Ana asks: Ana is the admin.
    const given = await f.command('Ana', '@Bo 5 for the onboarding notes');
    expect(given.outcome, given.text).toBe('ok');
    expect(await adminsOf(db, f.organizationId)).toEqual(['Ana']);
    // Her very first command already runs as an admin.
    const g = await organizationWithoutAdmin();
    const rules = await g.command('Cy', 'admin allow-give everyone');
    expect(rules.outcome, rules.text).toBe('ok');
    expect(await adminsOf(db, g.organizationId)).toEqual(['Cy']);
    expect((await g.command('Di', 'admin allow-give everyone')).code).toBe('not_admin');
    const [grant] = await g.audit();
    expect(grant).toMatchObject({
      via: 'system',
      action: 'role.grant',
      target: `member:${g.members.Cy?.id}`,
      outcome: 'done',
      after: { roles: ['member', 'admin'] },
    });
  });

  it('is one person when several use a new organization at once', async () => {
    for (let round = 0; round < 5; round++) {
      const f = await organizationWithoutAdmin();
      await Promise.all(['Ana', 'Bo', 'Cy', 'Di'].map((name) => f.command(name, 'balance')));
      expect(await adminsOf(db, f.organizationId)).toHaveLength(1);
      expect((await f.audit()).filter((entry) => entry.action === 'role.grant')).toHaveLength(1);
    }
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
    const pglite = await openDatabase({ dataDir: 'memory://' });
    try {
      const migrated = await createMigrator(pglite).migrateTo('0011_admin');
      expect(migrated.error).toBeUndefined();
      const org = async (name: string) =>
        (
          await sql<{ id: number }>`insert into organizations (name, timezone, currency)
            values (${name}, 'UTC', 'EUR') returning id`.execute(pglite)
        ).rows[0]?.id as number;
      const member = (organizationId: number, name: string, extra = '') =>
        sql`insert into members (organization_id, display_name, roles, status, is_guest, is_bot)
          values (${organizationId}, ${name}, ${extra === 'admin' ? sql`'{member,admin}'` : sql`'{member}'`},
            ${extra === 'left' ? 'deactivated' : 'active'}, ${extra === 'guest'}, ${extra === 'bot'})`.execute(
          pglite,
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
      await migrateToLatest(pglite);
      expect(await adminsOf(pglite, inUse)).toEqual(['Installer']);
      expect(await adminsOf(pglite, managed)).toEqual(['Boss']);
      const audit = await pglite
        .selectFrom('audit_log')
        .select(['organization_id', 'via', 'action', 'outcome'])
        .execute();
      expect(audit).toEqual([
        { organization_id: inUse, via: 'system', action: 'role.grant', outcome: 'done' },
      ]);
      await expect(sql`truncate audit_log`.execute(pglite)).rejects.toThrow(/append-only/);
      await expect(sql`truncate billing_charges`.execute(pglite)).rejects.toThrow(/append-only/);
    } finally {
      await pglite.destroy();
    }
  });
});
