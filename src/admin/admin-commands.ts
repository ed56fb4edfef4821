import type { Command } from '../core/command.ts';
import type { CommandRouter } from '../core/command-router.ts';
import { type Reply, textReply } from '../core/reply.ts';
import type { AdminServices } from './admin-services.ts';

/** One `/kudos admin <verb> …` subcommand. */
export interface AdminVerb {
  /** The word after `admin`, lower-case. */
  readonly name: string;
  readonly aliases?: readonly string[];
  /** Its arguments, for help: `@someone admin|hr`. */
  readonly usage: string;
  readonly summary: string;
  /**
   * Runs it. Each verb checks the actor's role itself (through `requireRole`), so a
   * refused attempt is audited under the action it tried.
   */
  readonly handle: (services: AdminServices, command: Command, args: string) => Promise<Reply>;
}

/** The admin verbs' help, one line each. */
export function adminUsage(commandName: string, verbs: readonly AdminVerb[]): string {
  return verbs
    .map(
      (verb) =>
        `${commandName} admin ${verb.name}${verb.usage ? ` ${verb.usage}` : ''} — ${verb.summary}`,
    )
    .join('\n');
}

/** Registers `/kudos admin …`, routing by the word after `admin`. */
export function registerAdminCommands(
  router: CommandRouter,
  services: AdminServices,
  verbs: readonly AdminVerb[],
): void {
  const byName = new Map<string, AdminVerb>();
  for (const verb of verbs) {
    for (const name of [verb.name, ...(verb.aliases ?? [])]) {
      if (byName.has(name)) throw new Error(`admin verb ${name} is registered twice`);
      byName.set(name, verb);
    }
  }
  router.register({
    name: 'admin',
    usage: '<command>',
    summary: 'admins: who may give and receive, settings, roles, points',
    handle: async (command, args) => {
      const [first = '', ...rest] = args.trim().split(/\s+/);
      const verb = byName.get(first.toLowerCase());
      if (verb) return verb.handle(services, command, rest.join(' '));
      const opening =
        first === '' || first.toLowerCase() === 'help'
          ? 'Admin commands:'
          : `There is no admin command “${first}”. Admin commands:`;
      return textReply(`${opening}\n${adminUsage(command.commandName, verbs)}`, {
        outcome: first === '' || first.toLowerCase() === 'help' ? 'ok' : 'usage',
        code: first === '' || first.toLowerCase() === 'help' ? undefined : 'usage',
      });
    },
  });
}
