import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SlackUser } from '../../src/slack/slack-directory.ts';

/** One call the fake received: a Web API method, or a post to a response_url. */
export interface RecordedCall {
  readonly method: string;
  readonly body: Record<string, unknown>;
  /** The token the call was made with (its Authorization header), if any. */
  readonly token?: string;
  /** When it arrived (Date.now()). */
  readonly at: number;
}

/** An error the fake answers instead of success, to calls that match, a number of times. */
export interface SlackRefusal {
  readonly method: string;
  readonly matches: (body: Record<string, unknown>) => boolean;
  /** Slack's `error` code, answered with `ok: false`. */
  readonly error: string;
  /** How many matching calls are refused. @defaultValue every one */
  times?: number;
}

/** What `usergroups.list` tells of a user group besides its users. */
export interface FakeUserGroupInfo {
  readonly handle: string;
  readonly name?: string;
  /** Set (seconds) once the user group is disabled. */
  readonly date_delete?: number;
}

/**
 * A user the fake knows; the fields `users.info` answers with. `team_id` is the fake's own
 * workspace unless set: set it (or `enterprise_user`, `is_stranger`) for a user of another
 * workspace, a Grid enterprise or Slack Connect.
 */
export type FakeSlackUser = SlackUser & { id: string; name: string };

/**
 * What an admin grants on the fake's authorize page: a workspace install (`team`), or an
 * Enterprise Grid org-wide one (`enterprise` with `isEnterpriseInstall`), by `installer`.
 */
export interface FakeSlackGrant {
  readonly team?: { id: string; name: string };
  readonly enterprise?: { id: string; name: string };
  readonly isEnterpriseInstall?: boolean;
  /** The Slack user id of the person who installs. */
  readonly installer: string;
  readonly botUserId: string;
  /** Token rotation: the bot token expires this many seconds after it is issued. */
  readonly expiresIn?: number;
}

/** A bot token the fake issued, and the install it belongs to. */
export interface FakeSlackToken {
  readonly grant: FakeSlackGrant;
  readonly refreshToken?: string;
  revoked?: boolean;
}

/**
 * A local stand-in for the Slack Web API that records every call it receives. It answers
 * auth.test, users.info, usergroups.list, usergroups.users.list, chat.postMessage, chat.postEphemeral,
 * chat.update, conversations.open, views.open and views.publish like Slack does, and takes the posts
 * Bolt sends to a command's response_url (`/respond/<id>`). `delays` slows a method down.
 */
export class FakeSlackApi {
  readonly calls: RecordedCall[] = [];
  readonly users = new Map<string, FakeSlackUser>();
  /** User groups' users, by user group id. */
  readonly groups = new Map<string, string[]>();
  /** User groups' handles and names (a group without one is listed with its id as handle). */
  readonly groupInfo = new Map<string, FakeUserGroupInfo>();
  readonly delays = new Map<string, number>();
  readonly refusals: SlackRefusal[] = [];
  /** Bot tokens issued through OAuth, each belonging to its workspace or enterprise. */
  readonly tokens = new Map<string, FakeSlackToken>();
  /** The grant the next visit to the authorize page gives: an admin clicking Allow. */
  nextGrant: FakeSlackGrant | undefined;
  /** Where the authorize page sends the browser back when the request names no redirect_uri. */
  redirectUrl = '';
  /** The app's OAuth client, which `oauth.v2.access` checks. */
  client = { id: '1234567890.1234567890', secret: 'fake-client-secret' };
  readonly #codes = new Map<string, FakeSlackGrant>();
  readonly #refreshTokens = new Map<string, FakeSlackGrant>();
  #issued = 0;
  readonly #holds: Array<{
    method: string;
    matches: (body: Record<string, unknown>) => boolean;
    released: Promise<void>;
  }> = [];
  #server: Server | undefined;

  /**
   * Holds every matching call unanswered until the returned function is called: work that
   * waits on it stays in flight for as long as a test needs, without timing.
   */
  hold(method: string, matches: (body: Record<string, unknown>) => boolean): () => void {
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.#holds.push({ method, matches, released });
    return release;
  }

  /** Makes a person `users.info` knows: their id, name shown, email and handle. */
  addUser(id: string, displayName: string, email: string, name = displayName): void {
    this.users.set(id, { id, name, profile: { display_name: displayName, email } });
  }
  url = '';

  constructor(readonly team: { id: string; name: string; botUserId: string }) {}

  async start(): Promise<this> {
    const server = createServer((request, response) => {
      // When the request arrived (its headers), as Slack's rate limits count it: not when
      // its body had been read, which a busy machine can delay.
      const at = Date.now();
      let raw = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => {
        raw += chunk;
      });
      request.on('end', async () => {
        if ((request.url ?? '').startsWith('/oauth/v2/authorize')) {
          this.#authorizePage(new URL(request.url ?? '', this.url), response);
          return;
        }
        const method = (request.url ?? '').replace(/^\/(api\/)?/, '').replace(/\?.*$/, '');
        const body = parseBody(raw, String(request.headers['content-type'] ?? ''));
        const token = /^Bearer (\S+)$/.exec(String(request.headers.authorization ?? ''))?.[1];
        this.calls.push({ method, body, at, ...(token && { token }) });
        const delay = this.delays.get(method);
        if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
        const hold = this.#holds.find((held) => held.method === method && held.matches(body));
        if (hold) await hold.released;
        response.setHeader('content-type', 'application/json');
        response.end(
          JSON.stringify(
            this.#refusal(method, body) ??
              this.#revoked(method, token) ??
              this.#answer(method, body, token),
          ),
        );
      });
    });
    this.#server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()));
  }

  /** The calls to one method, in order. */
  callsTo(method: string): RecordedCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  #refusal(method: string, body: Record<string, unknown>): Record<string, unknown> | undefined {
    const refusal = this.refusals.find(
      (candidate) =>
        candidate.method === method && (candidate.times ?? 1) > 0 && candidate.matches(body),
    );
    if (!refusal) return undefined;
    if (refusal.times !== undefined) refusal.times -= 1;
    return { ok: false, error: refusal.error };
  }

  /**
   * The authorize page, as an admin who clicks Allow sees it: the browser is sent back to
   * the app's redirect URL with a one-time code for {@link nextGrant}, and the app's state.
   */
  #authorizePage(url: URL, response: ServerResponse): void {
    const grant = this.nextGrant;
    this.nextGrant = undefined;
    const back = new URL(url.searchParams.get('redirect_uri') ?? this.redirectUrl);
    if (!grant || url.searchParams.get('client_id') !== this.client.id) {
      back.searchParams.set('error', 'access_denied');
    } else {
      const code = `code-${++this.#issued}`;
      this.#codes.set(code, grant);
      back.searchParams.set('code', code);
    }
    const state = url.searchParams.get('state');
    if (state) back.searchParams.set('state', state);
    response.writeHead(302, { location: back.toString() });
    response.end();
  }

  /** Issues a bot token (and, with rotation, its refresh token) for a grant. */
  #issue(grant: FakeSlackGrant): Record<string, unknown> {
    const n = ++this.#issued;
    const owner = grant.team?.id ?? grant.enterprise?.id ?? 'T';
    const token = `xoxb-${owner}-${n}`;
    const refreshToken = grant.expiresIn !== undefined ? `xoxe-1-${owner}-${n}` : undefined;
    this.tokens.set(token, { grant, refreshToken });
    if (refreshToken) this.#refreshTokens.set(refreshToken, grant);
    return {
      access_token: token,
      token_type: 'bot',
      ...(refreshToken && { refresh_token: refreshToken, expires_in: grant.expiresIn }),
    };
  }

  /** `oauth.v2.access`: a code exchanged for an install's tokens, or a refresh token for new ones. */
  #oauthAccess(body: Record<string, unknown>): Record<string, unknown> {
    if (body.client_id !== this.client.id || body.client_secret !== this.client.secret) {
      return { ok: false, error: 'invalid_client_id' };
    }
    if (body.grant_type === 'refresh_token') {
      const grant = this.#refreshTokens.get(String(body.refresh_token));
      if (!grant) return { ok: false, error: 'invalid_refresh_token' };
      // A refresh token is good once: the new one replaces it.
      this.#refreshTokens.delete(String(body.refresh_token));
      // Slack's rotating tokens last 12 hours.
      return { ok: true, ...this.#issue({ ...grant, expiresIn: 43_200 }) };
    }
    const grant = this.#codes.get(String(body.code));
    if (!grant) return { ok: false, error: 'invalid_code' };
    this.#codes.delete(String(body.code));
    return {
      ok: true,
      app_id: 'A1',
      authed_user: { id: grant.installer },
      scope:
        'commands,chat:write,chat:write.public,im:write,users:read,users:read.email,usergroups:read,reactions:read',
      bot_user_id: grant.botUserId,
      team: grant.isEnterpriseInstall ? null : grant.team,
      enterprise: grant.enterprise ?? null,
      is_enterprise_install: Boolean(grant.isEnterpriseInstall),
      ...this.#issue(grant),
    };
  }

  /** `oauth.v2.exchange`: a long-lived bot token exchanged for a rotating one. */
  #oauthExchange(body: Record<string, unknown>): Record<string, unknown> {
    const known = this.tokens.get(String(body.token));
    if (!known || known.revoked) return { ok: false, error: 'invalid_token' };
    known.revoked = true;
    return {
      ok: true,
      ...this.#issue({ ...known.grant, expiresIn: known.grant.expiresIn ?? 43_200 }),
    };
  }

  /** Revokes every token issued for a workspace or enterprise (an uninstall). */
  revokeTokensOf(owner: string): void {
    for (const issued of this.tokens.values()) {
      if ((issued.grant.team?.id ?? issued.grant.enterprise?.id) === owner) issued.revoked = true;
    }
  }

  /** A call made with a token the fake revoked (an uninstalled app's) is refused. */
  #revoked(method: string, token: string | undefined): Record<string, unknown> | undefined {
    if (!token || method.startsWith('oauth.')) return undefined;
    return this.tokens.get(token)?.revoked ? { ok: false, error: 'token_revoked' } : undefined;
  }

  #answer(method: string, body: Record<string, unknown>, token?: string): Record<string, unknown> {
    // A token issued through OAuth belongs to its workspace or enterprise; any other one
    // (SLACK_BOT_TOKEN in the tests) to the fake's own workspace.
    const issued = token ? this.tokens.get(token)?.grant : undefined;
    switch (method) {
      case 'oauth.v2.access':
        return this.#oauthAccess(body);
      case 'oauth.v2.exchange':
        return this.#oauthExchange(body);
      case 'auth.test':
        return issued
          ? {
              ok: true,
              team_id: issued.isEnterpriseInstall ? null : issued.team?.id,
              team: issued.isEnterpriseInstall ? null : issued.team?.name,
              enterprise_id: issued.enterprise?.id ?? null,
              is_enterprise_install: Boolean(issued.isEnterpriseInstall),
              url: issued.isEnterpriseInstall
                ? `https://${issued.enterprise?.id}.enterprise.slack.com/`
                : undefined,
              user_id: issued.botUserId,
              bot_id: `B${issued.botUserId}`,
            }
          : {
              ok: true,
              team_id: this.team.id,
              team: this.team.name,
              user_id: this.team.botUserId,
              bot_id: 'B1',
            };
      case 'users.info': {
        const user = this.users.get(String(body.user));
        return user
          ? { ok: true, user: { team_id: this.team.id, ...user } }
          : { ok: false, error: 'user_not_found' };
      }
      case 'usergroups.list': {
        const includeUsers = String(body.include_users) === 'true';
        const includeDisabled = String(body.include_disabled) === 'true';
        const usergroups = [...this.groups]
          .map(([id, users]) => {
            const info = this.groupInfo.get(id);
            return {
              id,
              team_id: this.team.id,
              is_usergroup: true,
              handle: info?.handle ?? id.toLowerCase(),
              name: info?.name ?? info?.handle ?? id,
              date_delete: info?.date_delete ?? 0,
              user_count: users.length,
              ...(includeUsers ? { users } : {}),
            };
          })
          .filter((group) => includeDisabled || group.date_delete === 0);
        return { ok: true, usergroups };
      }
      case 'usergroups.users.list': {
        const users = this.groups.get(String(body.usergroup));
        return users ? { ok: true, users } : { ok: false, error: 'no_such_subteam' };
      }
      case 'chat.postMessage':
      case 'chat.postEphemeral':
        return { ok: true, channel: body.channel, ts: `${Date.now() / 1000}` };
      case 'chat.update':
        return { ok: true, channel: body.channel, ts: body.ts };
      case 'conversations.open':
        return { ok: true, channel: { id: `D${String(body.users)}` } };
      case 'views.open':
      case 'views.publish':
        return { ok: true, view: { id: 'V1' } };
      default:
        return method.startsWith('respond/')
          ? { ok: true }
          : { ok: false, error: 'unknown_method' };
    }
  }
}

function parseBody(raw: string, contentType: string): Record<string, unknown> {
  if (raw.length === 0) return {};
  if (contentType.includes('application/json')) return JSON.parse(raw) as Record<string, unknown>;
  const fields: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    fields[key] = /^[[{]/.test(value) ? JSON.parse(value) : value;
  }
  return fields;
}
