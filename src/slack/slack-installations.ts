import * as bolt from '@slack/bolt';
import type { Logger } from 'pino';
import type { Database } from '../db/database.ts';
import { NoSlackInstallation } from './slack-installation-store.ts';
import { findWorkspace, type SlackWorkspace } from './slack-workspaces.ts';

type InstallationQuery = bolt.InstallationQuery<boolean>;

/**
 * Set in a request's context when its authorization knew the workspace connected without
 * reading it (the bot token's own): `context.workspace` is then read where it is needed.
 */
export const WORKSPACE_UNREAD = 'workspaceUnread';

/** Where the bot token of a workspace comes from: the OAuth installs, or SLACK_BOT_TOKEN. */
export interface InstallationSource {
  /**
   * The bot token serving a workspace or enterprise, as Bolt's `authorize` gives it; throws
   * (an {@link bolt.AuthorizationError} whose `original` is a {@link NoSlackInstallation})
   * when there is none, or it is disabled. OAuth: the installer's own, which refreshes a
   * rotating token that is near its expiry and stores the new one.
   */
  authorize(query: InstallationQuery): Promise<bolt.AuthorizeResult>;
  /**
   * As `authorize`, for a workspace the caller has just read from the database (in the
   * statement that found whom to reach there): the same answer without reading it again.
   * Absent where authorizing reads more than the workspace (OAuth's installations).
   */
  authorizeRead?(workspace: SlackWorkspace): Promise<bolt.AuthorizeResult>;
  /** Disables the installation serving a workspace or enterprise (uninstalled, revoked). */
  disable(query: InstallationQuery): Promise<boolean>;
  /** A workspace of an enterprise installed org-wide, connected on its first request. */
  connectEnterpriseWorkspace(
    teamId: string,
    enterpriseId: string,
  ): Promise<SlackWorkspace | undefined>;
}

/**
 * SLACK_BOT_TOKEN as one fixed installation: it serves its own workspace (connected at
 * start; with its Grid enterprise's, when the token is an org-wide one) until Slack says it was uninstalled or revoked,
 * after which (until a restart with a new token) nothing is served.
 */
export class FixedInstallation implements InstallationSource {
  #disabled = false;

  constructor(
    private readonly db: Database,
    private readonly token: string,
    /** The token's own workspace (`auth.test`). */
    private readonly home: SlackWorkspace,
  ) {}

  /**
   * As `authorize`, without reading the workspace when it is the token's own: that one was
   * connected at start, and a workspace is never removed. What may change (its
   * organization, `admin link`) is read where it is used, by a slash command, with the
   * people it names, in one statement ({@link WORKSPACE_UNREAD}). Any other workspace is
   * read as `authorize` reads it.
   */
  async authorizeUnread(query: InstallationQuery): Promise<bolt.AuthorizeResult> {
    if (this.#disabled || query.teamId !== this.home.teamId) return this.authorize(query);
    return {
      botToken: this.token,
      botUserId: this.home.botUserId,
      teamId: this.home.teamId,
      [WORKSPACE_UNREAD]: true,
    };
  }

  async authorize(query: InstallationQuery): Promise<bolt.AuthorizeResult> {
    const workspace =
      !this.#disabled && query.teamId && this.#serves(query)
        ? await findWorkspace(this.db, query.teamId)
        : undefined;
    return this.#authorized(query, workspace);
  }

  async authorizeRead(workspace: SlackWorkspace): Promise<bolt.AuthorizeResult> {
    const query = {
      teamId: workspace.teamId,
      enterpriseId: workspace.enterpriseId ?? undefined,
      isEnterpriseInstall: false,
    };
    return this.#authorized(query, !this.#disabled && this.#serves(query) ? workspace : undefined);
  }

  #authorized(
    query: InstallationQuery,
    workspace: SlackWorkspace | undefined,
  ): bolt.AuthorizeResult {
    if (!workspace) {
      const missing = new NoSlackInstallation(query);
      throw new bolt.AuthorizationError(missing.message, missing);
    }
    // The workspace comes along: an event's handler (run right after Bolt acks it) needs no
    // second look-up.
    return {
      botToken: this.token,
      botUserId: workspace.botUserId,
      teamId: workspace.teamId,
      workspace,
    };
  }

  /**
   * Whether the token is this workspace's (or its enterprise's): another workspace in the
   * database (one installed through OAuth before, say) is not served with it.
   */
  #serves(query: InstallationQuery): boolean {
    return (
      query.teamId === this.home.teamId ||
      (query.enterpriseId !== undefined && query.enterpriseId === this.home.enterpriseId)
    );
  }

  async disable(query: InstallationQuery): Promise<boolean> {
    if (!this.#serves(query) || this.#disabled) return false;
    this.#disabled = true;
    return true;
  }

  async connectEnterpriseWorkspace(): Promise<undefined> {
    return undefined;
  }
}

/**
 * The installations of the Slack app, however it was installed: which workspace a request
 * came from (looked up per request: a workspace may be moved to another organization), and
 * a Web API client for the work a workspace's events leave behind (celebrations, direct
 * messages, Home tabs, user group mirrors, `users.info`), built from its installation's
 * bot token as it is now (refreshed by the installer when it rotates).
 */
export class SlackInstallations {
  readonly #clients = new Map<string, { token: string; client: bolt.webApi.WebClient }>();

  constructor(
    private readonly db: Database,
    readonly source: InstallationSource,
    private readonly clientOptions: bolt.webApi.WebClientOptions,
    private readonly logger: Logger,
  ) {}

  /**
   * The connected workspace a request came from; a workspace of an enterprise installed
   * org-wide is connected to the enterprise's organization the first time. Undefined when
   * it is none of these.
   */
  async workspaceOf(source: {
    teamId?: string;
    enterpriseId?: string;
  }): Promise<SlackWorkspace | undefined> {
    if (!source.teamId) return undefined;
    const known = await findWorkspace(this.db, source.teamId);
    if (known || !source.enterpriseId) return known;
    const connected = await this.source.connectEnterpriseWorkspace(
      source.teamId,
      source.enterpriseId,
    );
    if (connected) {
      this.logger.info(
        {
          team: connected.teamId,
          enterprise: source.enterpriseId,
          organization: connected.organizationId,
        },
        'a workspace of an Enterprise Grid installed org-wide was connected',
      );
    }
    return connected;
  }

  /**
   * A client for background work in a workspace, or undefined when Plaudit is not installed
   * there now (uninstalled, revoked): the work is skipped, and said so in the log.
   */
  async clientOf(
    workspace: SlackWorkspace,
    /**
     * The caller read `workspace` from the database just now (a notification's send, in
     * the statement that found the person there): the bot token's source need not read it
     * again. Never a workspace kept from an earlier request.
     */
    justRead = false,
  ): Promise<bolt.webApi.WebClient | undefined> {
    let authorized: bolt.AuthorizeResult;
    try {
      authorized =
        justRead && this.source.authorizeRead
          ? await this.source.authorizeRead(workspace)
          : await this.source.authorize({
              teamId: workspace.teamId,
              enterpriseId: workspace.enterpriseId ?? undefined,
              isEnterpriseInstall: false,
            });
    } catch (error) {
      const original = (error as { original?: unknown }).original;
      if (!(original instanceof NoSlackInstallation)) throw error;
      this.logger.info(
        { team: workspace.teamId },
        'Slack work skipped: Plaudit is not installed in the workspace now',
      );
      return undefined;
    }
    const token = authorized.botToken;
    if (!token) return undefined;
    const cached = this.#clients.get(workspace.teamId);
    if (cached?.token === token) return cached.client;
    const client = new bolt.webApi.WebClient(token, {
      ...this.clientOptions,
      teamId: workspace.teamId,
    });
    this.#clients.set(workspace.teamId, { token, client });
    return client;
  }

  /** A client with a token just given (an install's, before any request from it). */
  clientWithToken(token: string): bolt.webApi.WebClient {
    return new bolt.webApi.WebClient(token, this.clientOptions);
  }

  /** A client for work a request asked for in its workspace: refused when not installed there. */
  async requireClientOf(workspace: SlackWorkspace): Promise<bolt.webApi.WebClient> {
    const client = await this.clientOf(workspace);
    if (!client) throw new NoSlackInstallation({ teamId: workspace.teamId });
    return client;
  }

  /** Disables the installation serving a workspace or enterprise; see {@link InstallationSource.disable}. */
  disable(query: InstallationQuery): Promise<boolean> {
    return this.source.disable(query);
  }
}
