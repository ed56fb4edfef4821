import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningPlaudit } from '../../src/app.ts';
import { FakeSlackApi } from '../support/fake-slack-api.ts';
import { SIGNING_SECRET, startSlackPlaudit } from '../support/slack-plaudit.ts';
import { postSlashCommand, slashCommandText } from '../support/slack-requests.ts';

const PEOPLE = { fay: 'UFAY', boss: 'UBOSS', lee: 'ULEE' } as const;
type Person = keyof typeof PEOPLE;

describe('PLAUDIT_INITIAL_ADMINS names the first admins, through signed Slack commands', () => {
  const teamId = `T${randomUUID().slice(0, 8).toUpperCase()}`;
  // Emails of this workspace only: the setting reaches every organization of the database.
  const domain = `${teamId.toLowerCase()}.example`;
  const fake = new FakeSlackApi({ id: teamId, name: 'Named Inc', botUserId: 'UBOT' });
  let plaudit: RunningPlaudit | undefined;
  let triggers = 0;

  const running = () => {
    if (!plaudit) throw new Error('Plaudit is not running');
    return plaudit;
  };

  async function say(person: Person, text: string): Promise<string> {
    const trigger = `trigger-${++triggers}`;
    const response = await postSlashCommand(running().url, SIGNING_SECRET, {
      team_id: teamId,
      user_id: PEOPLE[person],
      channel_id: 'CNAMED',
      text,
      trigger_id: trigger,
      response_url: `${fake.url}/respond/${trigger}`,
    });
    expect(response.status).toBe(200);
    await running().settled();
    return slashCommandText(response, fake);
  }

  async function admins(): Promise<string[]> {
    const { rows } = await sql<{ display_name: string }>`
      select m.display_name from members m
      join platform_identities p on p.member_id = m.id
      where p.platform = 'slack' and p.tenant_id = ${teamId} and 'admin' = any(m.roles)
      order by m.display_name`.execute(running().db);
    return rows.map((row) => row.display_name);
  }

  async function grants() {
    const { rows } = await sql<{
      via: string;
      actor: number | null;
      target: string;
      after: unknown;
    }>`
      select a.via, a.actor_member_id as actor, a.target, a.after from audit_log a
      where a.organization_id = ${running().slack?.workspace?.organizationId}
        and a.action = 'role.grant' order by a.id`.execute(running().db);
    return rows;
  }

  const memberTarget = async (person: Person) => {
    const { rows } = await sql<{ member_id: number }>`select member_id from platform_identities
      where platform = 'slack' and tenant_id = ${teamId} and user_id = ${PEOPLE[person]}`.execute(
      running().db,
    );
    return `member:${rows[0]?.member_id}`;
  };

  beforeAll(async () => {
    await fake.start();
    fake.addUser(PEOPLE.fay, 'Fay', `fay@${domain}`);
    // Slack reports the email in its own letter case; the setting is in another.
    fake.addUser(PEOPLE.boss, 'Boss', `Boss@${domain}`);
    fake.addUser(PEOPLE.lee, 'Lee', `lee@${domain}`);
  });
  afterAll(async () => {
    await plaudit?.close();
    await fake.stop();
  });

  it('makes the named person admin on first sight, and nobody else', async () => {
    plaudit = await startSlackPlaudit(fake, {
      PLAUDIT_INITIAL_ADMINS: ` BOSS@${domain.toUpperCase()} , someone@${domain}`,
    });
    // Fay is the first person to use Plaudit here: she is not its admin for that.
    expect(await say('fay', 'admin allow-give everyone')).toBe(
      'Only admins can change who may give kudos, and nobody is admin here yet: whoever runs Plaudit names the first (PLAUDIT_INITIAL_ADMINS, or npm run admin:grant -- their email).',
    );
    expect(await admins()).toEqual([]);
    // Boss is first seen when Fay names him: he is admin from then on.
    expect(await say('fay', '<@UBOSS|boss> 5 for the launch notes')).toContain('Boss');
    expect(await admins()).toEqual(['Boss']);
    expect(await grants()).toEqual([
      {
        via: 'system',
        actor: null,
        target: await memberTarget('boss'),
        after: {
          roles: ['member', 'admin'],
          grantedBy: 'configuration',
          why: 'named in PLAUDIT_INITIAL_ADMINS',
        },
      },
    ]);
    expect(await say('boss', 'admin allow-give everyone')).toContain('Everyone may give kudos');
    expect(await say('lee', 'admin allow-give everyone')).toBe(
      'Only admins can change who may give kudos; ask an admin if this needs doing.',
    );
    expect(await admins()).toEqual(['Boss']);
  });

  it('makes a named person who is a member already admin when Plaudit starts', async () => {
    await running().close();
    plaudit = await startSlackPlaudit(fake, { PLAUDIT_INITIAL_ADMINS: `lee@${domain}` });
    expect(await admins()).toEqual(['Boss', 'Lee']);
    const [, lee, ...more] = await grants();
    expect(more).toEqual([]);
    expect(lee).toMatchObject({ via: 'system', actor: null, target: await memberTarget('lee') });
    expect(await say('lee', 'admin allow-give everyone')).toContain('Everyone may give kudos');
    // A second start grants nothing twice.
    await running().close();
    plaudit = await startSlackPlaudit(fake, { PLAUDIT_INITIAL_ADMINS: `lee@${domain}` });
    expect(await grants()).toHaveLength(2);
  });
});
