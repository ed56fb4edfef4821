import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { addDays, localDate } from '../../../src/console/insights/insight-range.ts';
import { addGroupMembers, createGroup } from '../../../src/directory/groups.ts';
import type { AdminFixture } from '../../support/admin-fixture.ts';
import { consoleOrganizations } from '../../support/console-organizations.ts';

const HOSTILE = '<img src=x onerror=alert(1)>';

/** The page's alert, as text. */
const alertOf = (html: string) =>
  /<p class="notice refused" role="alert">([^<]*)<\/p>/.exec(html)?.[1];

/** The form's field values, by name. */
const formValues = (html: string) =>
  Object.fromEntries(
    [...html.matchAll(/<input type="(?:date|number)" name="(\w+)" value="([^"]*)"/g)].map((m) => [
      m[1],
      m[2],
    ]),
  );

describe('console insights page', () => {
  const { open } = consoleOrganizations(
    {
      Ada: { roles: ['member', 'admin'] },
      Hal: { roles: ['member', 'hr'] },
      Li: {},
      Bo: {},
    },
    { signInAs: 'Hal' },
  );

  async function give(f: AdminFixture, as: string, text: string, when: string) {
    const reply = await f.command(as, text);
    expect(reply.outcome, reply.text).toBe('ok');
    const id = reply.events[0]?.recognitionId as number;
    await sql`update recognitions set created_at = ${new Date(when)} where id = ${id}`.execute(
      f.db,
    );
    await sql`update recognition_recipients set created_at = ${new Date(when)}
      where recognition_id = ${id}`.execute(f.db);
  }

  it('shows each insight for the range asked, with charts and their numbers', async () => {
    const { f, client } = await open();
    const group = await createGroup(f.db, f.organizationId, HOSTILE);
    if (!group.ok) throw new Error(group.message);
    await addGroupMembers(f.db, group.value, [f.members.Li?.id as number]);
    await give(f, 'Ada', '@Li 5 for the launch', '2024-03-04T12:00:00Z');
    await give(f, 'Bo', '@Li @Ada 2 for the party', '2024-03-05T12:00:00Z');
    await give(f, 'Li', '@Bo 1 for the map', '2024-04-01T12:00:00Z'); // after the range
    const twentyDaysAgo = new Date(Date.now() - 20 * 86_400_000).toISOString();
    await give(f, 'Ada', '@Bo 1 for the fix', twentyDaysAgo);

    const page = await client.get('/console/insights?from=2024-03-01&to=2024-03-10&quiet=14');
    expect(page.status).toBe(200);
    expect(page.html).toContain('<h1>Insights</h1>');
    expect(page.html).toContain('aria-current="page">Insights</a>');
    expect(formValues(page.html)).toEqual({ from: '2024-03-01', to: '2024-03-10', quiet: '14' });
    expect(page.html).toContain(
      '<p>2 recognitions giving 9 points, 1 Mar 2024 to 10 Mar 2024 (days in Europe/Lisbon time).',
    );
    for (const heading of [
      'Recognitions over time',
      'By company value',
      'By group',
      'Top receivers',
      'Top givers',
      'Not recognised in 14 days',
      'Pairs who mostly recognise each other',
      'Between groups',
    ]) {
      expect(page.html).toContain(`<h2>${heading}</h2>`);
    }
    // Over time, by group, receivers, givers, between groups; no value was named.
    expect(page.html.match(/<svg [^>]*role="img"/g)).toHaveLength(5);
    expect(page.html).toContain('No recognition named a company value in this range.');
    expect(page.html).toContain(
      '<th scope="row">4 Mar 2024</th><td class="number">1</td><td class="number">5</td>',
    );
    expect(page.html).toContain(
      '<th scope="row">Li</th><td class="number">7</td><td class="number">2</td>',
    );
    expect(page.html).not.toContain(HOSTILE);
    expect(page.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    // Quiet for 14 days or more: Ada and Li since 5 March 2024, Bo for 20 days. Hal has had
    // no kudos, but joined just now.
    const quiet = [...page.html.matchAll(/<a href="\/console\/people\/\d+">(\w+)<\/a>/g)];
    expect(quiet.map((match) => match[1])).toEqual(['Ada', 'Li', 'Bo']);
  });

  it('defaults to the 90 days to today and 30 quiet days', async () => {
    const { f, client } = await open('Ada');
    const page = await client.get('/console/insights');
    expect(page.status).toBe(200);
    const { now, settings } = await f.services.settings.load(f.organizationId);
    const today = localDate(now, settings.timezone);
    expect(formValues(page.html)).toEqual({ from: addDays(today, -89), to: today, quiet: '30' });
    expect(page.html).toContain('<h2>Not recognised in 30 days</h2>');
  });

  it('says what is wrong with a bad range or quiet days, changing nothing', async () => {
    const { client } = await open();
    const cases: Array<[string, string]> = [
      ['from=2024-02-30', '“From” must be a date written like 2025-01-31.'],
      ['to=yesterday', '“To” must be a date written like 2025-01-31.'],
      ['from=2024-03-10&to=2024-03-01', '“From” must be on or before “To”.'],
      ['from=2020-01-01&to=2024-01-01', 'Pick a range of at most 731 days.'],
      ['quiet=0', '“Quiet for” must be a whole number of days from 1 to 365.'],
      ['quiet=2.5', '“Quiet for” must be a whole number of days from 1 to 365.'],
      ['from=2024-01-01&from=2024-02-01', '“From” must be a date written like 2025-01-31.'],
    ];
    for (const [query, message] of cases) {
      const page = await client.get(`/console/insights?${query}`);
      expect([query, page.status, alertOf(page.html)]).toEqual([query, 400, message]);
      expect(page.html).not.toContain('<svg');
    }
    const typed = await client.get(`/console/insights?from=${encodeURIComponent(HOSTILE)}`);
    expect(typed.status).toBe(400);
    expect(formValues(typed.html).from).toBe('&lt;img src=x onerror=alert(1)&gt;');
  });
});
