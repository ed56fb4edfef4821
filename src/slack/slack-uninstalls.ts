import type * as bolt from '@slack/bolt';
import type { Logger } from 'pino';
import { FollowUps } from '../core/follow-ups.ts';
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
  readonly #followUps: FollowUps;

  constructor(
    private readonly installations: SlackInstallations,
    private readonly logger: Logger,
  ) {
    this.#followUps = new FollowUps(logger);
  }

  register(app: bolt.App): void {
    app.event('app_uninstalled', async ({ context }) => this.#taken(context, 'app_uninstalled'));
    app.event('tokens_revoked', async ({ event, context }) => {
      // Only the bot's token serves Plaudit; a revoked user token changes nothing here.
      if ((event.tokens.bot ?? []).length > 0) this.#taken(context, 'tokens_revoked');
    });
  }

  /** Resolves when the installations Slack said were removed have been disabled. */
  settled(): Promise<void> {
    return this.#followUps.settled();
  }

  #taken(context: bolt.Context, why: string): void {
    this.#followUps.start('disabling a Slack installation', () => this.#disable(context, why));
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
