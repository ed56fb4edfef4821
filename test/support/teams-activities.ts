import { randomUUID } from 'node:crypto';
import type { FakeTeamsUser } from './fake-bot-connector.ts';

export type ConversationType = 'personal' | 'groupChat' | 'channel';

export interface TeamsScene {
  readonly serviceUrl: string;
  readonly tenantId: string;
  readonly bot: { readonly id: string; readonly name: string };
}

export interface MessageOptions {
  readonly conversationType?: ConversationType;
  /** @defaultValue a personal chat with the sender */
  readonly conversationId?: string;
  /** People mentioned, in the order their `<at>` tags appear in the text. */
  readonly mentions?: readonly FakeTeamsUser[];
  /** Whether the text starts with the bot's own mention. @defaultValue true outside personal chats */
  readonly mentionBot?: boolean;
  readonly id?: string;
  readonly tenantId?: string;
  readonly value?: Record<string, unknown>;
  /** The message a card submission came from. */
  readonly replyToId?: string;
}

/** The conversation and tenant fields of an activity from `from`. */
export function conversation(scene: TeamsScene, from: FakeTeamsUser, options: MessageOptions) {
  const conversationType = options.conversationType ?? 'personal';
  const tenantId = options.tenantId ?? scene.tenantId;
  return {
    conversation: {
      id: options.conversationId ?? `a:personal-${from.id}`,
      conversationType,
      tenantId,
      ...(conversationType === 'personal' ? {} : { isGroup: true }),
    },
    channelData: {
      tenant: { id: tenantId },
      ...(conversationType === 'channel'
        ? { team: { id: '19:team@thread.tacv2' }, channel: { id: options.conversationId } }
        : {}),
    },
  };
}

/**
 * A Teams message activity as the Bot Connector posts it: `<at>Name</at>` in the text and
 * a mention entity for each, the bot's own mention first where Teams requires it.
 */
export function teamsMessage(
  scene: TeamsScene,
  from: FakeTeamsUser,
  text: string,
  options: MessageOptions = {},
): Record<string, unknown> {
  const conversationType = options.conversationType ?? 'personal';
  const mentionBot = options.mentionBot ?? conversationType !== 'personal';
  const botTag = `<at>${scene.bot.name}</at>`;
  const entities = [
    ...(mentionBot ? [{ type: 'mention', text: botTag, mentioned: scene.bot }] : []),
    ...(options.mentions ?? []).map((user) => ({
      type: 'mention',
      text: `<at>${user.name}</at>`,
      mentioned: { id: user.id, name: user.name },
    })),
    { type: 'clientInfo', locale: 'en-US', country: 'US', platform: 'Web' },
  ];
  return {
    type: 'message',
    id: options.id ?? `${Date.now()}${Math.floor(Math.random() * 1e6)}`,
    timestamp: new Date().toISOString(),
    channelId: 'msteams',
    serviceUrl: scene.serviceUrl,
    from: { id: from.id, name: from.name, aadObjectId: from.aadObjectId },
    recipient: scene.bot,
    textFormat: 'plain',
    ...(options.value
      ? { value: options.value }
      : { text: mentionBot ? `${botTag} ${text}` : text }),
    ...(options.replyToId ? { replyToId: options.replyToId } : {}),
    entities,
    locale: 'en-US',
    ...conversation(scene, from, options),
  };
}

/** The message an Adaptive Card's Action.Submit sends: no text, the inputs in `value`. */
export function cardSubmission(
  scene: TeamsScene,
  from: FakeTeamsUser,
  value: Record<string, unknown>,
  options: MessageOptions = {},
): Record<string, unknown> {
  return teamsMessage(scene, from, '', { ...options, mentionBot: false, value });
}

/** The conversationUpdate Teams sends when the app is installed in a conversation. */
export function botInstalled(
  scene: TeamsScene,
  from: FakeTeamsUser,
  options: MessageOptions = {},
): Record<string, unknown> {
  return {
    type: 'conversationUpdate',
    id: `f:${randomUUID()}`,
    timestamp: new Date().toISOString(),
    channelId: 'msteams',
    serviceUrl: scene.serviceUrl,
    from: { id: from.id, name: from.name, aadObjectId: from.aadObjectId },
    recipient: scene.bot,
    membersAdded: [{ id: scene.bot.id }],
    ...conversation(scene, from, options),
  };
}

/** What a team's conversationUpdate says happened. */
export interface TeamEvent {
  readonly team: { readonly id: string; readonly name: string; readonly aadGroupId: string };
  /** `teamMemberAdded`, `teamMemberRemoved`, `teamRenamed`, `teamDeleted`, … */
  readonly eventType: string;
  readonly membersAdded?: ReadonlyArray<{ readonly id: string; readonly aadObjectId?: string }>;
  readonly membersRemoved?: ReadonlyArray<{ readonly id: string; readonly aadObjectId?: string }>;
}

/**
 * The conversationUpdate Teams sends in a team's General channel (whose id is the team's)
 * when the bot or people are added to the team or removed from it, or the team changes.
 */
export function teamUpdate(
  scene: TeamsScene,
  from: FakeTeamsUser,
  event: TeamEvent,
): Record<string, unknown> {
  return {
    type: 'conversationUpdate',
    id: `f:${randomUUID()}`,
    timestamp: new Date().toISOString(),
    channelId: 'msteams',
    serviceUrl: scene.serviceUrl,
    from: { id: from.id, name: from.name, aadObjectId: from.aadObjectId },
    recipient: scene.bot,
    ...(event.membersAdded ? { membersAdded: event.membersAdded } : {}),
    ...(event.membersRemoved ? { membersRemoved: event.membersRemoved } : {}),
    conversation: {
      id: event.team.id,
      conversationType: 'channel',
      tenantId: scene.tenantId,
      isGroup: true,
    },
    channelData: {
      eventType: event.eventType,
      team: event.team,
      tenant: { id: scene.tenantId },
    },
  };
}

/**
 * A message as the Bot Framework Emulator sends it to local mode: its own channel and
 * user, no tenant and no token, replies going to `serviceUrl`.
 */
export function emulatorMessage(
  serviceUrl: string,
  message: { id: string; conversationId: string; text: string },
): Record<string, unknown> {
  return {
    type: 'message',
    id: message.id,
    channelId: 'emulator',
    serviceUrl,
    from: { id: 'emulator-user', name: 'Emma Emulator' },
    recipient: { id: 'emulator-bot', name: 'Plaudit' },
    conversation: { id: message.conversationId },
    text: message.text,
  };
}

/** Posts an activity to the bot's messaging endpoint, with a bearer token if given. */
export async function postActivity(
  baseUrl: string,
  activity: Record<string, unknown> | string,
  token?: string,
): Promise<{ status: number; body: string }> {
  const response = await fetch(`${baseUrl}/api/messages`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: typeof activity === 'string' ? activity : JSON.stringify(activity),
  });
  return { status: response.status, body: await response.text() };
}

/** What a reaction activity names: the bot's message, and the reactions added or removed. */
export interface ReactionOptions {
  /** The conversation the reacted message is in. */
  readonly conversationId: string;
  readonly conversationType?: ConversationType;
  /** The id the Bot Connector gave the bot's message. */
  readonly replyToId: string;
  readonly added?: readonly string[];
  readonly removed?: readonly string[];
  /** The activity's own id: a redelivery repeats it. */
  readonly id?: string;
}

/**
 * The `messageReaction` activity Teams sends when someone reacts to one of the bot's own
 * messages: the reacted message by its id only, each reaction by its type (`like`), and
 * the reacting person without a name.
 */
export function teamsReaction(
  scene: TeamsScene,
  from: { readonly id: string; readonly aadObjectId?: string; readonly name?: string },
  options: ReactionOptions,
): Record<string, unknown> {
  const person = { id: from.id, name: '', aadObjectId: from.aadObjectId ?? '' } as FakeTeamsUser;
  return {
    type: 'messageReaction',
    id: options.id ?? `f:${randomUUID()}`,
    timestamp: new Date().toISOString(),
    channelId: 'msteams',
    serviceUrl: scene.serviceUrl,
    from: { id: from.id, ...(from.aadObjectId ? { aadObjectId: from.aadObjectId } : {}) },
    recipient: scene.bot,
    replyToId: options.replyToId,
    ...(options.added ? { reactionsAdded: options.added.map((type) => ({ type })) } : {}),
    ...(options.removed ? { reactionsRemoved: options.removed.map((type) => ({ type })) } : {}),
    ...conversation(scene, person, {
      conversationType: options.conversationType ?? 'channel',
      conversationId: options.conversationId,
    }),
  };
}

/** The conversationUpdate Teams sends in a team when one of its channels is deleted. */
export function channelDeleted(
  scene: TeamsScene,
  from: FakeTeamsUser,
  channel: { readonly teamId: string; readonly channelId: string },
): Record<string, unknown> {
  return {
    type: 'conversationUpdate',
    id: `f:${randomUUID()}`,
    timestamp: new Date().toISOString(),
    channelId: 'msteams',
    serviceUrl: scene.serviceUrl,
    from: { id: from.id, aadObjectId: from.aadObjectId },
    recipient: scene.bot,
    conversation: {
      id: channel.teamId,
      conversationType: 'channel',
      tenantId: scene.tenantId,
      isGroup: true,
    },
    channelData: {
      eventType: 'channelDeleted',
      channel: { id: channel.channelId, name: 'Kudos' },
      team: { id: channel.teamId },
      tenant: { id: scene.tenantId },
    },
  };
}
