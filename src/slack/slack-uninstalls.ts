import type * as bolt from '@slack/bolt';
import type { Logger } from 'pino';
import type { SlackInstallations } from './slack-installations.ts';

/**
 * Slack's word that Plaudit lost a workspace or enterprise: `app_uninstalled`, or
 * `tokens_revoked` naming the bot's token. Its installation is disabled (its tokens
 * dropped): later requests from it get 401 and background work for it is skipped, while its
 * organization, members and every ledger row stay as they were. A reinstall enables it
 * again, in the same organization. (Bolt hands these two events over without authorizing
 * them: the token they would need is the one that is gone.)
 */
export class SlackUninstalls {
  constructor(
    private readonly installations: SlackInstallations,
    private readonly logger: Logger,
  ) {}

  register(app: bolt.App): void {
    app.event('app_uninstalled', async ({ context }) => this.#disable(context, 'app_uninstalled'));
    app.event('tokens_revoked', async ({ event, context }) => {
      // Only the bot's token serves Plaudit; a revoked user token changes nothing here.
      if ((event.tokens.bot ?? []).length > 0) await this.#disable(context, 'tokens_revoked');
    });
  }

  async #disable(context: bolt.Context, why: string): Promise<void> {
    const query = {
      teamId: context.isEnterpriseInstall ? undefined : (context.teamId ?? undefined),
      enterpriseId: context.enterpriseId ?? undefined,
      isEnterpriseInstall: Boolean(context.isEnterpriseInstall),
    };
    const disabled = await this.installations.disable(query);
    this.logger.warn(
      { event: why, team: query.teamId, enterprise: query.enterpriseId, disabled },
      'Slack says Plaudit was removed: its installation is disabled, its points are kept',
    );
  }
}
