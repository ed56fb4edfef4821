import { randomUUID } from 'node:crypto';
import type { FakeTeamsUser } from './fake-bot-connector.ts';
import { conversation, type MessageOptions, type TeamsScene } from './teams-activities.ts';

/** Where a message extension's command was opened. */
export type CommandContext = 'compose' | 'commandBox' | 'message';

/** The message a "…" menu's command was opened on, as Teams describes it in `messagePayload`. */
export function messagePayload(author: FakeTeamsUser, link: string): Record<string, unknown> {
  return {
    id: String(Date.now()),
    messageType: 'message',
    createdDateTime: new Date().toISOString(),
    linkToMessage: link,
    from: {
      user: { id: author.aadObjectId, displayName: author.name, userIdentityType: 'aadUser' },
    },
    body: { contentType: 'html', content: '<p>Shipped the release notes.</p>' },
    attachments: [],
    mentions: [],
    reactions: [],
  };
}

/**
 * A message extension's invoke as the Bot Connector posts it (`composeExtension/fetchTask`
 * when the command is opened, `composeExtension/submitAction` when its task module's card
 * is submitted), from `from`, in the conversation `options` describe.
 */
export function messageExtensionInvoke(
  scene: TeamsScene,
  from: FakeTeamsUser,
  name: 'composeExtension/fetchTask' | 'composeExtension/submitAction',
  value: {
    readonly commandId: string;
    readonly commandContext: CommandContext;
    readonly data?: Record<string, unknown>;
    readonly messagePayload?: Record<string, unknown>;
  },
  options: MessageOptions = {},
): Record<string, unknown> {
  return {
    type: 'invoke',
    name,
    id: options.id ?? `f:${randomUUID()}`,
    timestamp: new Date().toISOString(),
    channelId: 'msteams',
    serviceUrl: scene.serviceUrl,
    from: { id: from.id, name: from.name, aadObjectId: from.aadObjectId },
    recipient: scene.bot,
    entities: [{ type: 'clientInfo', locale: 'en-US', country: 'US', platform: 'Web' }],
    locale: 'en-US',
    value: { ...value, context: { theme: 'default' } },
    ...conversation(scene, from, options),
  };
}
