import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BotFrameworkKey } from './bot-framework-keys.ts';

/** An activity the bot sent to a conversation, and the token it sent it with. */
export interface SentActivity {
  /** The id the fake gave the message (what a reaction to it names). */
  readonly id: string;
  readonly conversationId: string;
  readonly replyToId: string | null;
  readonly activity: Record<string, unknown>;
  readonly authorization: string | undefined;
}

/** A Teams user as `GET /v3/conversations/{id}/members/{memberId}` answers. */
export interface FakeTeamsUser {
  readonly id: string;
  readonly aadObjectId: string;
  readonly name: string;
  readonly email?: string;
  readonly userRole?: 'user' | 'guest';
  /** Set for a person of another tenant (a shared channel); the Connector then says so. */
  readonly tenantId?: string;
}

/** A team the bot is in: its General channel's id is the team's id. */
export interface FakeTeam {
  readonly id: string;
  /** Changed by a test that renames the team. */
  name: string;
  readonly aadGroupId: string;
  /** Its members' Teams user ids. */
  members: string[];
}

/**
 * A local stand-in for the Bot Framework's HTTP APIs, recording what it receives:
 * - the Bot Connector (`serviceUrl`): activities sent to conversations, replies, updates, new
 *   conversations, members by Teams user id or Azure AD object id, teams' details and
 *   their members a page at a time (`pagedmembers`);
 * - the OpenID metadata and keys that sign channel tokens (`openIdMetadataUrl`);
 * - an Azure AD token endpoint that issues the bot's own tokens (`tokenUrl`).
 */
export class FakeBotConnector {
  readonly sent: SentActivity[] = [];
  /** Activities the bot updated in place (`PUT …/activities/{id}`): `replyToId` is the id updated. */
  readonly updated: SentActivity[] = [];
  readonly users = new Map<string, FakeTeamsUser>();
  readonly createdConversations: Array<Record<string, unknown>> = [];
  readonly memberLookups: string[] = [];
  readonly teams = new Map<string, FakeTeam>();
  /** The `pagedmembers` calls, by team id, in order. */
  readonly pagedMemberCalls: string[] = [];
  /** The most members one page holds, whatever page size is asked for. */
  pageSizeCap = 2;
  /**
   * Statuses to answer, one per activity posted to a conversation, before the fake
   * accepts activities there again (403: the person blocked the bot; 502: a passing fault).
   */
  readonly refusals = new Map<string, number[]>();
  /** Called with each activity accepted, as it arrives (bench:teams times replies by it). */
  onSent: ((sent: SentActivity) => void) | undefined;
  /** The activities answered with a refusal, and the status each got. */
  readonly refused: Array<{ conversationId: string; status: number }> = [];
  // The Bot Framework's own keys endorse many channels, not only Teams.
  readonly key = new BotFrameworkKey(['msteams', 'webchat', 'directline', 'slack']);
  /** Tokens the token endpoint issued, each for the client id it was asked for. */
  readonly issuedTokens = new Map<string, string>();
  #server: Server | undefined;
  url = '';

  get serviceUrl(): string {
    return `${this.url}/teams/`;
  }

  /**
   * Names this fake in its query: botbuilder caches the keys by this URL for the whole
   * process (refreshing at most hourly), and test files share their process, so a later
   * fake on a reused port would otherwise be checked against an earlier fake's keys.
   */
  get openIdMetadataUrl(): string {
    return `${this.url}/v1/.well-known/openidconfiguration?fake=${this.key.kid}`;
  }

  get tokenUrl(): string {
    return `${this.url}/botframework.com/oauth2/v2.0/token`;
  }

  addUser(user: FakeTeamsUser): FakeTeamsUser {
    this.users.set(user.id, user);
    return user;
  }

  /**
   * What the bot answered an activity with, in order. A typing indicator is no answer:
   * teams-ai sends one once a turn has run a second (its `startTypingTimer: false` is not
   * read in 1.7.4), so a busy machine sees it and a quiet one does not.
   */
  answersTo(activity: { readonly id?: unknown }): SentActivity[] {
    return this.sent.filter(
      (sent) => sent.replyToId === activity.id && sent.activity.type !== 'typing',
    );
  }

  /** The activities sent to one conversation, in order. */
  sentTo(conversationId: string): SentActivity[] {
    return this.sent.filter((sent) => sent.conversationId === conversationId);
  }

  /** Requests held unanswered now (see `hold`). */
  held = 0;
  readonly #holds: Array<{
    matches: (method: string, path: string) => boolean;
    released: Promise<void>;
  }> = [];

  /**
   * Holds every matching request unanswered until the returned function is called: work
   * that waits on it stays in flight for as long as a test needs, without timing.
   */
  hold(matches: (method: string, path: string) => boolean): () => void {
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.#holds.push({ matches, released });
    return release;
  }

  /** Listens on `port` (by default one the system picks). */
  async start(port = 0): Promise<this> {
    const server = createServer(async (request, response) => {
      const body = await readBody(request);
      const hold = this.#holds.find((held) =>
        held.matches(request.method ?? '', request.url ?? ''),
      );
      if (hold) {
        this.held += 1;
        await hold.released;
        this.held -= 1;
      }
      const answer = this.#route(request, body);
      response.writeHead(answer.status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(answer.body));
    });
    this.#server = server;
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()));
  }

  #route(request: IncomingMessage, body: string): { status: number; body: unknown } {
    const path = decodeURIComponent((request.url ?? '').replace(/\?.*$/, ''));
    if (request.method === 'GET' && path === '/v1/.well-known/openidconfiguration') {
      return {
        status: 200,
        body: { issuer: 'https://api.botframework.com', jwks_uri: `${this.url}/v1/keys` },
      };
    }
    if (request.method === 'GET' && path === '/v1/keys') {
      return { status: 200, body: { keys: [this.key.jwk()] } };
    }
    if (request.method === 'POST' && path === '/botframework.com/oauth2/v2.0/token') {
      const form = new URLSearchParams(body);
      const token = `bot-token-${this.issuedTokens.size + 1}`;
      this.issuedTokens.set(token, form.get('client_id') ?? '');
      return { status: 200, body: { token_type: 'Bearer', expires_in: 3600, access_token: token } };
    }
    const activities = /^\/teams\/v3\/conversations\/([^/]+)\/activities(?:\/([^/]+))?$/.exec(path);
    if (request.method === 'POST' && activities) {
      const conversationId = activities[1] as string;
      const status = this.refusals.get(conversationId)?.shift();
      if (status !== undefined) {
        this.refused.push({ conversationId, status });
        return {
          status,
          body: { error: { code: status === 403 ? 'ConversationBlockedByUser' : 'BadGateway' } },
        };
      }
      const sent = {
        id: `sent-${this.sent.length + 1}`,
        conversationId: activities[1] as string,
        replyToId: activities[2] ?? null,
        activity: JSON.parse(body) as Record<string, unknown>,
        authorization: request.headers.authorization,
      };
      this.sent.push(sent);
      this.onSent?.(sent);
      return { status: 200, body: { id: sent.id } };
    }
    if (request.method === 'PUT' && activities?.[2]) {
      const updated = {
        id: activities[2],
        conversationId: activities[1] as string,
        replyToId: activities[2],
        activity: JSON.parse(body) as Record<string, unknown>,
        authorization: request.headers.authorization,
      };
      this.updated.push(updated);
      return { status: 200, body: { id: activities[2] } };
    }
    if (request.method === 'POST' && path === '/teams/v3/conversations') {
      const parameters = JSON.parse(body) as { members?: Array<{ id: string }> };
      this.createdConversations.push(parameters);
      return { status: 201, body: { id: `a:chat-with-${parameters.members?.[0]?.id}` } };
    }
    const team = /^\/teams\/v3\/teams\/([^/]+)$/.exec(path);
    if (request.method === 'GET' && team) {
      const known = this.teams.get(team[1] as string);
      if (!known) return { status: 404, body: { error: { code: 'NotFound' } } };
      return {
        status: 200,
        body: { id: known.id, name: known.name, aadGroupId: known.aadGroupId },
      };
    }
    const paged = /^\/teams\/v3\/conversations\/([^/]+)\/pagedmembers$/.exec(path);
    if (request.method === 'GET' && paged) {
      const known = this.teams.get(paged[1] as string);
      this.pagedMemberCalls.push(paged[1] as string);
      if (!known) return { status: 404, body: { error: { code: 'NotFound' } } };
      const query = new URL(request.url ?? '', 'http://fake').searchParams;
      const size = Math.min(Number(query.get('pageSize') ?? 200), this.pageSizeCap);
      const from = Number(query.get('continuationToken') ?? 0);
      const members = known.members.slice(from, from + size).flatMap((id) => {
        const user = this.users.get(id);
        return user
          ? [
              {
                ...user,
                givenName: user.name,
                userPrincipalName: user.email,
                tenantId: user.tenantId,
              },
            ]
          : [];
      });
      const next = from + size < known.members.length ? String(from + size) : undefined;
      return { status: 200, body: { members, ...(next ? { continuationToken: next } : {}) } };
    }
    const member = /^\/teams\/v3\/conversations\/([^/]+)\/members\/([^/]+)$/.exec(path);
    if (request.method === 'GET' && member) {
      const [, conversationId = '', id = ''] = member;
      this.memberLookups.push(id);
      const user =
        this.users.get(id) ?? [...this.users.values()].find((known) => known.aadObjectId === id);
      // A one-to-one chat (`a:…`) has two members: the bot and the person it is with.
      const inConversation =
        user && (!conversationId.startsWith('a:') || conversationId.includes(user.id));
      if (!user || !inConversation) {
        return { status: 404, body: { error: { code: 'MemberNotFoundInConversation' } } };
      }
      return {
        status: 200,
        body: { ...user, givenName: user.name, userPrincipalName: user.email },
      };
    }
    return { status: 404, body: { error: { code: 'NotFound', message: path } } };
  }
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let raw = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      raw += chunk;
    });
    request.on('end', () => resolve(raw));
    request.on('error', reject);
  });
}
