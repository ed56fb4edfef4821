import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { readPermissionRules } from '../../../src/admin/permission-rules.ts';
import { PICK_LIST_MOST } from '../../../src/console/pages/permissions-page.ts';
import { addGroupMembers, createGroup } from '../../../src/directory/groups.ts';
import type { AdminFixture } from '../../support/admin-fixture.ts';
import { noticeOf } from '../../support/console-client.ts';
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
    // Typed people too: refused as not an admin, whether the names are anyone or not.
    const attempts: Array<Record<string, string>> = [
      { kind: 'only', roles: 'hr' },
      { kind: 'only', add_people: 'Li' },
      { kind: 'only', add_people: 'nobody@nowhere.example' },
    ];
    for (const fields of attempts) {
      const sent = await client.post('/console/permissions/give', fields);
      expect(sent.status).toBe(303);
      expect(noticeOf(await client.follow(sent))).toBe(
        'Only admins can change who may give kudos; ask an admin if this needs doing.',
      );
    }
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

  describe(`in an organization of more than ${PICK_LIST_MOST} people`, () => {
    /** Enough people that the form no longer lists everyone, two of them of one name. */
    async function crowd(f: AdminFixture) {
      await sql`
        insert into members (organization_id, display_name, email)
        select ${f.organizationId}, 'Person ' || n, 'person-' || n || '@big.example'
        from generate_series(1, ${PICK_LIST_MOST}) as n`.execute(f.db);
      await sql`
        insert into members (organization_id, display_name, email) values
          (${f.organizationId}, 'Sam Lee', 'sam.one@big.example'),
          (${f.organizationId}, 'Sam Lee', 'sam.two@big.example'),
          (${f.organizationId}, 'Gone Person', 'gone@big.example')`.execute(f.db);
      await sql`update members set status = 'deactivated', deactivated_at = now()
        where organization_id = ${f.organizationId} and email = 'gone@big.example'`.execute(f.db);
      const { rows } = await sql<{ email: string; id: number }>`
        select email, id from members
        where organization_id = ${f.organizationId} and email is not null`.execute(f.db);
      return (email: string) => {
        const row = rows.find((candidate) => candidate.email === email);
        if (!row) throw new Error(`no member ${email}`);
        return Number(row.id);
      };
    }

    it('lists only the people a rule names, and adds others typed by email or name', async () => {
      const { f, client } = await open();
      const byEmail = await crowd(f);
      const first = await client.get('/console/permissions');
      const give = sectionOf(first.html, 'give');
      expect(give).not.toContain('<select name="members"');
      expect(give).toContain('<textarea name="add_people"');
      expect(give).toContain('No one by name yet.');
      expect(first.html).not.toContain('Person 1');

      const added = await client.post('/console/permissions/give', {
        kind: 'only',
        add_people: 'Li, PERSON-7@big.example\nperson 12\nLi',
      });
      expect(noticeOf(await client.follow(added))).toBe(
        'Saved. Only Li, Person 7 and Person 12 may give kudos.',
      );
      const [p7, p12] = [byEmail('person-7@big.example'), byEmail('person-12@big.example')];
      expect((await readPermissionRules(f.db, f.organizationId)).give).toEqual({
        kind: 'only',
        members: [idOf(f, 'Li'), p7, p12],
      });
      expect((await f.audit()).at(-1)).toMatchObject({
        action: 'rule.set',
        outcome: 'done',
        via: 'console',
        actorMemberId: idOf(f, 'Ada'),
      });

      // Named people are listed, ticked; unticking one takes them off.
      const listed = sectionOf((await client.get('/console/permissions')).html, 'give');
      const ticked = [...listed.matchAll(/name="members" value="(\d+)" checked> ([^<]*)</g)].map(
        (match) => [Number(match[1]), match[2]],
      );
      expect(ticked).toEqual([
        [idOf(f, 'Li'), 'Li'],
        [p12, 'Person 12 (person-12@big.example)'],
        [p7, 'Person 7 (person-7@big.example)'],
      ]);
      expect(sectionOf((await client.get('/console/permissions')).html, 'receive')).toContain(
        'No one by name yet.',
      );
      await client.post('/console/permissions/give', {
        kind: 'only',
        members: [String(idOf(f, 'Li')), String(p12)],
        add_people: '',
      });
      expect((await readPermissionRules(f.db, f.organizationId)).give).toEqual({
        kind: 'only',
        members: [idOf(f, 'Li'), p12],
      });
    });

    it('refuses people typed who are nobody, several people, a leaver, a bot or elsewhere, changing nothing', async () => {
      const { f, client } = await open();
      await crowd(f);
      const stranger = await orgs.organization();
      await sql`update members set email = 'li@elsewhere.example' where id = ${idOf(stranger, 'Li')}`.execute(
        stranger.db,
      );
      await client.get('/console/permissions');
      const before = await f.snapshot();
      const audit = await f.audit();
      const bad: Array<[string, string]> = [
        ['Sam Lee', '2 people are called “Sam Lee”; name them by email.'],
        ['nobody@big.example', 'Nobody active here has the email “nobody@big.example”.'],
        ['Zed', 'Nobody active here is called “Zed”; try their email.'],
        ['gone@big.example', 'Nobody active here has the email “gone@big.example”.'],
        ['Robot', 'Nobody active here is called “Robot”; try their email.'],
        ['li@elsewhere.example', 'Nobody active here has the email “li@elsewhere.example”.'],
        [
          'Zed, sam lee, person-3@big.example',
          'Nobody active here is called “Zed”; try their email. 2 people are called “sam lee”; name them by email.',
        ],
        // A notice is a line: three problems, then how many more.
        [
          'a@x.example, b@x.example, c@x.example, d@x.example, e@x.example',
          'Nobody active here has the email “a@x.example”. Nobody active here has the email “b@x.example”. Nobody active here has the email “c@x.example”. 2 more entries name no one or several people.',
        ],
        [
          'a@x.example, b@x.example, c@x.example, Zed',
          'Nobody active here has the email “a@x.example”. Nobody active here has the email “b@x.example”. Nobody active here has the email “c@x.example”. 1 more entry names no one or several people.',
        ],
      ];
      for (const [typed, sentence] of bad) {
        const sent = await client.post('/console/permissions/give', {
          kind: 'everyone_except',
          add_people: typed,
        });
        expect(noticeOf(await client.follow(sent)), typed).toBe(`${sentence} Nothing changed.`);
      }
      expect(await f.snapshot()).toEqual(before);
      expect(await f.audit()).toEqual(audit);
      // By email, each of the two is one person.
      await client.post('/console/permissions/give', {
        kind: 'everyone_except',
        add_people: 'sam.two@big.example',
      });
      expect((await readPermissionRules(f.db, f.organizationId)).give).toMatchObject({
        kind: 'everyone_except',
        members: [expect.any(Number)],
      });
    });
  });
});
