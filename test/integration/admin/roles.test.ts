import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { AUDIT_CSV_HEADER, auditCsv, readAudit, writeAudit } from '../../../src/admin/audit-log.ts';
import { changeRole } from '../../../src/admin/roles.ts';
import { createMember } from '../../../src/directory/members.ts';
import { type AdminFixture, adminOrganizations } from '../../support/admin-fixture.ts';
import { parseCsv } from '../../support/csv.ts';

describe('roles and the audit log', () => {
  const orgs = adminOrganizations({
    Ada: { roles: ['member', 'admin'] },
    Bo: { roles: ['member', 'admin'] },
    Li: {},
    Hal: { roles: ['member', 'hr'] },
  });
  const { organization } = orgs;

  const rolesOf = async (f: AdminFixture, name: string) => (await f.actor(name)).roles;

  it('lists, grants and revokes roles from chat, each change audited', async () => {
    const f = await organization();
    expect((await f.command('Ada', 'admin roles')).text).toBe(
      [
        'Admins: Ada and Bo.',
        'HR: Hal.',
        'Change them with /kudos admin roles @someone +admin -hr.',
      ].join('\n'),
    );
    const granted = await f.command('Ada', 'admin roles @Li +hr +admin');
    expect(granted).toMatchObject({
      outcome: 'ok',
      text: ['Li is hr; roles now: member, hr.', 'Li is admin; roles now: member, admin, hr.'].join(
        '\n',
      ),
    });
    expect(await rolesOf(f, 'Li')).toEqual(['member', 'admin', 'hr']);
    expect((await f.command('Ada', 'admin roles @Li -admin')).text).toBe(
      'Li is no longer admin; roles now: member, hr.',
    );
    expect(await rolesOf(f, 'Li')).toEqual(['member', 'hr']);
    const audit = await f.audit();
    expect(audit.map((entry) => [entry.action, entry.target, entry.before, entry.after])).toEqual([
      [
        'role.grant',
        `member:${f.members.Li?.id}`,
        { roles: ['member'] },
        { roles: ['member', 'hr'] },
      ],
      [
        'role.grant',
        `member:${f.members.Li?.id}`,
        { roles: ['member', 'hr'] },
        { roles: ['member', 'admin', 'hr'] },
      ],
      [
        'role.revoke',
        `member:${f.members.Li?.id}`,
        { roles: ['member', 'admin', 'hr'] },
        { roles: ['member', 'hr'] },
      ],
    ]);
    const usages: Array<[string, string]> = [
      ['admin roles @Li', 'usage'],
      ['admin roles @Li +owner', 'usage'],
      ['admin roles @Li +member', 'usage'],
      ['admin roles +hr', 'usage'],
      ['admin roles @Nobody +hr', 'unknown_member'],
    ];
    for (const [text, code] of usages) {
      const reply = await f.command('Ada', text);
      expect(reply.outcome, text).not.toBe('ok');
      expect(reply.code, text).toBe(code);
    }
    expect(await f.audit()).toHaveLength(3);
  });

  it('keeps the last admin, also when two admins revoke each other at once', async () => {
    const f = await organization();
    expect((await f.command('Ada', 'admin roles @Bo -admin')).outcome).toBe('ok');
    const refused = await f.command('Ada', 'admin roles @Ada -admin');
    expect(refused).toMatchObject({
      outcome: 'refused',
      code: 'last_admin',
      text: 'Ada is the last admin; make someone else admin first.',
    });
    expect(await rolesOf(f, 'Ada')).toEqual(['member', 'admin']);

    for (let round = 0; round < 5; round++) {
      const g = await organization();
      const [ada, bo] = [await g.actor('Ada'), await g.actor('Bo')];
      const results = await Promise.all([
        changeRole(orgs.db, ada, {
          memberId: bo.memberId as number,
          role: 'admin',
          change: 'revoke',
        }),
        changeRole(orgs.db, bo, {
          memberId: ada.memberId as number,
          role: 'admin',
          change: 'revoke',
        }),
      ]);
      expect(results.filter((result) => result.ok)).toHaveLength(1);
      expect(results.filter((result) => !result.ok && result.code === 'last_admin')).toHaveLength(
        1,
      );
      const admins = await orgs.db
        .selectFrom('members')
        .select('id')
        .where('organization_id', '=', g.organizationId)
        .where(sql<boolean>`'admin' = any(roles)`)
        .execute();
      expect(admins).toHaveLength(1);
    }
  });

  it('refuses roles and the audit log to anyone but an admin, audited, nothing changed', async () => {
    const f = await organization();
    const before = await f.snapshot();
    const attempts: Array<[string, string, string]> = [
      ['Li', 'admin roles', 'role.read'],
      ['Li', 'admin roles @Li +admin', 'role.grant'],
      ['Hal', 'admin roles @Ada -admin', 'role.revoke'],
      ['Hal', 'admin roles @Li +nonsense', 'role.grant'],
      ['Li', 'admin audit', 'audit.read'],
      ['Hal', 'admin audit role.grant', 'audit.read'],
    ];
    for (const [as, text] of attempts) {
      const reply = await f.command(as, text);
      expect(reply, text).toMatchObject({ outcome: 'refused', code: 'not_admin' });
      expect(reply.text, text).toMatch(/^Only admins can .+; ask an admin if this needs doing\.$/);
    }
    expect(await f.snapshot()).toEqual(before);
    const audit = await f.audit();
    expect(audit.map((entry) => [entry.actorName, entry.action, entry.outcome])).toEqual(
      attempts.map(([as, , action]) => [as, action, 'refused']),
    );
    // Refused before the mention is looked up: the attempt is kept as it was written.
    expect(audit[1]).toMatchObject({ target: null, after: { text: '@Li +admin' } });
  });

  it('shows the latest entries in chat, filtered by action', async () => {
    const f = await organization();
    expect((await f.command('Ada', 'admin audit')).text).toBe('Audit log: nothing yet.');
    await f.command('Ada', 'admin roles @Li +hr');
    await f.command('Li', 'admin roles @Li +admin');
    for (let index = 0; index < 22; index++) {
      await f.command('Ada', `admin adjust @Li +1 round ${index}`);
    }
    const all = (await f.command('Ada', 'admin audit')).text.split('\n');
    expect(all[0]).toBe('Audit log:');
    expect(all).toHaveLength(22);
    expect(all[1]).toMatch(
      /^#\d+ \d{4}-\d\d-\d\d \d\d:\d\d Ada \(local\): adjustment\.grant member:\d+ \{"amount":1,"reason":"round 21","transferId":\d+\}$/,
    );
    expect(all[21]).toBe('The latest 20, newest first; the whole log is in the admin API as CSV.');
    const grants = (await f.command('Ada', 'admin audit role.grant')).text.split('\n');
    expect(grants.slice(0, 1)).toEqual(['Audit log: role.grant:']);
    expect(grants.slice(1, 3)).toEqual([
      expect.stringMatching(
        /^#\d+ .+ Li \(local\): role\.grant — refused \(not_admin\) \{"text":"@Li \+admin"\}$/,
      ),
      expect.stringMatching(
        /^#\d+ .+ Ada \(local\): role\.grant member:\d+ \{"roles":\["member"\]\} → \{"roles":\["member","hr"\]\}$/,
      ),
    ]);
    expect((await f.command('Ada', 'admin audit token.revoke')).text).toBe(
      'Audit log: token.revoke: no entries yet.',
    );
    expect(await f.command('Ada', 'admin audit roles')).toMatchObject({ outcome: 'usage' });
  });

  it('keeps the audit log append-only: no entry can be changed or deleted', async () => {
    const f = await organization();
    await f.command('Ada', 'admin roles @Li +hr');
    const [entry] = await f.audit();
    if (!entry) throw new Error('no entry');
    await expect(
      sql`update audit_log set action = 'role.revoke' where id = ${entry.id}`.execute(orgs.db),
    ).rejects.toThrow(/append-only/);
    await expect(
      sql`delete from audit_log where id = ${entry.id}`.execute(orgs.db),
    ).rejects.toThrow(/append-only/);
    expect(await f.audit()).toEqual([entry]);
  });

  it('exports the audit log as CSV that reads back to the same entries', async () => {
    const f = await organization();
    const named = await createMember(orgs.db, f.organizationId, { displayName: 'Zoë "Z", Jr.' });
    if (!named.ok) throw new Error(named.message);
    const zoe = { ...(await f.actor('Ada')), memberId: named.value.id, name: 'Zoë' };
    const awkward = 'a "quoted", comma\r\nand a line break — ünïcode';
    await writeAudit(orgs.db, zoe, {
      action: 'adjustment.grant',
      target: 'member:1',
      outcome: 'done',
      before: { note: awkward },
      after: { amount: 5, reason: awkward },
    });
    await f.command('Li', 'admin roles @Li +admin');
    await f.command('Ada', 'admin roles @Li +hr');
    const { entries } = await readAudit(orgs.db, f.organizationId);
    const records = parseCsv(auditCsv(entries));
    expect(records[0]).toEqual([...AUDIT_CSV_HEADER]);
    expect(records).toHaveLength(entries.length + 1);
    records.slice(1).forEach((record, index) => {
      const entry = entries[index];
      if (!entry) throw new Error('no entry');
      const row = Object.fromEntries(AUDIT_CSV_HEADER.map((column, at) => [column, record[at]]));
      expect(row).toEqual({
        id: String(entry.id),
        at: entry.at.toISOString(),
        actor: entry.actorName ?? '',
        actor_member_id: String(entry.actorMemberId),
        actor_token_id: '',
        via: 'local',
        action: entry.action,
        target: entry.target ?? '',
        outcome: entry.outcome,
        refusal_code: entry.refusalCode ?? '',
        before: entry.before === null ? '' : JSON.stringify(entry.before),
        after: entry.after === null ? '' : JSON.stringify(entry.after),
      });
      if (row.after) expect(JSON.parse(row.after)).toEqual(entry.after);
    });
    const awkwardRow = records.find((record) => record[6] === 'adjustment.grant');
    expect(JSON.parse(awkwardRow?.[11] ?? '')).toEqual({ amount: 5, reason: awkward });
    expect(JSON.parse(awkwardRow?.[10] ?? '')).toEqual({ note: awkward });
    expect(awkwardRow?.[2]).toBe('Zoë "Z", Jr.');
  });
});
