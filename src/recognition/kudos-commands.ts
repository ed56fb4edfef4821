import type { Command } from '../core/command.ts';
import { CommandRouter } from '../core/command-router.ts';
import { type Reply, textReply } from '../core/reply.ts';
import { showBalance } from './balance.ts';
import { giveKudos } from './give-kudos.ts';
import { notAnAmount, notAnAmountToken, parseGive } from './grammar/give-grammar.ts';
import { showHistory } from './history.ts';
import { showLeaderboard } from './leaderboard.ts';
import type { RecognitionServices } from './recognition-services.ts';

const EXAMPLE = '@ana @li 10 for the launch #teamwork';

/**
 * The kudos command's router with the recognition subcommands. Every adapter (Slack,
 * Teams, the local console) sends its commands here; later features register more.
 */
export function createKudosRouter(services: RecognitionServices): CommandRouter {
  const give = async (command: Command, text: string): Promise<Reply> => {
    const parsed = parseGive(text, command.mentions, { commandName: command.commandName });
    if ('ok' in parsed) {
      // The organization's range is read only to say it, when an amount was refused.
      const token = notAnAmountToken(parsed);
      let message = parsed.message;
      if (token !== undefined) {
        const { settings } = await services.settings.load(command.actor.organizationId);
        message = notAnAmount(token, { min: settings.minAmount, max: settings.maxAmount }).message;
      }
      return textReply(`${message} Give kudos like this: ${command.commandName} ${EXAMPLE}`, {
        outcome: 'usage',
        code: 'usage',
      });
    }
    return giveKudos(services, command, parsed);
  };
  const router = new CommandRouter(give);
  return router
    .register({ name: 'give', usage: EXAMPLE, summary: 'thank people with points', handle: give })
    .register({
      name: 'balance',
      usage: '',
      summary: 'what you have left to give, and what you have earned',
      handle: (command) => showBalance(services, command),
    })
    .register({
      name: 'leaderboard',
      usage: '[week|month|quarter|all]',
      summary: 'who is recognized most',
      handle: (command, args) => showLeaderboard(services, command, args),
    })
    .register({
      name: 'history',
      usage: '',
      summary: 'your recent kudos, given and received',
      handle: (command) => showHistory(services, command),
    })
    .register({
      name: 'values',
      usage: '',
      summary: 'the company values to tag with #',
      handle: async (command) => {
        const { settings } = await services.settings.load(command.actor.organizationId);
        if (settings.values.length === 0) {
          return textReply(
            'This organization has no company values yet; any #hashtag is kept as one.',
          );
        }
        const items = settings.values.map((value) => `#${value}`);
        return {
          ...textReply(`Company values: ${items.join(', ')}`),
          blocks: [
            { kind: 'heading', text: 'Company values' },
            { kind: 'list', items },
          ],
        };
      },
    })
    .register({
      name: 'help',
      usage: '',
      summary: 'this list',
      handle: async (command) => {
        const lines = router.usage(command.commandName).split('\n');
        return {
          ...textReply(lines.join('\n')),
          blocks: [
            { kind: 'heading', text: 'Kudos commands' },
            { kind: 'list', items: lines },
          ],
        };
      },
    });
}
