import { randomUUID } from 'node:crypto';
import type { KyselyPlugin } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KudosGiven } from '../../../src/core/reply.ts';
import { WorkSlots } from '../../../src/core/work-slots.ts';
import type { Database } from '../../../src/db/database.ts';
import { linkIdentity } from '../../../src/directory/platform-identities.ts';
import { boostKudos } from '../../../src/recognition/boosts.ts';
import { SlackAnnouncer } from '../../../src/slack/slack-announcer.ts';
import type { SlackHome } from '../../../src/slack/slack-home.ts';
import { FixedInstallation, SlackInstallations } from '../../../src/slack/slack-installations.ts';
import { SlackNotifier } from '../../../src/slack/slack-notifier.ts';
import { connectWorkspace } from '../../../src/slack/slack-workspaces.ts';
import { openTestDatabase } from '../../support/databases.ts';
import { FakeSlackApi } from '../../support/fake-slack-api.ts';
import { createRecognitionFixture } from '../../support/recognition-fixture.ts';

/**
 * Slack's sends read what they need in as few statements as they can: where the giver is
 * reached and everyone's Slack ids there are one statement, for a celebration and for a
 * private kudos's message (which refreshes the giver's open tab).
 */
describe("Slack's celebrations and messages, on postgres", () => {
  let db: Database;
  let fake: FakeSlackApi;
  const teamId = `T${randomUUID().slice(0, 8).toUpperCase()}`;

  beforeAll(async () => {
    db = await openTestDatabase('postgres');
    fake = await new FakeSlackApi({ id: teamId, name: 'Acme', botUserId: 'UBOT' }).start();
  });
  afterAll(async () => {
    await fake?.stop();
    await db?.destroy();
  });

  it('celebrates with the giver and every recipient named, and tells privately with the giver refreshed, one statement each to find them', async () => {
    const f = await createRecognitionFixture(db, {
      members: { Ana: {}, Li: {}, Jo: {}, Kim: {}, Bo: {} },
    });
    const workspace = await connectWorkspace(
      db,
      { teamId, teamName: 'Acme', enterpriseId: null, botUserId: 'UBOT' },
      f.organizationId,
    );
    for (const name of ['Ana', 'Li', 'Jo']) {
      const member = f.members[name];
      if (!member) throw new Error(name);
      await linkIdentity(
        db,
        { platform: 'slack', tenantId: teamId, userId: `U${name.toUpperCase()}` },
        { organizationId: f.organizationId, memberId: member.id },
      );
    }
    const reply = await f.kudos('Ana', '@Li @Jo 5 for the launch');
    const event = reply.events[0] as KudosGiven;
    // Boosted before its celebration went out (from another platform's announcement, or
    // while the celebration was being retried): the celebration shows them, oldest first.
    for (const [booster, amount] of [
      ['Kim', 3],
      ['Bo', 2],
    ] as const) {
      const boosted = await boostKudos(f.services, {
        booster: f.members[booster] as NonNullable<(typeof f.members)[string]>,
        recognitionId: event.recognitionId,
        amount,
        platform: 'teams',
        tenantId: 'tenant',
        channel: 'general',
      });
      expect(boosted.outcome).toBe('ok');
    }

    let statements = 0;
    const counting: KyselyPlugin = {
      transformQuery: (args) => args.node,
      transformResult: async (args) => {
        statements += 1;
        return args.result;
      },
    };
    const counted = db.withPlugin(counting);
    const refreshed: string[] = [];
    const home = {
      isOpen: async (_workspace: unknown, userId: string) => userId === 'UANA',
      changed: async (_member: unknown, _workspace: unknown, userId: string) => {
        refreshed.push(userId);
      },
    } as unknown as SlackHome;
    const announcer = new SlackAnnouncer({
      db: counted,
      installations: new SlackInstallations(
        counted,
        new FixedInstallation(counted, 'xoxb-test', workspace),
        { slackApiUrl: `${fake.url}/api/`, retryConfig: { retries: 0 } },
        pino({ level: 'silent' }),
      ),
      services: {
        settings: {
          load: async () => ({ settings: { boostsAllowed: true }, now: new Date() }),
        } as never,
      },
      notifier: new SlackNotifier(new WorkSlots(2), 1000),
      home,
    });

    await announcer.celebration(event, async () => {});
    const [post] = fake.callsTo('chat.postMessage');
    expect(JSON.stringify(post?.body.blocks)).toContain('<@UANA>');
    expect(JSON.stringify(post?.body.blocks)).toContain('<@ULI>');
    expect(JSON.stringify(post?.body.blocks)).toContain('<@UJO>');
    expect(post?.body.text).toContain('(Boosted: +3 from Kim, +2 from Bo)');
    expect(refreshed).toEqual(['UANA']);
    // Where Ana is reached, everyone's ids there and her kudos's boosts; and Ana herself
    // for her open tab.
    expect(statements).toBe(2);

    statements = 0;
    refreshed.length = 0;
    const told = await announcer.recipientNotifier.tellRecipient(
      { ...event, private: true },
      f.members.Li?.id as number,
      async () => {},
    );
    expect(told).toBe('told');
    expect(
      fake
        .callsTo('chat.postMessage')
        .filter((call) => call.body.channel === 'DULI')
        .map((call) => call.body.text),
    ).toEqual([expect.stringContaining('Ana gave you 5 points for the launch')]);
    // The giver's open tab is refreshed after a private kudos, which has no celebration.
    expect(refreshed).toEqual(['UANA']);
    // Where Li is reached with Ana's id there, and Ana herself for her open tab.
    expect(statements).toBe(2);
  });
});
