import type { Command } from './command.ts';
import { NUL_IN_MESSAGE, nulPath } from './nul-text.ts';
import { type Reply, refusalReply, textReply } from './reply.ts';

export type CommandHandler = (command: Command, args: string) => Promise<Reply>;

/**
 * Told of every reply the router gives, with the command's name: `give` for the default,
 * `help` for an empty command, otherwise the subcommand's name (metrics count them).
 */
export type ReplyObserver = (command: Command, reply: Reply, name: string) => void;

export interface Subcommand {
  /** The first word that selects it, lower-case. */
  readonly name: string;
  readonly aliases?: readonly string[];
  /** The arguments it takes, for help: `[week|month|quarter|all]`. */
  readonly usage: string;
  readonly summary: string;
  readonly handle: CommandHandler;
}

/**
 * Routes `/kudos …` to a subcommand by its first word, or to the default (giving kudos)
 * when the first word is no subcommand's. Rewards and admin register theirs the same way.
 */
export class CommandRouter {
  readonly #byName = new Map<string, Subcommand>();
  readonly #subcommands: Subcommand[] = [];
  readonly #observers: ReplyObserver[] = [];

  constructor(private readonly fallback: CommandHandler) {}

  register(subcommand: Subcommand): this {
    for (const name of [subcommand.name, ...(subcommand.aliases ?? [])]) {
      if (this.#byName.has(name)) throw new Error(`subcommand ${name} is registered twice`);
      this.#byName.set(name, subcommand);
    }
    this.#subcommands.push(subcommand);
    return this;
  }

  /** Calls `observer` with every reply; an observer that throws changes no reply. */
  observe(observer: ReplyObserver): this {
    this.#observers.push(observer);
    return this;
  }

  get subcommands(): readonly Subcommand[] {
    return this.#subcommands;
  }

  async route(command: Command): Promise<Reply> {
    // What every platform sends in (typed text, a form's fields as text, mentions, keys)
    // passes here before anything is read or written: one place refuses a NUL for all.
    const { text: sent, mentions, channel, idempotencyKey } = command;
    if (nulPath({ sent, mentions, channel, idempotencyKey }) !== undefined) {
      const refused = refusalReply('nul_character', NUL_IN_MESSAGE);
      return this.#observed(command, 'unreadable', Promise.resolve(refused));
    }
    const text = command.text.trim();
    const [first = '', ...rest] = text.split(/\s+/);
    const subcommand = this.#byName.get(first.toLowerCase());
    if (subcommand) {
      return this.#observed(command, subcommand.name, subcommand.handle(command, rest.join(' ')));
    }
    if (text.length === 0) {
      const usage = textReply(this.usage(command.commandName), { outcome: 'usage', code: 'usage' });
      return this.#observed(command, 'help', Promise.resolve(usage));
    }
    return this.#observed(command, 'give', this.fallback(command, text));
  }

  async #observed(command: Command, name: string, replying: Promise<Reply>): Promise<Reply> {
    const reply = await replying;
    for (const observer of this.#observers) {
      try {
        observer(command, reply, name);
      } catch {
        // Observers only watch: a failing one must not turn a reply into an error.
      }
    }
    return reply;
  }

  /** One line per subcommand, for `help` and for replies to commands that did not parse. */
  usage(commandName: string): string {
    return [
      `Give kudos: ${commandName} @ana @li 10 for the launch #teamwork`,
      ...this.#subcommands.map(
        (sub) => `${commandName} ${sub.name}${sub.usage ? ` ${sub.usage}` : ''} — ${sub.summary}`,
      ),
    ].join('\n');
  }
}
