import { describe, expect, it } from 'vitest';
import { readPermissionRules } from '../../../src/admin/permission-rules.ts';
import { addGroupMembers, createGroup } from '../../../src/directory/groups.ts';
import type { AdminFixture } from '../../support/admin-fixture.ts';
import { consoleOrganizations } from '../../support/console-organizations.ts';

const HOSTILE = '<img src=x onerror=alert(1)>';

describe('console permissions page: who may give and receive, edited as the rules read', () => {
  const { orgs, open } = consoleOrganizations(
    {
      Ada: { roles: ['member', 'admin'] },
      Hal: { roles: ['member', 'hr'] },
      Li: {},
      Bo: {},
      Robot: { isBot: true },
    },
    { signInAs: 'Ada' },
  );
  const idOf = (f: AdminFixture, name: string) => {
    const member = f.members[name];
    if (!member) throw new Error(`no member ${name}`);
    return member.id;
  };
  const groupOf = async (f: AdminFixture, name: string, members: string[] = []) => {
    const made = await createGroup(f.db, f.organizationId, name);
    if (!made.ok) throw new Error(made.message);
    await addGroupMembers(
      f.db,
      made.value,
      members.map((member) => idOf(f, member)),
    );
    return made.value.id;
  };
  /** The part of the page about one rule: its sentence and its form. */
  const sectionOf = (page: string, which: 'give' | 'receive') =>
    new RegExp(`<section aria-labelledby="rule-${which}">[\\s\\S]*?</section>`).exec(page)?.[0] ??
    '';

  it('tells both rules as sentences, with a form for each that offers roles, groups and people', async () => {
    const { f, client } = await open();
    const design = await groupOf(f, 'Design', ['Li']);
    const page = await client.get('/console/permissions');
    expect(page.status).toBe(200);
    const give = sectionOf(page.html, 'give');
    expect(give).toContain('<p class="rule-text">Everyone may give kudos.</p>');
    expect(sectionOf(page.html, 'receive')).toContain(
      '<p class="rule-text">Everyone may receive kudos.</p>',
    );
    expect(give).toContain('<form method="post" action="/console/permissions/give"');
    expect(give).toContain(
      '<label class="choice"><input type="radio" name="kind" value="everyone" checked> Everyone</label>',
    );
    expect(give).toContain('<input type="radio" name="kind" value="only"> Only the roles');
    expect(give).toContain(
      '<label class="choice"><input type="checkbox" name="roles" value="hr"> HR</label>',
    );
    expect(give).toContain(
      `<label class="choice"><input type="checkbox" name="groups" value="${design}"> Design</label>`,
    );
    expect(give).toMatch(/<label>People <select name="members" multiple/);
    expect(give).toContain(`<option value="${idOf(f, 'Li')}">Li</option>`);
    // A bot is nobody to name.
    expect(give).not.toContain('>Robot</option>');
  });

  it('saves a rule through the rules service, audited as a console action, and reads it back', async () => {
    const { f, client } = await open();
    const design = await groupOf(f, 'Design', ['Bo']);
    await client.get('/console/permissions');
    const saved = await client.post('/console/permissions/give', {
      kind: 'only',
      members: [String(idOf(f, 'Li'))],
      groups: [String(design)],
      roles: ['hr'],
    });
    expect(saved.status).toBe(303);
    expect(saved.location).toBe('/console/permissions');
    const page = await client.follow(saved);
    expect(page.html).toContain(
      '<p class="notice done" role="status">Saved. Only Li, the Design group and HR may give kudos.</p>',
    );
    const give = sectionOf(page.html, 'give');
    expect(give).toContain(
      '<p class="rule-text">Only Li, the Design group and HR may give kudos.</p>',
    );
    expect(give).toContain('<input type="radio" name="kind" value="only" checked>');
    expect(give).toContain(`<option value="${idOf(f, 'Li')}" selected>Li</option>`);
    expect(give).toContain(`name="groups" value="${design}" checked>`);
    expect(give).toContain('name="roles" value="hr" checked>');
    expect(sectionOf(page.html, 'receive')).toContain('Everyone may receive kudos.');

    const rules = await readPermissionRules(f.db, f.organizationId);
    expect(rules.give).toEqual({
      kind: 'only',
      members: [idOf(f, 'Li')],
      groups: [design],
      roles: ['hr'],
    });
    expect((await f.audit()).at(-1)).toMatchObject({
      action: 'rule.set',
      target: 'rule:give',
      outcome: 'done',
      via: 'console',
      actorMemberId: idOf(f, 'Ada'),
      before: { kind: 'everyone' },
      after: { kind: 'only', members: [idOf(f, 'Li')], groups: [design], roles: ['hr'] },
    });
    // It holds at once: Ada (in no list) may not give; Bo, in Design, may.
    expect((await f.command('Ada', '@Li 5 for the help')).outcome).not.toBe('ok');
    expect((await f.command('Bo', '@Li 5 for the help')).outcome).toBe('ok');

    const except = await client.post('/console/permissions/receive', {
      kind: 'everyone_except',
      members: String(idOf(f, 'Bo')),
    });
    expect((await client.follow(except)).html).toContain(
      'Saved. Everyone except Bo may receive kudos.',
    );
    expect((await readPermissionRules(f.db, f.organizationId)).receive).toEqual({
      kind: 'everyone_except',
      members: [idOf(f, 'Bo')],
    });

    // Back to everyone: picks left in the form mean nothing then.
    const everyone = await client.post('/console/permissions/give', {
      kind: 'everyone',
      roles: ['hr'],
    });
    expect((await client.follow(everyone)).html).toContain('Saved. Everyone may give kudos.');
    const again = await client.post('/console/permissions/give', { kind: 'everyone' });
    expect((await client.follow(again)).html).toContain(
      'Nothing changed: Everyone may give kudos.',
    );
    expect((await readPermissionRules(f.db, f.organizationId)).give).toEqual({ kind: 'everyone' });
  });

  it("refuses a bad rule with the service's sentence, changing nothing", async () => {
    const { f, client } = await open();
    const stranger = await orgs.organization();
    const li = idOf(f, 'Li');
    const ops = await groupOf(f, 'Ops', ['Li']);
    await client.get('/console/permissions');
    const before = await f.snapshot();
    const audit = await f.audit();
    const bad: Array<[Record<string, string | string[]>, string]> = [
      [
        { kind: 'sometimes', roles: 'hr' },
        'A rule is everyone, only or everyone_except; “sometimes” is none of those.',
      ],
      [{ roles: 'hr' }, 'A rule is everyone, only or everyone_except; “” is none of those.'],
      [
        { kind: 'only', roles: ['hr', 'owner'] },
        '“owner” is not a role; roles are member, admin and hr.',
      ],
      [{ kind: 'only', members: 'Li' }, 'A rule names each member by its id, a whole number.'],
      [{ kind: 'only', members: '999999999' }, 'There is no member 999999999 here.'],
      [
        { kind: 'only', members: String(idOf(stranger, 'Li')) },
        `There is no member ${idOf(stranger, 'Li')} here.`,
      ],
      [{ kind: 'everyone_except', groups: '999999999' }, 'There is no group 999999999 here.'],
      // Ids are digits only: another spelling of a real member's or group's id is no id,
      // though Number() would read it as that id.
      ...[`${li}.0`, `0x${li.toString(16)}`, `${li}e0`, `+${li}`].map(
        (id): [Record<string, string>, string] => [
          { kind: 'only', members: id },
          'A rule names each member by its id, a whole number.',
        ],
      ),
      [
        { kind: 'only', groups: `0x${ops.toString(16)}` },
        'A rule names each group by its id, a whole number.',
      ],
    ];
    for (const [fields, sentence] of bad) {
      const sent = await client.post('/console/permissions/give', fields);
      expect(sent.status, sentence).toBe(303);
      const page = await client.follow(sent);
      expect(page.html, sentence).toContain(
        `<p class="notice refused" role="alert">${sentence} Nothing changed.</p>`,
      );
    }
    const unknown = await client.post('/console/permissions/whom', { kind: 'everyone' });
    expect(unknown.status).toBe(404);
    expect(unknown.html).toContain('There are two rules: who may give and who may receive.');
    expect(await f.snapshot()).toEqual(before);
    expect(await f.audit()).toEqual(audit);
  });

  it('is for admins: HR gets a 403 page, and a posted rule is refused and audited', async () => {
    const { f, client } = await open('Hal');
    const page = await client.get('/console/permissions');
    expect(page.status).toBe(403);
    expect(page.html).toContain('Only admins can open this page; ask an admin if you need it.');
    expect(page.html).not.toContain('action="/console/permissions/give"');
    const before = await f.snapshot();
    const sent = await client.post('/console/permissions/give', { kind: 'only', roles: 'hr' });
    expect(sent.status).toBe(303);
    expect((await client.follow(sent)).html).toContain(
      '<p class="notice refused" role="alert">Only admins can change who may give kudos; ask an admin if this needs doing.</p>',
    );
    expect(await f.snapshot()).toEqual(before);
    expect((await f.audit()).at(-1)).toMatchObject({
      action: 'rule.set',
      target: 'rule:give',
      outcome: 'refused',
      refusalCode: 'not_admin',
      via: 'console',
      actorMemberId: idOf(f, 'Hal'),
    });
  });

  it('escapes the names of people and groups', async () => {
    const { f, client } = await open();
    await f.db
      .updateTable('members')
      .set({ display_name: HOSTILE })
      .where('id', '=', idOf(f, 'Li'))
      .execute();
    const group = await groupOf(f, `${HOSTILE} team`);
    await client.get('/console/permissions');
    await client.post('/console/permissions/receive', {
      kind: 'only',
      members: String(idOf(f, 'Li')),
      groups: String(group),
    });
    const page = await client.get('/console/permissions');
    const escaped = '&lt;img src=x onerror=alert(1)&gt;';
    expect(page.html).toContain(
      `<p class="rule-text">Only ${escaped} and the ${escaped} team group may receive kudos.</p>`,
    );
    expect(page.html).toContain(`selected>${escaped}</option>`);
    expect(page.html).toContain(`> ${escaped} team</label>`);
    expect(page.html).not.toContain('<img');
  });
});
