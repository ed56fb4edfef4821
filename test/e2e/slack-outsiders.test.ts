import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningPlaudit } from '../../src/app.ts';
import { FakeSlackApi, type FakeSlackUser } from '../support/fake-slack-api.ts';
import { organizationSnapshot } from '../support/organization-snapshot.ts';
import { SIGNING_SECRET, startSlackPlaudit } from '../support/slack-plaudit.ts';
import { postSlackEvent, postSlashCommand, slashCommandText } from '../support/slack-requests.ts';

/**
 * People who are not of the organization, as Slack's `users.info` tells them apart: a user
 * whose home workspace (`team_id`) is not connected to it, and a Slack Connect stranger.
 * They give nothing, receive nothing, become no member, and an email they share with a
 * member (the admin's, say) joins them to no one.
 */
describe('Slack users from outside the organization', () => {
  const teamId = `T${randomUUID().slice(0, 8).toUpperCase()}`;
  const otherTeam = `T${randomUUID().slice(0, 8).toUpperCase()}`;
  const fake = new FakeSlackApi({ id: teamId, name: 'Acme', botUserId: 'UBOT' });
  let plaudit: RunningPlaudit;
  let triggers = 0;

  const person = (id: string, name: string, email: string, extra: Partial<FakeSlackUser> = {}) =>
    fake.users.set(id, { id, name, profile: { display_name: name, email }, ...extra });
  const say = async (userId: string, text: string) => {
    const response = await postSlashCommand(plaudit.url, SIGNING_SECRET, {
      team_id: teamId,
      user_id: userId,
      channel_id: 'C1',
      text,
      trigger_id: `trigger-${++triggers}`,
      response_url: `${fake.url}/respond/${triggers}`,
    });
    expect(response.status).toBe(200);
    await plaudit.settled();
    return slashCommandText(response, fake);
  };
  const snapshot = () =>
    organizationSnapshot(plaudit.db, plaudit.slack?.workspace?.organizationId as number);

  beforeAll(async () => {
    await fake.start();
    // The admin's email is this test's own: the setting reaches every organization of the
    // shared test database.
    const adaEmail = `ada.${teamId.toLowerCase()}@acme.example`;
    person('UADA', 'Ada', adaEmail);
    person('UBEN', 'Ben', 'ben@acme.example');
    // Another company's Slack, in a shared channel, with the admin's email typed in.
    person('UMALLORY', 'Mallory', adaEmail, { team_id: otherTeam });
    person('UOLGA', 'Olga', 'olga@elsewhere.example', { team_id: otherTeam });
    person('USTRANGER', 'Stan', 'stan@elsewhere.example', { is_stranger: true });
    plaudit = await startSlackPlaudit(fake, { PLAUDIT_INITIAL_ADMINS: adaEmail });
    // Ada is named the admin; Ben is a member.
    expect(await say('UADA', '<@UBEN|ben> 1 for being first')).toMatch(/^You gave 1 point to Ben/);
  });
  afterAll(async () => {
    await plaudit?.close();
    await fake.stop();
  });

  it('refuses a command from a user of another workspace, and creates nothing', async () => {
    const before = await snapshot();
    expect(await say('UOLGA', '<@UBEN|ben> 5 for the launch')).toBe(
      'Plaudit only takes kudos from people of Acme; your account is from outside it (another workspace or organization), so I did nothing.',
    );
    expect(await snapshot()).toEqual(before);
  });

  it('refuses a command from a Slack Connect stranger, and creates nothing', async () => {
    const before = await snapshot();
    expect(await say('USTRANGER', 'balance')).toMatch(
      /^Plaudit only takes kudos from people of Acme;/,
    );
    expect(await snapshot()).toEqual(before);
  });

  it('refuses kudos to someone from outside, naming them, and credits nobody', async () => {
    const before = await snapshot();
    expect(await say('UADA', '<@UOLGA|olga> 5 for the demo')).toBe(
      'Olga is from outside this organization (another workspace or company), so Plaudit cannot count them here; nothing changed.',
    );
    expect(await say('UADA', '<@UBEN|ben> <@USTRANGER|stan> 5 for the demo')).toBe(
      'Stan is from outside this organization (another workspace or company), so Plaudit cannot count them here; nothing changed.',
    );
    expect(await snapshot()).toEqual(before);
  });

  it('never lets an outsider with the admin’s email act as the admin', async () => {
    const before = await snapshot();
    expect(await say('UMALLORY', 'admin roles <@UBEN|ben> +admin')).toBe(
      'Plaudit only takes kudos from people of Acme; your account is from outside it (another workspace or organization), so I did nothing.',
    );
    // No role changed, no identity linked to Ada, nothing audited as her (or anyone).
    expect(await snapshot()).toEqual(before);
    const mallory = await plaudit.db
      .selectFrom('platform_identities')
      .select('member_id')
      .where('user_id', '=', 'UMALLORY')
      .execute();
    expect(mallory).toEqual([]);
    // Named in a command, the outsider is refused too, and still joins no one.
    expect(await say('UADA', 'admin roles <@UMALLORY|mallory> +hr')).toBe(
      'Mallory is from outside this organization (another workspace or company), so Plaudit cannot count them here; nothing changed.',
    );
    expect(await snapshot()).toEqual(before);
  });

  it('shows no Home tab to someone from outside, and creates nothing', async () => {
    const before = await snapshot();
    const published = fake.callsTo('views.publish').length;
    const response = await postSlackEvent(plaudit.url, SIGNING_SECRET, {
      team_id: teamId,
      api_app_id: 'A1',
      type: 'event_callback',
      event_id: `Ev-home-olga-${++triggers}`,
      event_time: Math.floor(Date.now() / 1000),
      event: { type: 'app_home_opened', user: 'UOLGA', channel: 'DUOLGA', tab: 'home' },
    });
    expect(response.status).toBe(200);
    await plaudit.settled();
    expect(fake.callsTo('views.publish')).toHaveLength(published);
    expect(await snapshot()).toEqual(before);
  });
});
