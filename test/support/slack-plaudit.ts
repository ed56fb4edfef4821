import { inject } from 'vitest';
import { type RunningPlaudit, startPlaudit } from '../../src/app.ts';
import { parseConfig } from '../../src/config.ts';
import { QUICK_SENDS, UNHURRIED_COMMANDS } from './chat-test-settings.ts';
import type { FakeSlackApi } from './fake-slack-api.ts';

/** The secret the test Slack app signs its requests with. */
export const SIGNING_SECRET = 'test-signing-secret';

/** The environment of a Plaudit whose Slack app talks to the fake Slack API. */
export function slackEnv(fake: FakeSlackApi): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: 'xoxb-test-token',
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: `${fake.url}/api/`,
    ...UNHURRIED_COMMANDS,
    ...QUICK_SENDS,
  };
}

/**
 * A Slack-only Plaudit on the test database, its app talking to the (started) fake Slack API;
 * `env` adds settings (PLAUDIT_INITIAL_ADMINS names its admins).
 */
export function startSlackPlaudit(
  fake: FakeSlackApi,
  env: Record<string, string> = {},
): Promise<RunningPlaudit> {
  return startPlaudit(
    parseConfig({
      PORT: '0',
      LOG_LEVEL: 'silent',
      DATABASE_URL: inject('databaseUrl'),
      ...slackEnv(fake),
      ...env,
    }),
  );
}

/**
 * A Slack web process's environment (PLAUDIT_ROLE web) on the run's database and on Redis
 * under `prefix`, with production's command windows and send turns: for tests of the
 * notifications a worker sends (start it with `startWebBesideTaker`).
 */
export function slackWebEnv(
  fake: FakeSlackApi,
  prefix: string,
  env: Record<string, string> = {},
): Record<string, string> {
  return {
    PORT: '0',
    LOG_LEVEL: 'silent',
    DATABASE_URL: inject('databaseUrl'),
    REDIS_URL: inject('redisUrl'),
    REDIS_PREFIX: prefix,
    PLAUDIT_ROLE: 'web',
    SLACK_BOT_TOKEN: 'xoxb-test-token',
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: `${fake.url}/api/`,
    ...env,
  };
}
