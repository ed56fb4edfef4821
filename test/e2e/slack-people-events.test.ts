import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningPlaudit } from '../../src/app.ts';
import { FakeSlackApi, type FakeSlackUser } from '../support/fake-slack-api.ts';
import { SIGNING_SECRET, startSlackPlaudit } from '../support/slack-plaudit.ts';
import { postSlackEvent, postSlashCommand, slashCommandText } from '../support/slack-requests.ts';
import { until } from '../support/until.ts';

describe('Slack people kept current by user_change and team_join', () => {
  const teamId = `T${randomUUID().slice(0, 8).toUpperCase()}`;
  const fake = new FakeSlackApi({ id: teamId, name: 'Acme', botUserId: 'UBOT' });
  const emailOf = (id: string) => `${id.toLowerCase()}@${teamId.toLowerCase()}.example`;
  let plaudit: RunningPlaudit;
  let deliveries = 0;

  const command = async (user: string, text: string) => {
    deliveries += 1;
    const response = await postSlashCommand(plaudit.url, SIGNING_SECRET, {
      team_id: teamId,
      user_id: user,
      channel_id: 'C1',
      text,
      trigger_id: `trigger-${deliveries}`,
      response_url: `${fake.url}/respond/${deliveries}`,
    });
    expect(response.status).toBe(200);
    return slashCommandText(response, fake);
  };
  /** Slack's record of a user changes, and Slack tells Plaudit: the delivery's event id. */
  const change = async (
    type: 'user_change' | 'team_join',
    user: FakeSlackUser,
    options: { eventId?: string; retry?: number } = {},
  ) => {
    deliveries += 1;
    const eventId = options.eventId ?? `Ev${deliveries}`;
    const response = await postSlackEvent(
      plaudit.url,
      SIGNING_SECRET,
      {
        token: 'deprecated',
        team_id: teamId,
        api_app_id: 'A1',
        type: 'event_callback',
        event_id: eventId,
        event_time: Math.floor(Date.now() / 1000),
        event: { type, user, event_ts: `${Date.now() / 1000}`, cache_ts: 1 },
      },
      options.retry
        ? { 'x-slack-retry-num': String(options.retry), 'x-slack-retry-reason': 'http_timeout' }
        : {},
    );
    expect(response.status).toBe(200);
    return eventId;
  };
  const record = (id: string, name: string, extra: Partial<FakeSlackUser> = {}): FakeSlackUser => ({
    id,
    name,
    team_id: teamId,
    profile: { display_name: name, email: emailOf(id) },
    ...extra,
  });
  /** Slack's record as Slack has it now (what users.info answers), and as an event tells it. */
  const slackHas = (user: FakeSlackUser) => {
    fake.users.set(user.id, user);
    return user;
  };

  /** The member a Slack user of this workspace is, as the members table holds them. */
  async function memberOf(userId: string) {
    const { rows } = await sql<{
      display_name: string;
      email: string | null;
      status: string;
      deactivated: boolean;
      roles: string[];
    }>`
      select m.display_name, m.email, m.status, m.deactivated_at is not null as deactivated,
        m.roles
      from platform_identities p join members m on m.id = p.member_id
      where p.platform = 'slack' and p.tenant_id = ${teamId} and p.user_id = ${userId}`.execute(
      plaudit.db,
    );
    return rows[0];
  }
  async function recognitions(): Promise<number> {
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from recognitions r
      join slack_workspaces w on w.organization_id = r.organization_id
      where w.team_id = ${teamId}`.execute(plaudit.db);
    return rows[0]?.n ?? 0;
  }
  async function membersNamed(email: string): Promise<number> {
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from members m
      join slack_workspaces w on w.organization_id = m.organization_id
      where w.team_id = ${teamId} and m.email = ${email}`.execute(plaudit.db);
    return rows[0]?.n ?? 0;
  }

  beforeAll(async () => {
    await fake.start();
    slackHas(record('UANA', 'Ana'));
    slackHas(record('ULI', 'Li'));
    plaudit = await startSlackPlaudit(fake, {
      // Ana is named admin; so is Nia, who joins the workspace later.
      PLAUDIT_INITIAL_ADMINS: `${emailOf('UANA')},${emailOf('UNIA')}`,
    });
    // Both are known to Plaudit: they have used it.
    await command('UANA', 'balance');
    await command('ULI', 'balance');
  });
  afterAll(async () => {
    await plaudit?.close();
    await fake.stop();
  });

  it('renames a known member and changes their email as soon as Slack says so', async () => {
    await change(
      'user_change',
      slackHas(
        record('ULI', 'Li Wei', { profile: { display_name: 'Li Wei', email: 'LI@new.example' } }),
      ),
    );
    await until(async () => (await memberOf('ULI'))?.display_name === 'Li Wei');
    expect(await memberOf('ULI')).toMatchObject({ email: 'li@new.example', status: 'active' });
    expect(await command('UANA', '<@ULI> 5 for the rename')).toMatch(/Li Wei/);
    expect(await command('ULI', 'leaderboard')).toMatch(/1\. Li Wei — 5 points/);
  });

  it("keeps a member's email when the new one is another member's, and still renames them", async () => {
    await change(
      'user_change',
      slackHas(
        record('ULI', 'Li W.', { profile: { display_name: 'Li W.', email: emailOf('UANA') } }),
      ),
    );
    await until(async () => (await memberOf('ULI'))?.display_name === 'Li W.');
    expect((await memberOf('ULI'))?.email).toBe('li@new.example');
    expect((await memberOf('UANA'))?.email).toBe(emailOf('UANA'));
  });

  it('deactivates a member at once: they neither give nor receive, until reactivated', async () => {
    const li = record('ULI', 'Li W.', {
      profile: { display_name: 'Li W.', email: 'li@new.example' },
    });
    const gone = await change('user_change', slackHas({ ...li, deleted: true }));
    await until(async () => (await memberOf('ULI'))?.status === 'deactivated');
    // The day they left is kept: it starts their window to redeem what they earned.
    expect((await memberOf('ULI'))?.deactivated).toBe(true);
    const before = await recognitions();
    expect(await command('UANA', '<@ULI> 5 for the handover')).toBe(
      'Li W. is no longer active here, so they cannot receive kudos.',
    );
    expect(await command('ULI', '<@UANA> 5 for the handover')).toBe(
      'Your account is not active here, so you cannot give kudos.',
    );
    expect(await recognitions()).toBe(before);

    await change('user_change', slackHas({ ...li, deleted: false }));
    await until(async () => (await memberOf('ULI'))?.status === 'active');
    expect((await memberOf('ULI'))?.deactivated).toBe(false);
    expect(await command('ULI', '<@UANA> 5 for the handover')).toMatch(/Ana/);
    expect(await recognitions()).toBe(before + 1);

    // Slack redelivers the deactivation, late: Li is active in Slack now, and stays so.
    await change('user_change', { ...li, deleted: true }, { eventId: gone, retry: 1 });
    await plaudit.settled();
    expect(await memberOf('ULI')).toMatchObject({ status: 'active', deactivated: false });
    expect(await command('ULI', '<@UANA> 1 for the retry')).toMatch(/Ana/);
  });

  it('makes a member of whoever joins the workspace, once, with the first-sight admin hook', async () => {
    const nia = slackHas(record('UNIA', 'Nia'));
    await change('team_join', nia);
    await until(async () => (await memberOf('UNIA')) !== undefined);
    expect(await memberOf('UNIA')).toMatchObject({
      display_name: 'Nia',
      roles: ['member', 'admin'],
    });
    // Redelivered: still one member.
    await change('team_join', nia, { retry: 1 });
    await plaudit.settled();
    expect(await membersNamed(emailOf('UNIA'))).toBe(1);
  });

  it("changes nothing on an outsider's event, even one that names a member's email", async () => {
    const outsider = (type: 'user_change' | 'team_join', id: string) =>
      change(type, {
        id,
        name: 'Impostor',
        team_id: 'TOTHER',
        profile: { display_name: 'Impostor', email: emailOf('UANA') },
      });
    await outsider('team_join', 'UOUT1');
    await outsider('user_change', 'UOUT2');
    // A joiner from this workspace after them is taken: by then theirs were too.
    await change('team_join', slackHas(record('UMO', 'Mo')));
    await until(async () => (await memberOf('UMO')) !== undefined);
    await plaudit.settled();
    expect(await memberOf('UOUT1')).toBeUndefined();
    expect(await memberOf('UOUT2')).toBeUndefined();
    expect(await memberOf('UANA')).toMatchObject({ display_name: 'Ana', email: emailOf('UANA') });
    expect(await membersNamed(emailOf('UANA'))).toBe(1);
  });
});
