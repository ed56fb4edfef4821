import { randomBytes, randomUUID } from 'node:crypto';
import * as bolt from '@slack/bolt';
import { type KyselyPlugin, sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config.ts';
import { UndeliverableMessage } from '../../../src/core/notifier.ts';
import { WorkSlots } from '../../../src/core/work-slots.ts';
import type { Database } from '../../../src/db/database.ts';
import { createMember } from '../../../src/directory/members.ts';
import { linkIdentity } from '../../../src/directory/platform-identities.ts';
import { SecretBox } from '../../../src/security/secret-box.ts';
import { OpenHomeTabsInMemory } from '../../../src/slack/open-home-tabs.ts';
import { SlackAnnouncer } from '../../../src/slack/slack-announcer.ts';
import { SlackHome } from '../../../src/slack/slack-home.ts';
import { SlackInstallationStore } from '../../../src/slack/slack-installation-store.ts';
import { FixedInstallation, SlackInstallations } from '../../../src/slack/slack-installations.ts';
import { SlackNotifier } from '../../../src/slack/slack-notifier.ts';
import { SlackOAuth } from '../../../src/slack/slack-oauth.ts';
import { connectWorkspace } from '../../../src/slack/slack-workspaces.ts';
import { openTestDatabase } from '../../support/databases.ts';
import { FakeSlackApi } from '../../support/fake-slack-api.ts';

type Installation = bolt.Installation<'v2', false>;

/** How Bolt asks for a workspace's installation. */
function workspaceQuery(teamId: string): bolt.InstallationQuery<false> {
  return { teamId, enterpriseId: undefined, isEnterpriseInstall: false };
}

/** A workspace install as Bolt's installer hands it to the store. */
function workspaceInstall(
  teamId: string,
  botToken: string,
  installer = 'UINSTALLER',
): Installation {
  return {
    team: { id: teamId, name: `Team ${teamId}` },
    enterprise: undefined,
    user: { id: installer, token: undefined, scopes: undefined },
    bot: { token: botToken, scopes: ['commands', 'chat:write'], id: 'B1', userId: 'UBOT' },
    tokenType: 'bot',
    isEnterpriseInstall: false,
    appId: 'A1',
    authVersion: 'v2',
  };
}

describe('the Slack installation store, on postgres', () => {
  let db: Database;
  let store: SlackInstallationStore;
  const logger = pino({ level: 'silent' });
  const run = randomUUID().slice(0, 6).toUpperCase();

  beforeAll(async () => {
    db = await openTestDatabase('postgres');
    store = new SlackInstallationStore(db, new SecretBox(randomBytes(32)));
  });
  afterAll(async () => {
    await db?.destroy();
  });

  const rowText = async (teamId: string) =>
    (
      await sql<{ row: string }>`
        select to_jsonb(i)::text || coalesce(encode(sealed_tokens, 'escape'), '') as row
        from slack_installations i where team_id = ${teamId}`.execute(db)
    ).rows[0]?.row;

  it('seals the tokens: fetched back whole, never stored in clear, opened by no other key or row', async () => {
    const teamId = `TSEAL${run}`;
    const token = `xoxb-sealed-${run}`;
    const installation = workspaceInstall(teamId, token);
    await store.storeInstallation(installation);
    expect(store.outcomeOf(installation)).toMatchObject({ createdOrganization: true });
    const fetched = await store.fetchInstallation(workspaceQuery(teamId));
    expect(fetched.bot?.token).toBe(token);
    expect(fetched.user.id).toBe('UINSTALLER');
    expect(await rowText(teamId)).not.toContain(token);

    const otherKey = new SlackInstallationStore(db, new SecretBox(randomBytes(32)));
    await expect(otherKey.fetchInstallation(workspaceQuery(teamId))).rejects.toThrow(
      /cannot be opened with key/,
    );
    // Sealed for one workspace, the tokens do not open as another's.
    const sister = `TSISTER${run}`;
    await store.storeInstallation(workspaceInstall(sister, `xoxb-sister-${run}`));
    await sql`
      update slack_installations set sealed_tokens =
        (select sealed_tokens from slack_installations where team_id = ${teamId})
      where team_id = ${sister}`.execute(db);
    await expect(store.fetchInstallation(workspaceQuery(sister))).rejects.toThrow();
  });

  it('keeps the organization of a reinstalled workspace and makes no new one', async () => {
    const teamId = `TAGAIN${run}`;
    const first = workspaceInstall(teamId, `xoxb-1-${run}`);
    await store.storeInstallation(first);
    expect(await store.disable(workspaceQuery(teamId))).toBe(true);
    const again = workspaceInstall(teamId, `xoxb-2-${run}`, 'USOMEONEELSE');
    await store.storeInstallation(again);
    expect(store.outcomeOf(again)).toEqual({
      ...store.outcomeOf(first),
      createdOrganization: false,
    });
    const fetched = await store.fetchInstallation(workspaceQuery(teamId));
    expect(fetched.bot?.token).toBe(`xoxb-2-${run}`);
  });

  it('skips background messages to a workspace whose installation is disabled: undeliverable, nothing sent', async () => {
    const fake = await new FakeSlackApi({ id: 'TFAKE', name: 'Fake', botUserId: 'UB' }).start();
    try {
      const config = parseConfig({
        SLACK_CLIENT_ID: fake.client.id,
        SLACK_CLIENT_SECRET: fake.client.secret,
        SLACK_STATE_SECRET: 's'.repeat(32),
        SLACK_SIGNING_SECRET: 'signing',
        PLAUDIT_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
        SLACK_API_URL: `${fake.url}/api/`,
      });
      // The installer and its store, as the adapter sets them up.
      const oauth = new SlackOAuth(config, db, logger);
      const receiver = new bolt.ExpressReceiver({
        signingSecret: 'signing',
        ...oauth.receiverOptions(),
      });
      const installations = new SlackInstallations(
        db,
        oauth.source(receiver.installer),
        { slackApiUrl: `${fake.url}/api/`, retryConfig: { retries: 0 } },
        logger,
      );
      const teamId = `TGONE${run}`;
      await oauth.store.storeInstallation(workspaceInstall(teamId, `xoxb-gone-${run}`));
      const { rows } = await sql<{ id: number }>`
        select organization_id as id from slack_workspaces where team_id = ${teamId}`.execute(db);
      const organization = rows[0]?.id as number;
      const member = await createMember(db, organization, { displayName: 'Gil', email: null });
      if (!member.ok) throw new Error(member.message);
      await linkIdentity(
        db,
        { platform: 'slack', tenantId: teamId, userId: 'UGIL' },
        { organizationId: organization, memberId: member.value.id },
      );
      const slots = new WorkSlots(2);
      const announcer = new SlackAnnouncer({
        db,
        installations,
        notifier: new SlackNotifier(slots, 1000),
        home: new SlackHome(
          installations,
          undefined as never,
          '/kudos',
          logger,
          slots,
          new OpenHomeTabsInMemory(),
        ),
        // Not reached by a message to a person.
        services: undefined as never,
      });
      const pace = async () => {};
      const tell = () =>
        announcer.recipientNotifier.tellPerson(
          organization,
          member.value.id,
          'Your mug shipped',
          pace,
        );
      expect(await tell()).toBe('told');
      expect(fake.callsTo('chat.postMessage')).toHaveLength(1);

      await installations.disable(workspaceQuery(teamId));
      await expect(tell()).rejects.toBeInstanceOf(UndeliverableMessage);
      expect(fake.callsTo('chat.postMessage')).toHaveLength(1);
      expect(
        await installations.clientOf({
          teamId,
          enterpriseId: null,
          organizationId: organization,
          botUserId: 'UBOT',
        }),
      ).toBeUndefined();
    } finally {
      await fake.stop();
    }
  });

  it("reaches a person in the bot token's workspace in one statement, and nobody once it is uninstalled or where it does not serve", async () => {
    const fake = await new FakeSlackApi({ id: 'TFAKE', name: 'Fake', botUserId: 'UB' }).start();
    try {
      // Every statement the send makes, counted as its result comes back.
      let statements = 0;
      const counting: KyselyPlugin = {
        transformQuery: (args) => args.node,
        transformResult: async (args) => {
          statements += 1;
          return args.result;
        },
      };
      const counted = db.withPlugin(counting);
      const teamId = `TFIXED${run}`;
      const home = await connectWorkspace(db, {
        teamId,
        teamName: 'Fixed',
        enterpriseId: null,
        botUserId: 'UBOT',
      });
      // A second workspace of the same organization, installed some other way: the bot
      // token does not serve it.
      const otherTeam = `TOTHER${run}`;
      await connectWorkspace(
        db,
        { teamId: otherTeam, teamName: 'Other', enterpriseId: null, botUserId: 'UBOT2' },
        home.organizationId,
      );
      const person = async (name: string, tenantId: string, userId: string) => {
        const member = await createMember(db, home.organizationId, {
          displayName: name,
          email: null,
        });
        if (!member.ok) throw new Error(member.message);
        await linkIdentity(
          db,
          { platform: 'slack', tenantId, userId },
          { organizationId: home.organizationId, memberId: member.value.id },
        );
        return member.value.id;
      };
      const ines = await person('Ines', teamId, 'UINES');
      const olga = await person('Olga', otherTeam, 'UOLGA');
      const installations = new SlackInstallations(
        counted,
        new FixedInstallation(counted, `xoxb-fixed-${run}`, home),
        { slackApiUrl: `${fake.url}/api/`, retryConfig: { retries: 0 } },
        logger,
      );
      const slots = new WorkSlots(2);
      const announcer = new SlackAnnouncer({
        db: counted,
        installations,
        notifier: new SlackNotifier(slots, 1000),
        home: new SlackHome(
          installations,
          undefined as never,
          '/kudos',
          logger,
          slots,
          new OpenHomeTabsInMemory(),
        ),
        // Not reached by a message to a person.
        services: undefined as never,
      });
      const tell = (memberId: number) =>
        announcer.recipientNotifier.tellPerson(
          home.organizationId,
          memberId,
          'Your mug shipped',
          async () => {},
        );

      expect(await tell(ines)).toBe('told');
      // Where Ines is reached and the workspace's token: one statement, not three.
      expect(statements).toBe(1);
      expect(fake.callsTo('chat.postMessage')).toHaveLength(1);

      // The token is this workspace's only: Olga, in the other one, is not sent to with it.
      await expect(tell(olga)).rejects.toBeInstanceOf(UndeliverableMessage);
      expect(fake.callsTo('chat.postMessage')).toHaveLength(1);

      await installations.disable(workspaceQuery(teamId));
      await expect(tell(ines)).rejects.toBeInstanceOf(UndeliverableMessage);
      expect(fake.callsTo('chat.postMessage')).toHaveLength(1);
    } finally {
      await fake.stop();
    }
  });
});
