/**
 * The environment that lets a test's chat commands wait as long as they need before they
 * start. A test's Plaudit answers in the process that runs the test (and, with files not
 * isolated, beside what earlier files left), so a collection or a busy machine can hold a
 * command past the platform's 1 s before its handler runs, and it would be shed as late:
 * "too busy", no member made, a failure that says nothing of what the test is about.
 * Shedding a late command is tested where it is the subject (test/unit/command-admission).
 */
export const UNHURRIED_COMMANDS: Readonly<Record<string, string>> = {
  CHAT_COMMAND_MAX_WAIT_MS: '600000',
};

/**
 * Sends paced a tenth as far apart as in production: tests that wait for a second message
 * to a channel or person would otherwise sit out Slack's 1 s and Teams' 2 s turns. The
 * pacing itself is tested at production's turns, where it is the subject
 * (slack-notification-jobs, teams-announcements).
 */
export const QUICK_SENDS: Readonly<Record<string, string>> = {
  SLACK_SEND_TURN_MS: '100',
  TEAMS_SEND_TURN_MS: '200',
};
