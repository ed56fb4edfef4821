import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticateApiToken, listApiTokens } from '../../../src/admin/api-tokens.ts';
import type { Database } from '../../../src/db/database.ts';
import { type AdminFixture, createAdminFixture } from '../../support/admin-fixture.ts';
import { openTestDatabase } from '../../support/databases.ts';

const SECRET = /plaudit_[A-Za-z0-9_-]{43}/g;

describe('API tokens from chat: /kudos admin tokens', () => {
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
      members: {
        Ada: { roles: ['member', 'admin'] },
        Li: {},
        Hal: { roles: ['member', 'hr'] },
      },
    });
    closers.push(f.close);
    return f;
  }

  it('creates a token whose secret is shown once, privately, and works; lists and the audit log never show it', async () => {
    const f = await organization();
    expect((await f.command('Ada', 'admin tokens')).text).toMatch(/^There are no API tokens yet\./);

    const created = await f.command('Ada', 'admin tokens create "payroll sync" hr');
    expect(created).toMatchObject({ outcome: 'ok', visibility: 'private', confidential: true });
    const secrets = created.text.match(SECRET) ?? [];
    expect(secrets).toHaveLength(1);
    const secret = secrets[0] as string;
    expect(created.text).toContain('it will not be shown again');
    const token = await authenticateApiToken(db, secret);
    expect(token).toMatchObject({
      organizationId: f.organizationId,
      name: 'payroll sync',
      role: 'hr',
      hint: secret.slice(-4),
    });
    expect(created.text).toContain(`#${token?.id} “payroll sync”`);

    const listed = await f.command('Ada', 'admin tokens list');
    expect(listed.outcome).toBe('ok');
    expect(listed.text.split('\n')[1]).toMatch(
      new RegExp(
        `^#${token?.id} “payroll sync” — hr, ends in …${secret.slice(-4)}, made \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d, last used \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d, active$`,
      ),
    );
    expect(JSON.stringify(listed)).not.toContain(secret);
    expect(JSON.stringify(listed)).not.toMatch(SECRET);

    const audit = await f.audit();
    expect(
      audit.map((entry) => [entry.actorName, entry.action, entry.target, entry.outcome]),
    ).toEqual([['Ada', 'token.create', `token:${token?.id}`, 'done']]);
    expect(JSON.stringify(audit)).not.toContain(secret);
    expect(JSON.stringify(await f.command('Ada', 'admin audit'))).not.toContain(secret);
  });

  it('revokes a token: it no longer authenticates, and the list says so', async () => {
    const f = await organization();
    const created = await f.command('Ada', 'admin tokens create ci admin');
    const secret = (created.text.match(SECRET) ?? [])[0] as string;
    const token = await authenticateApiToken(db, secret);
    expect(token?.role).toBe('admin');

    const revoked = await f.command('Ada', `admin tokens revoke ${token?.id}`);
    expect(revoked).toMatchObject({
      outcome: 'ok',
      text: `The API token #${token?.id} “ci” (ending in …${secret.slice(-4)}) is revoked; it no longer works.`,
    });
    expect(await authenticateApiToken(db, secret)).toBeUndefined();
    expect((await f.command('Ada', 'admin tokens')).text).toMatch(/, revoked \d{4}-\d\d-\d\d /);
    expect(await f.command('Ada', 'admin tokens revoke 999999999')).toMatchObject({
      outcome: 'refused',
      code: 'unknown_token',
    });
    expect((await f.audit()).map((entry) => [entry.action, entry.outcome])).toEqual([
      ['token.create', 'done'],
      ['token.revoke', 'done'],
    ]);
  });

  it('answers text that does not parse with how to write it', async () => {
    const f = await organization();
    for (const text of ['admin tokens create', 'admin tokens create ci owner', 'admin tokens x']) {
      expect(await f.command('Ada', text), text).toMatchObject({ outcome: 'usage' });
    }
    expect(await listApiTokens(db, f.organizationId)).toEqual([]);
    expect(await f.audit()).toEqual([]);
  });

  it('refuses everyone but an admin, audited, and makes or revokes nothing', async () => {
    const f = await organization();
    const kept = await f.command('Ada', 'admin tokens create kept admin');
    const secret = (kept.text.match(SECRET) ?? [])[0] as string;
    const id = (await authenticateApiToken(db, secret))?.id;
    const attempts: Array<[string, string, string]> = [
      ['Li', 'admin tokens', 'token.read'],
      ['Li', 'admin tokens create mine admin', 'token.create'],
      ['Hal', 'admin tokens create payroll hr', 'token.create'],
      ['Hal', `admin tokens revoke ${id}`, 'token.revoke'],
      ['Li', 'admin tokens create', 'token.create'],
      ['Li', 'admin tokens revoke soon', 'token.revoke'],
      ['Li', 'admin tokens nonsense', 'token.read'],
    ];
    for (const [as, text] of attempts) {
      const reply = await f.command(as, text);
      expect(reply, text).toMatchObject({ outcome: 'refused', code: 'not_admin' });
      expect(reply.text, text).toMatch(/^Only admins can .+; ask an admin if this needs doing\.$/);
      expect(reply.text, text).not.toMatch(SECRET);
    }
    const tokens = await listApiTokens(db, f.organizationId);
    expect(tokens.map((token) => [token.name, token.revokedAt])).toEqual([['kept', null]]);
    expect(await authenticateApiToken(db, secret)).toBeDefined();
    const refused = (await f.audit()).filter((entry) => entry.outcome === 'refused');
    expect(refused.map((entry) => [entry.actorName, entry.action, entry.refusalCode])).toEqual(
      attempts.map(([as, , action]) => [as, action, 'not_admin']),
    );
    expect(refused[3]?.target).toBe(`token:${id}`);
  });
});
