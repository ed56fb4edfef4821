import type * as bolt from '@slack/bolt';
import type { Logger } from 'pino';
import { FollowUps } from '../core/follow-ups.ts';
import { InSequence } from '../core/in-sequence.ts';
import { OutsiderUser } from '../directory/outsiders.ts';
import { isUnknownSlackUser, type SlackDirectory, type SlackUser } from './slack-directory.ts';
import type { SlackWorkspace } from './slack-workspaces.ts';

/**
 * Keeps people current from Slack's events, without waiting for them to be seen: on
 * `user_change` a known member takes their new name, email, guest and bot flags, and is
 * deactivated (or reactivated) at once; on `team_join` the newcomer becomes a member. An
 * outsider's event changes nothing. Bolt acks each event before its handler runs; the
 * work follows. A redelivery (`X-Slack-Retry-Num`) may come after a later change, so its
 * record is read from Slack again rather than applied as it was sent.
 */
export class SlackPeopleEvents {
  readonly #followUps: FollowUps;
  /** One user's events are applied one after another, in the order they came. */
  readonly #sequence = new InSequence();

  constructor(
    private readonly directory: SlackDirectory,
    private readonly logger: Logger,
  ) {
    this.#followUps = new FollowUps(logger);
  }

  register(app: bolt.App): void {
    app.event('user_change', async ({ event, context }) =>
      this.#onUser(context, event.user as SlackUser, false),
    );
    app.event('team_join', async ({ event, context }) =>
      this.#onUser(context, event.user as SlackUser, true),
    );
  }

  /** Resolves when the events taken so far have been applied. */
  settled(): Promise<void> {
    return this.#followUps.settled();
  }

  #onUser(context: bolt.Context, user: SlackUser, join: boolean): void {
    const workspace = context.workspace as SlackWorkspace | undefined;
    if (!workspace || !user?.id) return;
    const reread = (context.retryNum ?? 0) > 0;
    const userId = user.id;
    this.#followUps.start('a Slack user event', () =>
      this.#sequence.run(`${workspace.teamId}:${userId}`, async () => {
        try {
          await this.directory.seen(workspace, user, { join, reread });
        } catch (error) {
          // Someone from outside the organization, or gone from Slack since: nothing to keep.
          if (error instanceof OutsiderUser || isUnknownSlackUser(error)) {
            this.logger.info({ userId }, 'a Slack user event changed nobody');
            return;
          }
          throw error;
        }
      }),
    );
  }
}
