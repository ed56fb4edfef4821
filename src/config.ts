import { z } from 'zod/v4';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const postgresUrl = z
  .string()
  .refine((value) => /^postgres(ql)?:\/\/[^\s]+$/.test(value) && URL.canParse(value), {
    message: 'a postgres:// connection URL, such as postgres://user:password@host:5432/plaudit',
  });

const redisUrl = z
  .string()
  .refine((value) => /^rediss?:\/\/[^\s]+$/.test(value) && URL.canParse(value), {
    message: 'a redis:// or rediss:// URL, such as redis://localhost:6379',
  });

/** The environment variables Plaudit reads, each documented in README.md. */
export const configSchema = z.object({
  /** Postgres connection URL; when unset, the embedded PGlite database is used. */
  DATABASE_URL: postgresUrl.optional(),
  /** Most connections the Postgres pool opens. @defaultValue 10 */
  DATABASE_POOL_SIZE: z.coerce
    .number({ message: 'a whole number from 1 to 200' })
    .int({ message: 'a whole number from 1 to 200' })
    .min(1, { message: 'a whole number from 1 to 200' })
    .max(200, { message: 'a whole number from 1 to 200' })
    .default(10),
  /** Redis connection URL for the job queues; when unset, jobs run inline. */
  REDIS_URL: redisUrl.optional(),
  /** Folder of the embedded database. @defaultValue ./.plaudit */
  PLAUDIT_DATA_DIR: z.string().default('./.plaudit'),
  /** HTTP listen address. @defaultValue 127.0.0.1 */
  HOST: z.string().default('127.0.0.1'),
  /** HTTP port. @defaultValue 3000 */
  PORT: z.coerce
    .number({ message: 'a port number from 0 to 65535' })
    .int({ message: 'a port number from 0 to 65535' })
    .min(0, { message: 'a port number from 0 to 65535' })
    .max(65535, { message: 'a port number from 0 to 65535' })
    .default(3000),
  /** pino log level. @defaultValue info */
  LOG_LEVEL: z.enum(LOG_LEVELS, { message: `one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  /** Slack bot token (xoxb-…); setting it turns the Slack adapter on. */
  SLACK_BOT_TOKEN: z
    .string()
    .regex(/^xoxb-\S+$/, { message: 'a Slack bot token starting with xoxb-' })
    .optional(),
  /** Verifies Slack's HTTP requests; required in HTTP mode. */
  SLACK_SIGNING_SECRET: z.string().min(1).optional(),
  /** App-level token (xapp-…) for Socket Mode; unset means HTTP mode on /slack/events. */
  SLACK_APP_TOKEN: z
    .string()
    .regex(/^xapp-\S+$/, { message: 'a Slack app-level token starting with xapp-' })
    .optional(),
  /** Slack Web API base URL; tests point it at a local fake. @defaultValue https://slack.com/api/ */
  SLACK_API_URL: z
    .string()
    .refine((value) => /^https?:\/\//.test(value) && URL.canParse(value), {
      message: 'an http(s) URL such as https://slack.com/api/',
    })
    // The Web API client appends method names to it, so it must end with a slash.
    .transform((value) => (value.endsWith('/') ? value : `${value}/`))
    .default('https://slack.com/api/'),
  /** The slash command as configured in the Slack app. @defaultValue /kudos */
  SLACK_COMMAND: z
    .string()
    .regex(/^\/[a-z0-9_-]{1,31}$/, { message: 'a slash command such as /kudos' })
    .default('/kudos'),
});

export type Config = z.infer<typeof configSchema>;

/** Settings that only make sense together, each refused with the sentence that fixes it. */
function checkCombinations(config: Config): string[] {
  const problems: string[] = [];
  const slack = config.SLACK_BOT_TOKEN !== undefined;
  if (slack && !config.SLACK_APP_TOKEN && !config.SLACK_SIGNING_SECRET) {
    problems.push(
      "SLACK_SIGNING_SECRET must be set (from the Slack app's Basic Information page): requests on /slack/events are verified with it.",
    );
  }
  if (!slack && (config.SLACK_SIGNING_SECRET || config.SLACK_APP_TOKEN)) {
    problems.push(
      'SLACK_BOT_TOKEN must be set too: the Slack adapter needs the bot token to answer.',
    );
  }
  return problems;
}

/** A configuration error whose message is one sentence naming the variable. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * Parses the environment once, at start. The message of a refusal names the variable and
 * what it expects, and never repeats the value (it may be a secret).
 */
export function parseConfig(env: Record<string, string | undefined>): Config {
  // An empty variable (`PORT=` in an .env file) means unset, as it does to most tools.
  const set = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = configSchema.safeParse(set);
  if (parsed.success) {
    const problems = checkCombinations(parsed.data);
    if (problems.length === 0) return parsed.data;
    throw new ConfigError(problems.join(' '));
  }
  const sentences = parsed.error.issues.map((issue) => {
    const variable = String(issue.path[0] ?? 'configuration');
    return `${variable} must be ${issue.message}.`;
  });
  throw new ConfigError(sentences.join(' '));
}
