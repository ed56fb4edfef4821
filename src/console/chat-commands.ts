/** The chat platforms a deployment serves, as the console tells people to use them. */
export interface ConsoleChat {
  /** The Slack app's slash command, when Slack is on. */
  readonly slackCommand?: string;
  /** Whether Teams is on. */
  readonly teams?: boolean;
}

/**
 * How to send a command (`admin console`, `redeem`) on the chat platforms this deployment
 * serves: the Slack command as configured, the bot's chat in Teams. With neither (local
 * mode), the default command in either.
 */
export function chatCommand(chat: ConsoleChat | undefined, words: string): string {
  const ways = [
    ...(chat?.slackCommand ? [`${chat.slackCommand} ${words} in Slack`] : []),
    ...(chat?.teams ? [`${words} to Plaudit in Teams`] : []),
  ];
  return ways.length > 0 ? ways.join(', or ') : `/kudos ${words} in Slack or Teams`;
}
