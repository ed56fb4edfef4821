import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { type RunningPlaudit, type StartOptions, startPlaudit } from '../../../src/app.ts';
import { parseConfig } from '../../../src/config.ts';
import { FakeSlackApi } from '../../support/fake-slack-api.ts';

export interface ApiPlaudit {
  readonly plaudit: RunningPlaudit;
  /** The organization of the deployment's own Slack workspace. */
  readonly organizationId: number;
  close(): Promise<void>;
}

/**
 * Plaudit on the shared Postgres, as a Slack deployment of a workspace of its own (on a
 * local fake of Slack's Web API). Not local mode: every local-mode start on the shared
 * database would replace the demo organization's API token, and concurrent first starts
 * race to create the demo organization. The API serves every organization by its tokens.
 */
export async function startApiPlaudit(
  env: Record<string, string> = {},
  options: StartOptions = {},
  fake = new FakeSlackApi({
    id: `T${randomUUID().slice(0, 8).toUpperCase()}`,
    name: 'API',
    botUserId: 'UBOT',
  }),
): Promise<ApiPlaudit> {
  const owned = !fake.url;
  if (owned) await fake.start();
  const plaudit = await startPlaudit(
    parseConfig({
      PORT: '0',
      LOG_LEVEL: 'silent',
      DATABASE_URL: inject('databaseUrl'),
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_SIGNING_SECRET: 'test-signing-secret',
      SLACK_API_URL: `${fake.url}/api/`,
      ...env,
    }),
    { print: () => undefined, ...options },
  );
  return {
    plaudit,
    organizationId: plaudit.slack?.workspace?.organizationId as number,
    async close() {
      await plaudit.close();
      if (owned) await fake.stop();
    },
  };
}
