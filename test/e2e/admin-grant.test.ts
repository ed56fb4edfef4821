import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../src/db/database.ts';
import { createMember } from '../../src/directory/members.ts';
import { createOrganization } from '../../src/directory/organizations.ts';
import { createFreshDatabase, type FreshDatabase } from '../support/fresh-database.ts';
import { runNpmScript } from '../support/npm-script.ts';

/** Runs `npm run admin:grant -- …args` as an operator would, with only this environment. */
const adminGrant = (env: Record<string, string>, ...args: string[]) =>
  runNpmScript('admin:grant', env, args);

describe('npm run admin:grant on postgres', () => {
  let fresh: FreshDatabase;
  let db: Database;
  beforeAll(async () => {
    fresh = await createFreshDatabase('admin_grant', { migrated: true });
    db = await openDatabase({ url: fresh.url, poolSize: 2 });
  });
  afterAll(async () => {
    await db?.destroy();
    await fresh?.drop();
  });

  const organization = async (name: string) => {
    const created = await createOrganization(db, { name, timezone: 'UTC', currency: 'EUR' });
    if (!created.ok) throw new Error(created.message);
    return created.value.id;
  };
  const member = async (
    organizationId: number,
    displayName: string,
    email: string,
    isGuest = false,
  ) => {
    const created = await createMember(db, organizationId, { displayName, email, isGuest });
    if (!created.ok) throw new Error(created.message);
    return created.value.id;
  };
  const rolesOf = async (memberId: number) =>
    (await db.selectFrom('members').select('roles').where('id', '=', memberId).executeTakeFirst())
      ?.roles;
  const grants = async (organizationId: number) =>
    (
      await sql<{ via: string; actor: number | null; target: string; after: unknown }>`
        select via, actor_member_id as actor, target, after from audit_log
        where organization_id = ${organizationId} and action = 'role.grant' order by id`.execute(db)
    ).rows;

  it('grants admin to the member with the email, audited as the operator, and refuses an unknown one', async () => {
    const env = { DATABASE_URL: fresh.url };
    const none = await adminGrant(env, 'ana@acme.example');
    expect(none.stderr.trim()).toBe(
      'Cannot grant admin: There is no organization yet: start Plaudit with Slack or Teams connected first.',
    );
    expect(none.code).toBe(1);

    const acme = await organization('Acme');
    const ana = await member(acme, 'Ana', 'ana@acme.example');
    const li = await member(acme, 'Li', 'li@acme.example');
    const unknown = await adminGrant(env, 'nobody@acme.example');
    expect(unknown.stderr.trim()).toBe(
      'Cannot grant admin: Nobody in Acme has the email nobody@acme.example yet: ask them to use Plaudit once (or check the address), then grant again.',
    );
    expect(unknown.code).toBe(1);
    const gus = await member(acme, 'Gus', 'gus@partner.example', true);
    const guest = await adminGrant(env, 'gus@partner.example');
    expect(guest.stderr).toBe(
      'Cannot grant admin: Gus is a guest; only active people of the organization can be admins.\n',
    );
    expect(guest.code).toBe(1);
    expect(await rolesOf(gus)).toEqual(['member']);
    expect(await grants(acme)).toEqual([]);

    const granted = await adminGrant(env, 'Ana@ACME.example');
    expect(granted.stderr).toBe('');
    expect(granted.stdout).toBe(`Ana (member ${ana}) is now an admin of Acme.\n`);
    expect(granted.code).toBe(0);
    expect(await rolesOf(ana)).toEqual(['member', 'admin']);
    expect(await rolesOf(li)).toEqual(['member']);
    expect(await grants(acme)).toEqual([
      {
        via: 'system',
        actor: null,
        target: `member:${ana}`,
        after: {
          roles: ['member', 'admin'],
          grantedBy: 'operator',
          why: 'granted by an operator with npm run admin:grant',
        },
      },
    ]);
    const again = await adminGrant(env, 'ana@acme.example');
    expect(again.stdout).toBe(`Ana (member ${ana}) is an admin of Acme already.\n`);
    expect(again.code).toBe(0);
    expect(await grants(acme)).toHaveLength(1);
  });

  it('asks which organization when there are several, and takes --organization', async () => {
    const env = { DATABASE_URL: fresh.url };
    const globex = await organization('Globex');
    const bo = await member(globex, 'Bo', 'bo@globex.example');
    const ambiguous = await adminGrant(env, 'bo@globex.example');
    expect(ambiguous.stderr).toMatch(
      /^Cannot grant admin: There are several organizations \(\d+ \(Acme\), .*\): say which with --organization <id>\.\n$/,
    );
    expect(ambiguous.code).toBe(1);
    expect(await rolesOf(bo)).toEqual(['member']);
    const wrongArguments = await adminGrant(env, 'bo@globex.example', '--organization', 'globex');
    expect(wrongArguments.stderr).toBe(
      '--organization takes an organization id, a number. Usage: npm run admin:grant -- email@company [--organization <id>]\n',
    );
    expect(wrongArguments.code).toBe(64);
    const elsewhere = await adminGrant(env, 'bo@globex.example', '--organization', '999999');
    expect(elsewhere.stderr).toBe('Cannot grant admin: There is no organization 999999.\n');
    expect(elsewhere.code).toBe(1);
    const granted = await adminGrant(env, 'bo@globex.example', '--organization', String(globex));
    expect(granted.stdout).toBe(`Bo (member ${bo}) is now an admin of Globex.\n`);
    expect(granted.code).toBe(0);
    expect(await rolesOf(bo)).toEqual(['member', 'admin']);
  });
});
