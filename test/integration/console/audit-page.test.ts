import { describe, expect, it } from 'vitest';
import { AUDIT_CSV_HEADER, auditCsv, readAudit, writeAudit } from '../../../src/admin/audit-log.ts';
import type { AdminFixture } from '../../support/admin-fixture.ts';
import { ConsoleClient, type ConsolePage } from '../../support/console-client.ts';
import { consoleOrganizations } from '../../support/console-organizations.ts';
import { parseCsv } from '../../support/csv.ts';

const text = (fragment: string) =>
  fragment
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();

/** Each listed entry's cells (who, action, target, outcome), newest first. */
function entries(page: ConsolePage): string[][] {
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(page.html)?.[1] ?? '';
  return body
    .split('<tr>')
    .slice(1)
    .map((row) =>
      [...row.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].slice(1, 5).map((m) => text(m[1] as string)),
    );
}

/** Where the “Older entries” link points, if there is one. */
function olderLink(page: ConsolePage): string | undefined {
  const href = /<a href="([^"]+)" rel="next">Older entries<\/a>/.exec(page.html)?.[1];
  return href?.replaceAll('&amp;', '&');
}

describe('console audit log page', () => {
  const { open } = consoleOrganizations(
    {
      Ada: { roles: ['member', 'admin'] },
      Hal: { roles: ['member', 'hr'] },
      Li: {},
    },
    { signInAs: 'Ada' },
  );
  /** `count` entries by Ada in the console, `role.grant` on member:1, member:2 … in order. */
  const grants = async (f: AdminFixture, count: number, outcome: 'done' | 'refused' = 'done') => {
    const actor = { ...(await f.actor('Ada')), via: 'console' as const };
    for (let i = 1; i <= count; i += 1) {
      await writeAudit(f.db, actor, {
        action: 'role.grant',
        target: `member:${i}`,
        outcome,
        ...(outcome === 'refused' && { refusalCode: 'last_admin' }),
        after: { role: 'hr', n: i },
      });
    }
  };

  it('lists what admins and HR did and were refused, newest first, with who, how and what', async () => {
    const { f, client } = await open();
    expect((await f.command('Hal', 'hr reward add name="Mug" cost=10 price=1')).outcome).toBe('ok');
    expect((await f.command('Li', 'hr fulfil 12')).outcome).not.toBe('ok');
    const { id: mug } = await f.db
      .selectFrom('reward_items')
      .select('id')
      .where('organization_id', '=', f.organizationId)
      .executeTakeFirstOrThrow();

    const page = await client.get('/console/audit');
    expect(page.status).toBe(200);
    expect(page.html).toContain('<h1>Audit log</h1>');
    expect(entries(page)).toEqual([
      ['Li via local', 'redemption.fulfil', 'redemption:12', 'Refused (not_hr)'],
      ['Hal via local', 'reward.create', `reward:${mug}`, 'Done'],
      // Signing in is audited too.
      ['Ada via console', 'console.sign_in', 'the organization', 'Done'],
    ]);
    expect(page.html).toMatch(
      /<td><time datetime="\d{4}-\d\d-\d\dT[^"]+Z">\d+ \w+ \d{4}, \d\d:\d\d:\d\d<\/time><\/td>/,
    );
    expect(page.html).toContain(
      '<p>Wanted</p><pre class="json">{\n  &quot;command&quot;: &quot;hr fulfil 12&quot;\n}</pre>',
    );
    expect(page.html).toContain('&quot;name&quot;: &quot;Mug&quot;');
    expect(page.html).toContain(
      'href="/console/audit.csv" download>Download the whole log as CSV</a>',
    );
    expect(olderLink(page)).toBeUndefined();
    // The filter lists the actions the log holds.
    expect(page.html).toContain('<option value="redemption.fulfil">redemption.fulfil</option>');
    expect(page.html).toContain('<option value="reward.create">reward.create</option>');
  });

  it('filters by action and outcome, and keeps the filters in its links', async () => {
    const { f, client } = await open();
    await grants(f, 2);
    await grants(f, 1, 'refused');
    await f.command('Li', 'hr fulfil 12');
    const grantsOnly = await client.get('/console/audit?action=role.grant');
    expect(entries(grantsOnly).map((row) => `${row[2]} ${row[3]}`)).toEqual([
      'member:1 Refused (last_admin)',
      'member:2 Done',
      'member:1 Done',
    ]);
    expect(grantsOnly.html).toContain('<option value="role.grant" selected>role.grant</option>');
    expect(grantsOnly.html).toContain(
      'href="/console/audit.csv?action=role.grant" download>Download these entries as CSV</a>',
    );
    const refused = await client.get('/console/audit?outcome=refused');
    expect(entries(refused).map((row) => row[1])).toEqual(['redemption.fulfil', 'role.grant']);
    expect(refused.html).toContain('<option value="refused" selected>Refused</option>');
    const both = await client.get('/console/audit?action=role.grant&outcome=refused');
    expect(entries(both)).toEqual([
      ['Ada via console', 'role.grant', 'member:1', 'Refused (last_admin)'],
    ]);
    const none = await client.get('/console/audit?action=settings.change');
    expect(entries(none)).toEqual([]);
    expect(none.html).toContain('<p>No entry matches these filters.</p>');
    // An action the log does not hold stays chosen.
    expect(none.html).toContain(
      '<option value="settings.change" selected>settings.change</option>',
    );
  });

  it('pages through the log with an “older” link, filters kept', async () => {
    const { f, client } = await open();
    await grants(f, 60);
    await f.command('Li', 'hr fulfil 12');
    const first = await client.get('/console/audit?action=role.grant');
    const targets = (page: ConsolePage) => entries(page).map((row) => row[2]);
    expect(targets(first)).toEqual(Array.from({ length: 50 }, (_, i) => `member:${60 - i}`));
    const older = olderLink(first);
    expect(older).toMatch(/^\/console\/audit\?action=role\.grant&before=\d+$/);
    const second = await client.get(older as string);
    expect(targets(second)).toEqual(Array.from({ length: 10 }, (_, i) => `member:${10 - i}`));
    expect(olderLink(second)).toBeUndefined();
    // The download is of the filtered log, not of a page of it.
    expect(second.html).toContain('href="/console/audit.csv?action=role.grant" download>');
  });

  it('downloads the filtered log as CSV: every matching entry, newest first', async () => {
    const { f, client } = await open();
    await grants(f, 60);
    await grants(f, 2, 'refused');
    await f.command('Li', 'hr fulfil 12');
    const csv = await client.get('/console/audit.csv?action=role.grant&outcome=done');
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toBe(
      'attachment; filename="plaudit-audit-log.csv"',
    );
    const [header, ...rows] = parseCsv(csv.html);
    expect(header).toEqual([...AUDIT_CSV_HEADER]);
    expect(rows).toHaveLength(60);
    expect(rows.map((row) => row[7])).toEqual(
      Array.from({ length: 60 }, (_, i) => `member:${60 - i}`),
    );
    expect(rows[0]?.slice(2, 11)).toEqual([
      'Ada',
      String(f.members.Ada?.id),
      '',
      'console',
      'role.grant',
      'member:60',
      'done',
      '',
      '',
    ]);
    expect(JSON.parse(rows[0]?.[11] as string)).toEqual({ role: 'hr', n: 60 });
    const { entries: all } = await readAudit(f.db, f.organizationId, {
      action: 'role.grant',
      outcome: 'done',
      limit: 100,
    });
    expect(csv.html).toBe(auditCsv(all));

    const whole = parseCsv((await client.get('/console/audit.csv')).html);
    // 60 + 2 grants, the refused fulfil, and the sign-in.
    expect(whole).toHaveLength(1 + 64);
    expect(whole[1]?.[6]).toBe('redemption.fulfil');
    // Only for a signed-in session.
    const stranger = await new ConsoleClient(client.url).get('/console/audit.csv');
    expect(stranger.status).toBe(303);
    expect(stranger.location).toBe('/console/sign-in');
  });

  it('downloads all of a long log, past the chunks it is read in', async () => {
    const { f, client } = await open();
    const ada = f.members.Ada?.id as number;
    await f.db
      .insertInto('audit_log')
      .values(
        Array.from({ length: 2345 }, (_, i) => ({
          organization_id: f.organizationId,
          actor_member_id: ada,
          actor_token_id: null,
          via: 'console' as const,
          action: i % 2 === 0 ? 'role.grant' : 'role.revoke',
          target: `member:${i}`,
          outcome: 'done' as const,
        })),
      )
      .execute();
    const rows = parseCsv((await client.get('/console/audit.csv?action=role.grant')).html).slice(1);
    expect(rows).toHaveLength(1173);
    expect(rows.map((row) => row[7])).toEqual(
      Array.from({ length: 1173 }, (_, i) => `member:${2344 - 2 * i}`),
    );
  });

  it('answers filters it cannot read with a sentence', async () => {
    const { f, client } = await open();
    await grants(f, 1);
    const cases: Array<[string, string]> = [
      ['outcome=maybe', 'There is no outcome “maybe”; choose done or refused.'],
      ['before=abc', '“abc” is not a place in the log; follow the “Older entries” link instead.'],
      [`action=${'a'.repeat(101)}`, 'An action is at most 100 characters, like role.grant.'],
      ['outcome=%3Cscript%3E', 'There is no outcome “&lt;script&gt;”; choose done or refused.'],
    ];
    for (const [query, sentence] of cases) {
      const page = await client.get(`/console/audit?${query}`);
      expect(page.status, query).toBe(400);
      expect(page.html).toContain(`<p class="notice refused" role="alert">${sentence}</p>`);
      expect(entries(page)).toEqual([]);
      const csv = await client.get(`/console/audit.csv?${query}`);
      expect(csv.status, query).toBe(400);
      expect(csv.headers.get('content-type')).toMatch(/^text\/html/);
      expect(csv.html).toContain(sentence);
    }
  });

  it('is for admins only: HR without the admin role sees neither the log nor its CSV', async () => {
    const { f, client } = await open('Hal');
    await grants(f, 1);
    for (const path of ['/console/audit', '/console/audit.csv']) {
      const page = await client.get(path);
      expect(page.status, path).toBe(403);
      expect(page.html).toContain('Only admins can open this page; ask an admin if you need it.');
      expect(page.html).not.toContain('role.grant');
    }
  });

  it('escapes names, targets and values people typed', async () => {
    const { f, client } = await open();
    await f.db
      .updateTable('members')
      .set({ display_name: '<script>alert(1)</script>' })
      .where('id', '=', f.members.Hal?.id as number)
      .execute();
    await writeAudit(f.db, await f.actor('Hal'), {
      action: 'reward.create',
      target: '<img src=x onerror=alert(2)>',
      outcome: 'done',
      after: { name: '</pre><script>alert(3)</script>' },
    });
    const page = await client.get('/console/audit');
    expect(page.html).toContain('<td>&lt;script&gt;alert(1)&lt;/script&gt;<br>');
    expect(page.html).toContain('<td>&lt;img src=x onerror=alert(2)&gt;</td>');
    expect(page.html).toContain('&lt;/pre&gt;&lt;script&gt;alert(3)&lt;/script&gt;');
    expect(page.html).not.toContain('<script>alert');
    expect(page.html).not.toContain('<img src=x');
  });
});
