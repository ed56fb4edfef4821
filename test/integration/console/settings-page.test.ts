import { describe, expect, it } from 'vitest';
import { readProgramSettings } from '../../../src/admin/program-settings.ts';
import { SETTING_FIELDS, settingsFormValues } from '../../../src/admin/settings-form.ts';
import type { AdminFixture } from '../../support/admin-fixture.ts';
import { consoleOrganizations } from '../../support/console-organizations.ts';

type Fields = Record<string, string[]>;

const unescapeHtml = (text: string) =>
  text
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&amp;', '&');

function attributesOf(tag: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const match of tag.matchAll(/\s([a-z][\w-]*)(?:="([^"]*)")?/g)) {
    attributes[match[1] as string] = unescapeHtml(match[2] ?? '');
  }
  return attributes;
}

/** What a browser would send from the settings form as it is drawn. */
function formOf(page: string): Fields {
  const form = /<form method="post" action="\/console\/settings"[\s\S]*?<\/form>/.exec(page)?.[0];
  if (!form) throw new Error('no settings form on the page');
  const fields: Fields = {};
  const add = (name: string | undefined, value: string) => {
    if (name !== undefined) fields[name] = [...(fields[name] ?? []), value];
  };
  for (const [tag] of form.matchAll(/<input\b[^>]*>/g)) {
    const input = attributesOf(tag);
    if (input.type === 'checkbox' && !('checked' in input)) continue;
    add(input.name, input.value ?? '');
  }
  for (const [, attributes, options] of form.matchAll(/<select\b([^>]*)>([\s\S]*?)<\/select>/g)) {
    const selected = /<option value="([^"]*)" selected>/.exec(options ?? '');
    add(attributesOf(attributes ?? '').name, unescapeHtml(selected?.[1] ?? ''));
  }
  return fields;
}

/** The form with these fields typed over (a switch ticked with 'yes', unticked with 'no'). */
const typed = (form: Fields, changes: Record<string, string>): Fields => {
  const fields = { ...form };
  for (const [key, value] of Object.entries(changes)) {
    const field = SETTING_FIELDS.find((candidate) => candidate.key === key);
    fields[key] = field?.kind === 'toggle' ? (value === 'yes' ? ['no', 'yes'] : ['no']) : [value];
  }
  return fields;
};

describe('console settings page: every program setting, saved as chat saves it', () => {
  const { open } = consoleOrganizations(
    {
      Ada: { roles: ['member', 'admin'] },
      Hal: { roles: ['member', 'hr'] },
      Li: {},
    },
    { signInAs: 'Ada' },
  );
  const idOf = (f: AdminFixture, name: string) => {
    const member = f.members[name];
    if (!member) throw new Error(`no member ${name}`);
    return member.id;
  };
  const settingsOf = (f: AdminFixture) => readProgramSettings(f.db, f.organizationId);

  it('shows every setting of the chat form, labelled, with its value now', async () => {
    const { f, client } = await open();
    expect((await f.command('Ada', 'admin settings role-allowance=hr:200')).outcome).toBe('ok');
    const page = await client.get('/console/settings');
    expect(page.status).toBe(200);
    const values = settingsFormValues(await settingsOf(f));
    const form = formOf(page.html);
    for (const field of SETTING_FIELDS) {
      const id = `setting-${field.key}`;
      if (field.kind === 'toggle') {
        expect(page.html, field.key).toContain(`<legend>${field.title}</legend>`);
        expect(page.html, field.key).toMatch(
          new RegExp(
            `<label class="choice"><input type="checkbox" id="${id}"[^>]*> ${field.label}</label>`,
          ),
        );
        expect(form[field.key], field.key).toEqual(
          values[field.key] === 'yes' ? ['no', 'yes'] : ['no'],
        );
      } else {
        expect(page.html, field.key).toContain(`<label for="${id}">${field.label}</label>`);
        expect(form[field.key], field.key).toEqual([values[field.key]]);
      }
    }
    expect(form.allowance).toEqual(['100']);
    expect(form.timezone).toEqual(['Europe/Lisbon']);
    expect(form.currency).toEqual(['EUR']);
    expect(form.cadence).toEqual(['monthly']);
    expect(page.html).toContain('<dt>By role</dt><dd>HR: 200 points</dd>');
    expect(page.html).toContain('<dt>By person</dt><dd>none</dd>');
  });

  it('saves the changed fields through the settings service, audited as a console action', async () => {
    const { f, client } = await open();
    const form = formOf((await client.get('/console/settings')).html);
    const saved = await client.post(
      '/console/settings',
      typed(form, {
        allowance: '150',
        timezone: 'America/New_York',
        values: 'Teamwork, ownership',
        guests: 'yes',
        budget: '500',
        'hold-days': '3',
        channel: 'C0123ABC',
      }),
    );
    expect(saved.status).toBe(303);
    expect(saved.location).toBe('/console/settings');
    const page = await client.follow(saved);
    expect(page.html).toContain(
      '<p class="notice done" role="status">Saved: Allowance per period, Time zone, Company values, Guests, Announcement channel, Monthly redemption budget and Days a redemption may wait for HR. The change holds from now on.</p>',
    );
    const settings = await settingsOf(f);
    expect(settings).toMatchObject({
      allowance: { amount: 150, cadence: 'monthly' },
      timezone: 'America/New_York',
      values: ['ownership', 'teamwork'],
      guestsMayParticipate: true,
      monthlyBudgetMinor: 50_000,
      holdHours: 72,
      announcementChannel: 'C0123ABC',
      maxAmount: 100,
    });
    const entry = (await f.audit()).at(-1);
    expect(entry).toMatchObject({
      action: 'settings.change',
      outcome: 'done',
      via: 'console',
      actorMemberId: idOf(f, 'Ada'),
      after: { allowance: { amount: 150 }, timezone: 'America/New_York' },
    });
    expect(Object.keys(entry?.after as object).sort()).toEqual([
      'allowance',
      'announcementChannel',
      'guestsMayParticipate',
      'holdHours',
      'monthlyBudgetMinor',
      'timezone',
      'values',
    ]);
    // The page now shows what was saved.
    const after = formOf(page.html);
    expect(after.allowance).toEqual(['150']);
    expect(after.values).toEqual(['ownership, teamwork']);
    expect(after.budget).toEqual(['500.00']);
    expect(after.guests).toEqual(['no', 'yes']);

    // Unticking a switch and emptying a field that may be empty turn them off.
    const off = await client.post('/console/settings', typed(after, { guests: 'no', channel: '' }));
    expect((await client.follow(off)).html).toContain('Saved: Guests and Announcement channel.');
    expect(await settingsOf(f)).toMatchObject({
      guestsMayParticipate: false,
      announcementChannel: null,
    });

    // The form sent as it was drawn changes nothing, and says so.
    const same = await client.post(
      '/console/settings',
      formOf((await client.get('/console/settings')).html),
    );
    expect((await client.follow(same)).html).toContain(
      'Nothing changed: the settings are as they were.',
    );
  });

  it("sends only what was changed, so a form opened before someone else's change keeps it", async () => {
    const { f, client } = await open();
    const stale = formOf((await client.get('/console/settings')).html);
    expect((await f.command('Ada', 'admin settings max=80 currency=USD')).outcome).toBe('ok');
    const saved = await client.post('/console/settings', typed(stale, { allowance: '90' }));
    expect((await client.follow(saved)).html).toContain('Saved: Allowance per period.');
    expect(await settingsOf(f)).toMatchObject({
      allowance: { amount: 90 },
      maxAmount: 80,
      currency: 'USD',
    });
    expect((await f.audit()).at(-1)?.after).toEqual({
      allowance: { amount: 90, cadence: 'monthly', rolloverCap: 0, prorateNewMembers: false },
    });
  });

  it('names each bad value beside its field and at the top, and saves nothing', async () => {
    const { f, client } = await open();
    const form = formOf((await client.get('/console/settings')).html);
    const before = await f.snapshot();
    const audit = await f.audit();
    const refused = await client.post(
      '/console/settings',
      typed(form, {
        max: 'lots',
        timezone: '<script>alert(1)</script>',
        allowance: '120',
      }),
    );
    expect(refused.status).toBe(422);
    const page = refused.html;
    expect(page).toContain('<div class="error-summary" role="alert">');
    expect(page).toContain('<h2>Nothing was saved</h2>');
    const timezoneError =
      '“&lt;script&gt;alert(1)&lt;/script&gt;” is not a time zone I know; use a name like Europe/Lisbon or America/New_York.';
    expect(page).toContain(`<li><a href="#setting-timezone">Time zone</a>: ${timezoneError}</li>`);
    expect(page).toMatch(
      /<li><a href="#setting-max">Most points per kudos<\/a>: [^<]*lots[^<]*<\/li>/,
    );
    // Each sentence sits in its field, which keeps what was typed.
    expect(page).toContain(
      `<input type="text" id="setting-timezone" name="timezone" value="&lt;script&gt;alert(1)&lt;/script&gt;" aria-describedby="setting-timezone-hint setting-timezone-error" aria-invalid="true">`,
    );
    expect(page).toContain(
      `<p id="setting-timezone-error" class="field-error">${timezoneError}</p>`,
    );
    expect(page).toMatch(
      /<input type="text" id="setting-max" name="max" value="lots" inputmode="numeric" aria-describedby="setting-max-error" aria-invalid="true"><p id="setting-max-error" class="field-error">[^<]*lots[^<]*<\/p>/,
    );
    expect(page).not.toContain('id="setting-allowance-error"');
    expect(formOf(page).allowance).toEqual(['120']);
    expect(page).not.toContain('<script>');
    expect(await f.snapshot()).toEqual(before);
    expect(await f.audit()).toEqual(audit);

    // Values fine alone but not together: the service's sentence, placed by the form's rules.
    const together = await client.post('/console/settings', typed(form, { min: '50', max: '20' }));
    expect(together.status).toBe(422);
    expect(together.html).toContain('id="setting-min-error"');
    expect(together.html).toContain('<div class="error-summary" role="alert">');
    expect(await f.snapshot()).toEqual(before);

    // Sent again as corrected (the form remembers what it first showed), it saves.
    const corrected = await client.post(
      '/console/settings',
      typed(formOf(page), { max: '60', timezone: 'Europe/Paris' }),
    );
    expect(corrected.status).toBe(303);
    expect(await settingsOf(f)).toMatchObject({
      maxAmount: 60,
      timezone: 'Europe/Paris',
      allowance: { amount: 120 },
    });
  });

  it('is for admins: HR gets a 403 page, and posted settings are refused and audited', async () => {
    const { f, client } = await open('Hal');
    const page = await client.get('/console/settings');
    expect(page.status).toBe(403);
    expect(page.html).toContain('Only admins can open this page; ask an admin if you need it.');
    const before = await f.snapshot();
    for (const fields of [{ allowance: '999' }, { allowance: 'lots' }]) {
      const sent = await client.post('/console/settings', {
        ...fields,
        _shown: JSON.stringify({ allowance: '100' }),
      });
      expect(sent.status).toBe(303);
      expect((await client.follow(sent)).html).toContain(
        `<p class="notice refused" role="alert">Only admins can change the program&#39;s settings; ask an admin if this needs doing.</p>`,
      );
    }
    expect(await f.snapshot()).toEqual(before);
    expect((await f.audit()).slice(-2)).toMatchObject([
      {
        action: 'settings.change',
        outcome: 'refused',
        via: 'console',
        actorMemberId: idOf(f, 'Hal'),
      },
      {
        action: 'settings.change',
        outcome: 'refused',
        via: 'console',
        actorMemberId: idOf(f, 'Hal'),
      },
    ]);
  });
});
