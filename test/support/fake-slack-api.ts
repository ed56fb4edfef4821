import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SlackUser } from '../../src/slack/slack-directory.ts';

/** One call the fake received: a Web API method, or a post to a response_url. */
export interface RecordedCall {
  readonly method: string;
  readonly body: Record<string, unknown>;
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
 * A local stand-in for the Slack Web API that records every call it receives. It answers
 * auth.test, users.info, usergroups.list, usergroups.users.list, chat.postMessage, chat.postEphemeral,
 * conversations.open, views.open and views.publish like Slack does, and takes the posts
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
        const method = (request.url ?? '').replace(/^\/(api\/)?/, '').replace(/\?.*$/, '');
        const body = parseBody(raw, String(request.headers['content-type'] ?? ''));
        this.calls.push({ method, body, at });
        const delay = this.delays.get(method);
        if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
        const hold = this.#holds.find((held) => held.method === method && held.matches(body));
        if (hold) await hold.released;
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify(this.#refusal(method, body) ?? this.#answer(method, body)));
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

  #answer(method: string, body: Record<string, unknown>): Record<string, unknown> {
    switch (method) {
      case 'auth.test':
        return {
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
