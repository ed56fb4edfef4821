import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import type { ConsoleChat } from '../../src/console/chat-commands.ts';
import { consoleRouter } from '../../src/console/console-router.ts';
import { Signer } from '../../src/console/console-signer.ts';
import { createSignInLink } from '../../src/console/sign-in-links.ts';
import { createHttpApp } from '../../src/http/server.ts';
import type { AdminFixture } from './admin-fixture.ts';

export interface ConsolePage {
  readonly status: number;
  readonly html: string;
  readonly location: string | null;
  readonly headers: Headers;
}

/** The notice a page shows after a form (done or refused), as its text. */
export function noticeOf(page: ConsolePage): string | undefined {
  return /<p class="notice (?:done|refused)"[^>]*>([^<]*)<\/p>/.exec(page.html)?.[1];
}

/** A browser-less console user: a cookie jar and the CSRF token of the last page read. */
export class ConsoleClient {
  readonly #cookies = new Map<string, string>();
  #csrf = '';
  constructor(readonly url: string) {}

  get csrfToken(): string {
    return this.#csrf;
  }

  #keep(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (/Max-Age=0\b/i.test(line) || value === '') this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }

  /** The Cookie header this client sends. */
  cookieHeader(): Record<string, string> {
    if (this.#cookies.size === 0) return {};
    return {
      cookie: [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; '),
    };
  }

  async #read(response: Response): Promise<ConsolePage> {
    this.#keep(response);
    const html = await response.text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
    if (csrf) this.#csrf = csrf;
    return {
      status: response.status,
      html,
      location: response.headers.get('location'),
      headers: response.headers,
    };
  }

  /** GETs a path (no redirects followed). */
  async get(path: string): Promise<ConsolePage> {
    const response = await fetch(`${this.url}${path}`, {
      redirect: 'manual',
      headers: this.cookieHeader(),
    });
    return this.#read(response);
  }

  /**
   * POSTs a form as the browser would, with the CSRF token of the last page read unless
   * `_csrf` is given (or given as null: no token at all).
   */
  async post(
    path: string,
    fields: Record<string, string | readonly string[] | null> = {},
  ): Promise<ConsolePage> {
    const body = new URLSearchParams();
    const withToken = '_csrf' in fields ? fields : { _csrf: this.#csrf, ...fields };
    for (const [name, value] of Object.entries(withToken)) {
      if (value === null) continue;
      for (const one of typeof value === 'string' ? [value] : value) body.append(name, one);
    }
    const response = await fetch(`${this.url}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: this.url,
        ...this.cookieHeader(),
      },
      body,
    });
    return this.#read(response);
  }

  /** Follows a 303 after a form: GETs where it points. */
  async follow(page: ConsolePage): Promise<ConsolePage> {
    if (!page.location) throw new Error(`no redirect (status ${page.status})`);
    return this.get(page.location);
  }
}

export interface ConsoleHarness {
  readonly url: string;
  /** A client signed in as a member of the fixture, through a one-time link. */
  signIn(name: string): Promise<ConsoleClient>;
  close(): Promise<void>;
}

export interface ConsoleOptions {
  secureCookies?: boolean;
  origin?: string;
  chat?: ConsoleChat;
}

/**
 * The console over real HTTP for one admin fixture's organization, not in local mode: the
 * fixture's services and a fresh signing key.
 */
export async function startConsole(
  fixture: AdminFixture,
  options: ConsoleOptions = {},
): Promise<ConsoleHarness> {
  const logger = pino({ level: 'silent' });
  const app = createHttpApp({
    db: fixture.db,
    logger,
    pingRedis: async () => 'not used',
    mount: [
      consoleRouter({
        services: fixture.services,
        local: false,
        logger,
        signer: new Signer('test-console-signing-key-0123456789abcdef'),
        secureCookies: options.secureCookies ?? false,
        origin: options.origin,
        chat: options.chat,
      }),
    ],
  });
  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    async signIn(name) {
      const member = fixture.members[name];
      if (!member) throw new Error(`no member ${name}`);
      const secret = await createSignInLink(fixture.db, fixture.organizationId, member.id);
      const client = new ConsoleClient(url);
      const page = await client.post('/console/sign-in', { _csrf: null, token: secret });
      if (page.status !== 303) throw new Error(`sign-in failed: ${page.status} ${page.html}`);
      await client.get('/console');
      return client;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
