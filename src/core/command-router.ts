import type { Command } from './command.ts';
import { type Reply, textReply } from './reply.ts';

export type CommandHandler = (command: Command, args: string) => Promise<Reply>;

/**
 * Looks at who runs a command before it is routed, and answers with them as they are to
 * act (the first person to use an organization is made its admin).
 */
export type ActorCheck = (actor: Command['actor']) => Promise<Command['actor']>;

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
  readonly #actorChecks: ActorCheck[] = [];

  constructor(private readonly fallback: CommandHandler) {}

  register(subcommand: Subcommand): this {
    for (const name of [subcommand.name, ...(subcommand.aliases ?? [])]) {
      if (this.#byName.has(name)) throw new Error(`subcommand ${name} is registered twice`);
      this.#byName.set(name, subcommand);
    }
    this.#subcommands.push(subcommand);
    return this;
  }

  /** Runs `check` on every command's actor before routing it. */
  checkActor(check: ActorCheck): this {
    this.#actorChecks.push(check);
    return this;
  }

  get subcommands(): readonly Subcommand[] {
    return this.#subcommands;
  }

  async route(asked: Command): Promise<Reply> {
    let command = asked;
    for (const check of this.#actorChecks) {
      const actor = await check(command.actor);
      if (actor !== command.actor) command = { ...command, actor };
    }
    const text = command.text.trim();
    const [first = '', ...rest] = text.split(/\s+/);
    const subcommand = this.#byName.get(first.toLowerCase());
    if (subcommand) return subcommand.handle(command, rest.join(' '));
    if (text.length === 0) {
      return textReply(this.usage(command.commandName), { outcome: 'usage', code: 'usage' });
    }
    return this.fallback(command, text);
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
