import express, { type Router } from 'express';
import type { Logger } from 'pino';
import type { GroupMirror } from '../admin/group-admin.ts';
import type { TeamsBot } from './teams-adapter.ts';

/**
 * Local mode's Teams adapter (the Bot Framework Emulator's), started once the process
 * listens: loading teams-ai and botbuilder is 0.7 s of a 2-core machine's start, a third of
 * the quickstart's, for a chat most local starts never use. Until it is ready,
 * `/api/messages` waits for it, the groups' sync waits for its mirror, and {@link loaded}
 * tells what else must wait (the outbox relay, whose rounds would otherwise queue kudos
 * without Teams' sends).
 */
export class TeamsAfterListening {
  readonly #loaded: Promise<TeamsBot | undefined>;
  #settle: (bot: TeamsBot | undefined) => void = () => {};

  constructor(private readonly logger: Logger) {
    this.#loaded = new Promise((resolve) => {
      this.#settle = resolve;
    });
  }

  /** The adapter once started; undefined when it failed to start (logged). */
  get loaded(): Promise<TeamsBot | undefined> {
    return this.#loaded;
  }

  /** Starts the adapter (once the process listens); resolves as {@link loaded}. */
  load(start: () => Promise<TeamsBot>): Promise<TeamsBot | undefined> {
    const began = performance.now();
    start().then(
      (bot) => {
        this.logger.info({ ms: Math.round(performance.now() - began) }, 'Teams adapter ready');
        this.#settle(bot);
      },
      (error: unknown) => {
        this.logger.error({ err: error }, 'the Teams adapter did not start');
        this.#settle(undefined);
      },
    );
    return this.#loaded;
  }

  /** `POST /api/messages`, answered by the adapter once it is ready. */
  readonly routes: Router = express.Router().all('/api/messages', async (req, res, next) => {
    const bot = await this.#loaded;
    if (!bot) {
      res
        .status(503)
        .json({ message: 'The Teams adapter did not start: its error is in the log.' });
      return;
    }
    bot.routes(req, res, next);
  });

  /** Teams' group mirror, once the adapter is ready. */
  readonly groupMirror: GroupMirror = {
    platform: 'teams',
    sync: async (actor) => {
      const bot = await this.#loaded;
      return bot ? bot.groupMirror.sync(actor) : { groups: 0, changed: 0, failed: [] };
    },
  };

  /** Resolves when the adapter has started (or failed to) and its mirrors have finished. */
  async settled(): Promise<void> {
    await (await this.#loaded)?.settled();
  }
}
