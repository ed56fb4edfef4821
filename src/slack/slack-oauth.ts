import type { ServerResponse } from 'node:http';
import type * as bolt from '@slack/bolt';
import type { Logger } from 'pino';
import { makeInstallerFirstAdmin } from '../admin/system-admin-grant.ts';
import { type Config, encryptionKeyBytes } from '../config.ts';
import type { Database } from '../db/database.ts';
import { SecretBox } from '../security/secret-box.ts';
import type { SlackDirectory, SlackUser } from './slack-directory.ts';
import { SlackInstallationStore } from './slack-installation-store.ts';
import type { InstallationSource, SlackInstallations } from './slack-installations.ts';
import { SLACK_BOT_SCOPES } from './slack-scopes.ts';
import type { SlackWorkspace } from './slack-workspaces.ts';

/** Where people start an install ("Add to Slack") and where Slack sends them back. */
export const INSTALL_PATH = '/slack/install';
export const REDIRECT_PATH = '/slack/oauth_redirect';

type Installation = bolt.Installation<'v1' | 'v2', boolean>;

/** What the install pages need once the adapter is up. */
export interface InstallFollowUp {
  readonly installations: SlackInstallations;
  readonly directory: SlackDirectory;
}

/**
 * Slack OAuth v2 with Bolt's own installer: the install path's "Add to Slack" page, the
 * redirect (state verified against the browser's cookie), the code exchange, token
 * rotation, and the installation store in Postgres with tokens sealed by
 * PLAUDIT_ENCRYPTION_KEY. After a first install of an organization, the person who
 * installed it becomes its first admin.
 */
export class SlackOAuth {
  readonly store: SlackInstallationStore;
  #followUp: InstallFollowUp | undefined;

  constructor(
    private readonly config: Config,
    private readonly db: Database,
    private readonly logger: Logger,
  ) {
    const key = encryptionKeyBytes(config.PLAUDIT_ENCRYPTION_KEY ?? '');
    // The configuration refuses OAuth mode without a well-formed key.
    if (!key) throw new Error('PLAUDIT_ENCRYPTION_KEY must be set for Slack OAuth installs');
    this.store = new SlackInstallationStore(db, new SecretBox(key));
  }

  /** The ExpressReceiver's OAuth options: Bolt serves both paths and verifies the state. */
  receiverOptions(): Partial<bolt.ExpressReceiverOptions> {
    const { config } = this;
    return {
      clientId: config.SLACK_CLIENT_ID,
      clientSecret: config.SLACK_CLIENT_SECRET,
      stateSecret: config.SLACK_STATE_SECRET,
      scopes: [...SLACK_BOT_SCOPES],
      installationStore: this.store,
      ...(config.PUBLIC_URL && { redirectUri: `${config.PUBLIC_URL}${REDIRECT_PATH}` }),
      installerOptions: {
        installPath: INSTALL_PATH,
        redirectUriPath: REDIRECT_PATH,
        stateVerification: true,
        directInstall: false,
        authorizationUrl: config.SLACK_AUTHORIZE_URL,
        clientOptions: { slackApiUrl: config.SLACK_API_URL },
        renderHtmlForInstallPath: addToSlackPage,
        callbackOptions: {
          successAsync: (installation, _options, _req, res) => this.#installed(installation, res),
          failure: (error, _options, _req, res) => this.#failed(error, res),
        },
      },
    };
  }

  /** The bot tokens of the installs, through Bolt's installer (which refreshes rotating ones). */
  source(installer: { authorize: bolt.Authorize<boolean> } | undefined): InstallationSource {
    if (!installer) throw new Error('Bolt did not set up its OAuth installer');
    const { store } = this;
    return {
      authorize: (query) => installer.authorize(query),
      disable: (query) => store.disable(query),
      connectEnterpriseWorkspace: (teamId, enterpriseId) =>
        store.connectEnterpriseWorkspace(teamId, enterpriseId),
    };
  }

  /** Called once the adapter is up: the first admin is made through its directory. */
  followUpWith(followUp: InstallFollowUp): void {
    this.#followUp = followUp;
  }

  async #installed(installation: Installation, res: ServerResponse): Promise<void> {
    const outcome = this.store.outcomeOf(installation);
    const where = installation.isEnterpriseInstall
      ? (installation.enterprise?.name ?? installation.enterprise?.id ?? 'your organization')
      : (installation.team?.name ?? installation.team?.id ?? 'your workspace');
    this.logger.info(
      {
        team: installation.team?.id,
        enterprise: installation.enterprise?.id,
        organization: outcome?.organizationId,
        newOrganization: outcome?.createdOrganization,
      },
      'Plaudit was installed in Slack',
    );
    // Only the install that made the organization names its first admin: a reinstall,
    // by whoever, names nobody.
    if (outcome?.createdOrganization) {
      await this.#makeInstallerAdmin(installation, outcome.organizationId, outcome.workspace).catch(
        (error: unknown) =>
          this.logger.warn(
            { err: error, user: installation.user.id },
            'the person who installed Plaudit could not be made its first admin',
          ),
      );
    }
    sendPage(
      res,
      200,
      'Plaudit is installed',
      `Plaudit is installed in ${escapeHtml(where)}. Open Slack and type <code>${escapeHtml(this.config.SLACK_COMMAND)}</code> to give kudos.`,
    );
  }

  async #makeInstallerAdmin(
    installation: Installation,
    organizationId: number,
    installedWorkspace: SlackWorkspace | undefined,
  ): Promise<void> {
    const followUp = this.#followUp;
    if (!followUp) throw new Error('the Slack adapter is not up yet');
    const userId = installation.user.id;
    const workspace =
      installedWorkspace ?? (await this.#installerWorkspace(installation, followUp));
    if (!workspace) throw new Error('Slack did not tell which workspace the installer is from');
    const member = await followUp.directory.member(workspace, userId);
    if (await makeInstallerFirstAdmin(this.db, organizationId, member.id)) {
      this.logger.info(
        { member: member.id, organization: organizationId },
        'the installer is the first admin',
      );
    }
  }

  /** An org-wide install: the installer's home workspace, connected to the enterprise's organization. */
  async #installerWorkspace(
    installation: Installation,
    { installations }: InstallFollowUp,
  ): Promise<SlackWorkspace | undefined> {
    const enterpriseId = installation.enterprise?.id;
    const token = installation.bot?.token;
    if (!enterpriseId || !token) return undefined;
    const client = installations.clientWithToken(token);
    const answer = await client.users.info({ user: installation.user.id });
    const teamId = (answer.user as SlackUser | undefined)?.team_id;
    return teamId ? installations.workspaceOf({ teamId, enterpriseId }) : undefined;
  }

  #failed(error: { code?: string; message: string }, res: ServerResponse): void {
    const forged = [
      'slack_oauth_missing_state',
      'slack_oauth_invalid_state',
      'slack_oauth_missing_code',
    ].includes(error.code ?? '');
    this.logger.warn({ code: error.code }, 'a Slack install did not complete');
    const cancelled = /cancelled/i.test(error.message);
    sendPage(
      res,
      forged ? 400 : cancelled ? 200 : 500,
      'Plaudit was not installed',
      forged
        ? `This install link is not valid in this browser, or has expired. Start again from <a href="${INSTALL_PATH}">Add to Slack</a>.`
        : cancelled
          ? `The install was cancelled. You can start again from <a href="${INSTALL_PATH}">Add to Slack</a>.`
          : `Slack did not complete the install. Try again from <a href="${INSTALL_PATH}">Add to Slack</a>; if it fails again, the operator will find why in Plaudit's log.`,
    );
  }
}

/** The install path's page: what Plaudit is, and the "Add to Slack" button. */
export function addToSlackPage(url: string): string {
  return page(
    'Add Plaudit to Slack',
    `<p>Plaudit lets your colleagues thank each other with points they can redeem.</p>
<p><a href="${escapeHtml(url)}"><img alt="Add to Slack" height="40" width="139" src="https://platform.slack-edge.com/img/add_to_slack.png" srcset="https://platform.slack-edge.com/img/add_to_slack.png 1x, https://platform.slack-edge.com/img/add_to_slack@2x.png 2x"></a></p>
<p>The person who installs Plaudit in a new workspace becomes its first admin.</p>`,
  );
}

function sendPage(res: ServerResponse, status: number, title: string, body: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
  res.end(page(title, `<p>${body}</p>`));
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;text-align:center}</style>
</head><body><h1>${escapeHtml(title)}</h1>
${body}
</body></html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ENTITIES[char] as string);
}

const HTML_ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
