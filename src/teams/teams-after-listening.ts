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
  /** The adapter's start, once its code is in. */
  #starting: Promise<TeamsBot> | undefined;
  #stopped = false;

  constructor(private readonly logger: Logger) {
    this.#loaded = new Promise((resolve) => {
      this.#settle = resolve;
    });
  }

  /** The adapter once started; undefined when it failed to start (logged). */
  get loaded(): Promise<TeamsBot | undefined> {
    return this.#loaded;
  }

  /**
   * Starts the adapter once the process listens: `load` brings its code in, `start` starts
   * it (its database work). Resolves as {@link loaded}. Stopped while loading, it starts
   * nothing.
   */
  load<Code>(
    load: () => Promise<Code>,
    start: (code: Code) => Promise<TeamsBot>,
  ): Promise<TeamsBot | undefined> {
    const began = performance.now();
    load()
      .then((code) => {
        if (this.#stopped) return undefined;
        this.#starting = start(code);
        return this.#starting;
      })
      .then(
        (bot) => {
          if (bot) {
            this.logger.info({ ms: Math.round(performance.now() - began) }, 'Teams adapter ready');
          }
          this.#settle(bot);
        },
        (error: unknown) => {
          this.logger.error({ err: error }, 'the Teams adapter did not start');
          this.#settle(undefined);
        },
      );
    return this.#loaded;
  }

  /**
   * The process is stopping: what waits for the adapter goes on without it, unless it is
   * already starting (its database work is then waited for, with its mirrors). Its code
   * still loading is not waited for: a module cannot be stopped half-way, and it would
   * hold a shutdown up by most of a second.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    const starting = this.#starting;
    if (!starting) {
      this.#settle(undefined);
      return;
    }
    const bot = await starting.catch(() => undefined);
    await bot?.settled();
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
