import { CronExpressionParser } from 'cron-parser';
import { z } from 'zod/v4';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const postgresUrl = z
  .string()
  .refine((value) => /^postgres(ql)?:\/\/[^\s]+$/.test(value) && URL.canParse(value), {
    message: 'a postgres:// connection URL, such as postgres://user:password@host:5432/plaudit',
  });

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const redisUrl = z
  .string()
  .refine((value) => /^rediss?:\/\/[^\s]+$/.test(value) && URL.canParse(value), {
    message: 'a redis:// or rediss:// URL, such as redis://localhost:6379',
  });

const portNumber = z.coerce
  .number({ message: 'a port number from 0 to 65535' })
  .int({ message: 'a port number from 0 to 65535' })
  .min(0, { message: 'a port number from 0 to 65535' })
  .max(65535, { message: 'a port number from 0 to 65535' });

/** Five fields (minute to weekday) that cron-parser reads. */
function isCronPattern(value: string): boolean {
  if (value.split(/\s+/).length !== 5) return false;
  try {
    CronExpressionParser.parse(value, { tz: 'UTC' });
    return true;
  } catch {
    return false;
  }
}

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
  /** Key prefix of the job queues in Redis. @defaultValue plaudit */
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, { message: 'letters, digits, dots, dashes or underscores' })
    .default('plaudit'),
  /**
   * How long a worker that stopped answering (killed, frozen) keeps its running jobs before
   * another worker takes them over. @defaultValue 30000
   */
  JOBS_LOCK_MS: z.coerce
    .number({ message: 'milliseconds from 1000 to 600000' })
    .int({ message: 'milliseconds from 1000 to 600000' })
    .min(1000, { message: 'milliseconds from 1000 to 600000' })
    .max(600_000, { message: 'milliseconds from 1000 to 600000' })
    .default(30_000),
  /**
   * When the ledger verification runs (every organization's invariants, its result in
   * /metrics and the console's overview): a five-field cron pattern in UTC, or `off`
   * (`npm run ledger:verify` then checks by hand). Read by the processes that run jobs.
   * @defaultValue 17 * * * *
   */
  LEDGER_VERIFY_CRON: z
    .string()
    .trim()
    .refine((value) => value === 'off' || isCronPattern(value), {
      message: 'a five-field cron pattern such as 17 * * * * (hourly), or off',
    })
    .default('17 * * * *'),
  /**
   * What this process does: `web` serves HTTP, `worker` runs jobs, `all` both.
   * @defaultValue all
   */
  PLAUDIT_ROLE: z.enum(['all', 'web', 'worker'], { message: 'all, web or worker' }).default('all'),
  /** Folder of the embedded database. @defaultValue ./.plaudit */
  PLAUDIT_DATA_DIR: z.string().default('./.plaudit'),
  /** HTTP listen address. @defaultValue 127.0.0.1 */
  HOST: z.string().default('127.0.0.1'),
  /** HTTP port. @defaultValue 3000 */
  PORT: portNumber.default(3000),
  /**
   * HTTP port of a worker process (PLAUDIT_ROLE=worker), on HOST: /healthz, /readyz and
   * /metrics. Its own, so a web process and a worker can run on one machine.
   * @defaultValue 3001
   */
  WORKER_PORT: portNumber.default(3001),
  /** pino log level. @defaultValue info */
  LOG_LEVEL: z.enum(LOG_LEVELS, { message: `one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  /**
   * The operators' secret for the queue dashboard at /admin/queues (HTTP Basic password, or
   * a bearer token); the admin API will take it as its first token, and /metrics asks for
   * it. Unset: no dashboard, and /metrics is open.
   */
  PLAUDIT_ADMIN_TOKEN: z
    .string()
    .min(24, { message: 'at least 24 characters (e.g. openssl rand -hex 24)' })
    .optional(),
  /**
   * A token for Prometheus's scrapes: /metrics accepts it (bearer token or HTTP Basic
   * password) as well as PLAUDIT_ADMIN_TOKEN, and it opens nothing else. Unset: /metrics
   * asks for the admin token, or is open when that is unset too.
   */
  METRICS_TOKEN: z
    .string()
    .min(24, { message: 'at least 24 characters (e.g. openssl rand -hex 24)' })
    .optional(),
  /**
   * Requests per minute each API token may make to /api/v1 (counted in Redis across web
   * processes when REDIS_URL is set); more get 429 with Retry-After. @defaultValue 600
   */
  API_RATE_LIMIT: z.coerce
    .number({ message: 'a whole number of requests per minute from 1 to 1000000' })
    .int({ message: 'a whole number of requests per minute from 1 to 1000000' })
    .min(1, { message: 'a whole number of requests per minute from 1 to 1000000' })
    .max(1_000_000, { message: 'a whole number of requests per minute from 1 to 1000000' })
    .default(600),
  /**
   * Failed authentications per minute one client address may make to /api/v1 (a bearer
   * value that is malformed, unknown or revoked). Past it, every request from that address
   * with an Authorization header gets 429 with Retry-After, a valid token too, and no token
   * is looked up: a guess cannot be told from a hit. The address is the connection's
   * (Express's `trust proxy` is not set), so behind a reverse proxy all clients share one.
   * @defaultValue 30
   */
  API_AUTH_FAILURE_LIMIT: z.coerce
    .number({ message: 'a whole number of failures per minute from 1 to 1000000' })
    .int({ message: 'a whole number of failures per minute from 1 to 1000000' })
    .min(1, { message: 'a whole number of failures per minute from 1 to 1000000' })
    .max(1_000_000, { message: 'a whole number of failures per minute from 1 to 1000000' })
    .default(30),
  /**
   * The shared secret that signs redemption webhooks (`X-Plaudit-Signature`); rewards
   * fulfilled by webhook need it. Unset: such redemptions wait for HR, then expire.
   */
  REWARD_WEBHOOK_SECRET: z
    .string()
    .min(24, { message: 'at least 24 characters (e.g. openssl rand -hex 24)' })
    .optional(),
  /**
   * The address people open Plaudit at (https://kudos.example.com), for the web console's
   * sign-in links; the listening address unless given. Cookies are `Secure` when it is https.
   */
  PUBLIC_URL: z
    .string()
    .refine((value) => /^https?:\/\/[^/]/.test(value) && URL.canParse(value), {
      message: 'an http(s) URL such as https://kudos.example.com',
    })
    .transform((value) => value.replace(/\/+$/, ''))
    .optional(),
  /**
   * Signs the web console's session cookies and form tokens; every web process needs the
   * same one. Unset: a random key per process, so sessions end at a restart.
   */
  CONSOLE_SECRET: z
    .string()
    .min(32, { message: 'at least 32 characters (e.g. openssl rand -hex 32)' })
    .optional(),
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
  /** The bot's Microsoft App ID (Azure Bot or Teams Developer Portal); turns the Teams adapter on. */
  TEAMS_APP_ID: z
    .string()
    .regex(GUID, { message: "the bot's Microsoft App ID, a GUID" })
    .optional(),
  /** The bot's client secret, for the tokens of its replies. */
  TEAMS_APP_PASSWORD: z.string().min(1).optional(),
  /** Whether the bot's Azure app registration is multi- or single-tenant. @defaultValue MultiTenant */
  TEAMS_APP_TYPE: z
    .enum(['MultiTenant', 'SingleTenant'], { message: 'MultiTenant or SingleTenant' })
    .default('MultiTenant'),
  /** The Microsoft 365 tenant of a single-tenant bot; also allowed to use it. */
  TEAMS_TENANT_ID: z.string().regex(GUID, { message: 'a tenant id, a GUID' }).optional(),
  /** Comma-separated tenant ids whose people may use the bot; others get a polite refusal. */
  TEAMS_ALLOWED_TENANTS: z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((tenant) => tenant.trim().toLowerCase())
        .filter((tenant) => tenant.length > 0),
    )
    .refine((tenants) => tenants.every((tenant) => GUID.test(tenant)), {
      message: 'a comma-separated list of tenant ids (GUIDs)',
    })
    .default([]),
  /**
   * Where the Bot Framework publishes the keys that sign its requests; change it only for a
   * national cloud. @defaultValue https://login.botframework.com/v1/.well-known/openidconfiguration
   */
  TEAMS_OPENID_METADATA_URL: z
    .string()
    .refine(
      (value) =>
        URL.canParse(value) &&
        (value.startsWith('https://') || /^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(value)),
      // The keys that vouch for every request must not travel in the clear.
      { message: 'an https URL (http only on this machine, for tests)' },
    )
    .default('https://login.botframework.com/v1/.well-known/openidconfiguration'),
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
  if (config.PLAUDIT_ROLE !== 'all' && !config.DATABASE_URL) {
    problems.push(
      `DATABASE_URL must be set when PLAUDIT_ROLE is ${config.PLAUDIT_ROLE}: web and worker processes share one database, and the embedded one belongs to a single process.`,
    );
  }
  if (config.PLAUDIT_ROLE !== 'all' && !config.REDIS_URL) {
    problems.push(
      `REDIS_URL must be set when PLAUDIT_ROLE is ${config.PLAUDIT_ROLE}: web and worker processes share their jobs through Redis.`,
    );
  }
  problems.push(...teamsProblems(config, slack));
  return problems;
}

function teamsProblems(config: Config, slack: boolean): string[] {
  const problems: string[] = [];
  if (!config.TEAMS_APP_ID) {
    const set =
      config.TEAMS_APP_PASSWORD !== undefined ||
      config.TEAMS_TENANT_ID !== undefined ||
      (slack && config.TEAMS_ALLOWED_TENANTS.length > 0);
    if (set || (slack && config.TEAMS_APP_TYPE === 'SingleTenant')) {
      problems.push(
        'TEAMS_APP_ID must be set for the Teams adapter: without it /api/messages would accept unauthenticated requests, which only local mode allows.',
      );
    }
    return problems;
  }
  if (!config.TEAMS_APP_PASSWORD) {
    problems.push(
      "TEAMS_APP_PASSWORD must be set (a client secret of the bot's app registration): the bot's replies are signed with it.",
    );
  }
  if (config.TEAMS_APP_TYPE === 'SingleTenant' && !config.TEAMS_TENANT_ID) {
    problems.push('TEAMS_TENANT_ID must be set when TEAMS_APP_TYPE is SingleTenant.');
  }
  if (!config.TEAMS_TENANT_ID && config.TEAMS_ALLOWED_TENANTS.length === 0) {
    problems.push(
      'TEAMS_ALLOWED_TENANTS (or TEAMS_TENANT_ID) must name the Microsoft 365 tenants whose people may use the bot.',
    );
  }
  return problems;
}

/** The Microsoft 365 tenants whose people may use the Teams bot; empty means any (local mode only). */
export function allowedTeamsTenants(config: Config): string[] {
  const tenants = new Set(config.TEAMS_ALLOWED_TENANTS);
  if (config.TEAMS_TENANT_ID) tenants.add(config.TEAMS_TENANT_ID.toLowerCase());
  return [...tenants];
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
