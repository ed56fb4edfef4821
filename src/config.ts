import { CronExpressionParser } from 'cron-parser';
import { z } from 'zod/v4';
import { isEmailAddress } from './directory/members.ts';
import { trustedProxyEntry } from './http/trusted-proxies.ts';
import { allowListEntry } from './rewards/webhook-addresses.ts';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const postgresUrl = z
  .string()
  .refine((value) => /^postgres(ql)?:\/\/[^\s]+$/.test(value) && URL.canParse(value), {
    message: 'a postgres:// connection URL, such as postgres://user:password@host:5432/plaudit',
  });

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** TEAMS_ALLOWED_TENANTS' word for any tenant at all. */
const ANY_TENANT = '*';

const redisUrl = z
  .string()
  .refine((value) => /^rediss?:\/\/[^\s]+$/.test(value) && URL.canParse(value), {
    message: 'a redis:// or rediss:// URL, such as redis://localhost:6379',
  });

/** A comma-separated setting's entries, trimmed and lower-cased, empty ones dropped. */
function commaList(value: string): string[] {
  return value
    .split(',')
    .map((entry) => entry.trim().toLowerCase())
    .filter((entry) => entry.length > 0);
}

/**
 * A whole-number setting within [min, max], refused as `${what} from ${min} to ${max}`
 * (`what` names the unit: "a port number", "milliseconds").
 */
function wholeNumber(min: number, max: number, what = 'a whole number') {
  const message = `${what} from ${min} to ${max}`;
  return z.coerce.number({ message }).int({ message }).min(min, { message }).max(max, { message });
}

/** A duration setting in whole milliseconds within [min, max], refused with its range. */
function milliseconds(min: number, max: number) {
  return wholeNumber(min, max, 'milliseconds');
}

const portNumber = wholeNumber(0, 65535, 'a port number');

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
  DATABASE_POOL_SIZE: wholeNumber(1, 200).default(10),
  /**
   * How long opening a Postgres connection may take before the attempt fails (a server
   * that is down or unreachable answers nothing, rather than refusing). @defaultValue 5000
   */
  DATABASE_CONNECT_TIMEOUT_MS: milliseconds(100, 120_000).default(5_000),
  /**
   * How long one statement may run: Postgres cancels it after this (`statement_timeout`),
   * and Plaudit gives up on a connection whose answer is 2 s later than that (a server
   * frozen or cut off never answers). Migrations and `ledger:verify` are not limited.
   * @defaultValue 10000
   */
  DATABASE_STATEMENT_TIMEOUT_MS: milliseconds(100, 3_600_000).default(10_000),
  /**
   * How long a transaction may sit idle before Postgres ends its session
   * (`idle_in_transaction_session_timeout`), releasing the rows it locked. @defaultValue 10000
   */
  DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: milliseconds(100, 3_600_000).default(10_000),
  /**
   * How long a Postgres connection may be quiet before TCP keep-alive probes check that the
   * server is still there, so a connection whose server vanished is noticed. @defaultValue 10000
   */
  DATABASE_KEEPALIVE_MS: milliseconds(1_000, 3_600_000).default(10_000),
  /**
   * Chat commands (Slack, Teams) a web process runs at once; one more is answered at once
   * that Plaudit is busy and nothing was done, rather than started and answered late.
   * @defaultValue 32
   */
  CHAT_COMMANDS_IN_FLIGHT: wholeNumber(1, 10_000).default(32),
  /**
   * How long a chat command may wait in a web process, from its arrival to the start of its
   * work, before it is shed as late (answered busy, nothing done); when unset, each
   * platform's own: 1,000 ms on Slack (which waits 3 s for the ack) and 5,000 ms on Teams
   * (15 s). Raise it where the machine stalls for longer than that while not overloaded.
   */
  CHAT_COMMAND_MAX_WAIT_MS: wholeNumber(100, 600_000, 'a whole number of milliseconds').optional(),
  /**
   * How far apart Plaudit's messages to one Slack channel or person go, shared by every
   * process (Slack takes about one a second per channel). @defaultValue 1000
   */
  SLACK_SEND_TURN_MS: milliseconds(10, 60_000).default(1000),
  /**
   * How far apart Plaudit's messages to one Teams chat or channel go, shared by every
   * process (one every two seconds keeps a chat within Teams' 1,800 an hour).
   * @defaultValue 2000
   */
  TEAMS_SEND_TURN_MS: milliseconds(10, 60_000).default(2000),
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
  JOBS_LOCK_MS: milliseconds(1000, 600_000).default(30_000),
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
  /**
   * `allow` lets a process listening beyond loopback (HOST other than 127.0.0.1, localhost or
   * ::1) run on the embedded database when DATABASE_URL is unset; without it, such a start
   * is refused, so production never lands on PGlite by accident. @defaultValue refuse
   */
  PLAUDIT_EMBEDDED_DATABASE: z
    .enum(['allow', 'refuse'], { message: 'allow or refuse' })
    .default('refuse'),
  /**
   * `allow` lets a process listening beyond loopback run in local mode (neither Slack nor
   * Teams configured), where the console and /api/messages let anyone who reaches the port
   * act as any demo member without signing in; without it, such a start is refused, so a
   * server is never opened to the network before its chat platform is set. @defaultValue refuse
   */
  PLAUDIT_LOCAL_MODE: z.enum(['allow', 'refuse'], { message: 'allow or refuse' }).default('refuse'),
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
  /**
   * The CPU niceness a worker process (PLAUDIT_ROLE=worker) gives itself at start (0 to 19;
   * 0 leaves it as started): its jobs (notifications, resets, redemptions) can wait, so on a
   * machine it shares with a web process, answers to people get the cores first.
   * @defaultValue 10
   */
  WORKER_NICENESS: wholeNumber(0, 19, 'a niceness').default(10),
  /** pino log level. @defaultValue info */
  LOG_LEVEL: z.enum(LOG_LEVELS, { message: `one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  /**
   * The operators' secret for the queue dashboard at /admin/queues and the billing
   * statements at /admin/statements/<organization id>/YYYY-MM.csv (HTTP Basic password, or
   * a bearer token); /metrics asks for it; and it is the first admin token of the HTTP API
   * while the database holds one organization (with several, no organization's). Unset: no
   * dashboard, no statements, and /metrics is open.
   */
  PLAUDIT_ADMIN_TOKEN: z
    .string()
    .min(24, { message: 'at least 24 characters (e.g. openssl rand -hex 24)' })
    .optional(),
  /**
   * Comma-separated emails of the first admins. A person whose email (as Slack or Teams
   * reports it) is listed becomes admin when Plaudit first sees them, and one already a
   * member when a web process starts; in any letter case. Nobody else becomes admin by
   * using Plaudit: without it, the person who installs through OAuth is, or an operator
   * names one with `npm run admin:grant -- email`. Each grant is in the audit log.
   * @defaultValue none
   */
  PLAUDIT_INITIAL_ADMINS: z
    .string()
    .transform(commaList)
    .refine((emails) => emails.every(isEmailAddress), {
      message: 'a comma-separated list of email addresses, such as ana@example.com,li@example.com',
    })
    .default([]),
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
   * processes when REDIS_URL is set, and in each process's memory while Redis is away);
   * more get 429 with Retry-After. @defaultValue 600
   */
  API_RATE_LIMIT: wholeNumber(1, 1_000_000, 'a whole number of requests per minute').default(600),
  /**
   * Failed authentications per minute one client address may make, in one count for every
   * address that takes a secret: /api/v1 (a bearer value that is malformed, unknown or
   * revoked), and the admin token's /admin/queues, /metrics and /admin/statements. Past it,
   * every request from that address with an Authorization header gets 429 with
   * Retry-After, a valid token too, and no token is compared: a guess cannot be told from a
   * hit. Counted like API_RATE_LIMIT (in memory while Redis is away, never switched off).
   * The address is the connection's, or, when the connection comes from a proxy named by
   * TRUST_PROXY, the client's as that proxy tells it (X-Forwarded-For).
   * @defaultValue 30
   */
  API_AUTH_FAILURE_LIMIT: wholeNumber(
    1,
    1_000_000,
    'a whole number of failures per minute',
  ).default(30),
  /**
   * The reverse proxies in front of Plaudit whose X-Forwarded-For is believed, so a client's
   * address (the failed-authentication limit's key) is the client's, not the proxy's:
   * comma-separated `loopback`, `linklocal`, `uniquelocal` (10/8, 172.16/12, 192.168/16,
   * fc00::/7), IP addresses or CIDR ranges (Express's `trust proxy`). Unset: no proxy is
   * believed, and every client behind one shares the proxy's address.
   * @defaultValue none
   */
  TRUST_PROXY: z
    .string()
    .transform(commaList)
    .refine((entries) => entries.length > 0 && entries.every(trustedProxyEntry), {
      message:
        'a comma-separated list of loopback, linklocal, uniquelocal, IP addresses (10.1.2.3) or CIDR ranges (172.16.0.0/12)',
    })
    .optional(),
  /**
   * The shared secret that signs redemption webhooks (`X-Plaudit-Signature`); rewards
   * fulfilled by webhook need it. Unset: such redemptions wait for HR, then expire.
   */
  REWARD_WEBHOOK_SECRET: z
    .string()
    .min(24, { message: 'at least 24 characters (e.g. openssl rand -hex 24)' })
    .optional(),
  /**
   * Comma-separated hosts inside the company's network that redemption webhooks may go to:
   * hostnames (`fulfil.corp.example`, matched exactly), IP addresses, or CIDR ranges
   * (`10.20.0.0/16`). Otherwise a webhook may go only to addresses on the internet: loopback,
   * private, link-local, carrier-grade NAT, multicast, reserved and cloud metadata
   * addresses are refused when HR saves the address and again, after DNS, when it is sent.
   * A range never opens a cloud metadata address (169.254.169.254): only the address, listed.
   * @defaultValue none
   */
  REWARD_WEBHOOK_ALLOWED_HOSTS: z
    .string()
    .transform(commaList)
    .refine((entries) => entries.every((entry) => allowListEntry(entry) !== undefined), {
      message:
        'a comma-separated list of hostnames (fulfil.corp.example), IP addresses (10.1.2.3) or CIDR ranges (10.20.0.0/16)',
    })
    .default([]),
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
  /**
   * The Slack app's client id (*Basic Information*): with SLACK_CLIENT_SECRET,
   * SLACK_STATE_SECRET and PLAUDIT_ENCRYPTION_KEY it turns on OAuth mode, where workspaces
   * and Enterprise Grid organizations install Plaudit from /slack/install ("Add to Slack")
   * instead of a pasted SLACK_BOT_TOKEN. Unset: no OAuth install.
   */
  SLACK_CLIENT_ID: z
    .string()
    .regex(/^\d+\.\d+$/, { message: "the Slack app's client id, such as 1234567890.1234567890" })
    .optional(),
  /** The Slack app's client secret (*Basic Information*), for OAuth mode. */
  SLACK_CLIENT_SECRET: z.string().min(1).optional(),
  /**
   * Signs the OAuth `state` an install starts with, which the redirect must bring back in
   * the same browser; for OAuth mode. Every web process needs the same one.
   */
  SLACK_STATE_SECRET: z
    .string()
    .min(32, { message: 'at least 32 characters (e.g. openssl rand -hex 32)' })
    .optional(),
  /**
   * Slack's authorize page, where /slack/install sends the installer; tests point it at a
   * local fake. @defaultValue https://slack.com/oauth/v2/authorize
   */
  SLACK_AUTHORIZE_URL: z
    .string()
    .refine((value) => /^https?:\/\//.test(value) && URL.canParse(value), {
      message: 'an http(s) URL such as https://slack.com/oauth/v2/authorize',
    })
    .default('https://slack.com/oauth/v2/authorize'),
  /**
   * The key that encrypts Slack tokens at rest (AES-256-GCM): 32 random bytes as 64 hex
   * digits or base64 (e.g. openssl rand -hex 32). Required in OAuth mode; every process needs
   * the same one. Each stored token names the key it was sealed with (a key id), so a later
   * key can be told apart.
   */
  PLAUDIT_ENCRYPTION_KEY: z
    .string()
    .trim()
    .refine((value) => encryptionKeyBytes(value) !== undefined, {
      message: '32 bytes as 64 hex digits or as base64 (e.g. openssl rand -hex 32)',
    })
    .optional(),
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
  /**
   * Comma-separated tenant ids whose people may use the bot, each as an organization of
   * its own (until an admin links it to another); others get a polite refusal. `*` alone
   * lets any tenant in, and only with TEAMS_ALLOW_ANY_TENANT=true.
   */
  TEAMS_ALLOWED_TENANTS: z
    .string()
    .transform(commaList)
    .refine(
      (tenants) =>
        (tenants.length === 1 && tenants[0] === ANY_TENANT) ||
        tenants.every((tenant) => GUID.test(tenant)),
      { message: 'a comma-separated list of tenant ids (GUIDs), or * alone' },
    )
    .default([]),
  /**
   * The opt-in TEAMS_ALLOWED_TENANTS=* needs: anyone's Microsoft 365 tenant may then use
   * the bot and gets an organization here (for hosting providers). @defaultValue false
   */
  TEAMS_ALLOW_ANY_TENANT: z
    .enum(['true', 'false'], { message: 'true or false' })
    .default('false')
    .transform((value) => value === 'true'),
  /**
   * Where the Bot Framework publishes the keys that sign its requests; change it only for a
   * national cloud. @defaultValue https://login.botframework.com/v1/.well-known/openidconfiguration
   */
  TEAMS_OPENID_METADATA_URL: keysUrl().default(
    'https://login.botframework.com/v1/.well-known/openidconfiguration',
  ),
  /**
   * Where Microsoft Entra ID publishes the keys that sign the tokens the personal tab signs
   * in with (Teams SSO); change it only for a national cloud.
   * @defaultValue https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration
   */
  TEAMS_SSO_OPENID_METADATA_URL: keysUrl().default(
    'https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration',
  ),
});

/** Where signing keys are published: https, since they vouch for every request. */
function keysUrl() {
  return z.string().refine(
    (value) =>
      URL.canParse(value) &&
      (value.startsWith('https://') || /^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(value)),
    // The keys that vouch for every request must not travel in the clear.
    { message: 'an https URL (http only on this machine, for tests)' },
  );
}

export type Config = z.infer<typeof configSchema>;

/** Settings that only make sense together, each refused with the sentence that fixes it. */
function checkCombinations(config: Config): string[] {
  const problems: string[] = [];
  const slack = slackOn(config);
  problems.push(...slackOAuthProblems(config));
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
  problems.push(...listeningProblems(config));
  problems.push(...teamsProblems(config, slack));
  return problems;
}

/** The addresses that only this machine can reach. */
export const LOOPBACK_HOSTS: readonly string[] = ['127.0.0.1', 'localhost', '::1'];

/** What a process listening beyond loopback (HOST) needs that a local one does without. */
function listeningProblems(config: Config): string[] {
  if (LOOPBACK_HOSTS.includes(config.HOST)) return [];
  const problems: string[] = [];
  // web and worker are already refused without DATABASE_URL, above.
  if (
    config.PLAUDIT_ROLE === 'all' &&
    !config.DATABASE_URL &&
    config.PLAUDIT_EMBEDDED_DATABASE !== 'allow'
  ) {
    problems.push(
      `DATABASE_URL must be set when listening on ${config.HOST}: the embedded database is for one machine's trial, so production runs on Postgres (set PLAUDIT_EMBEDDED_DATABASE=allow to run embedded on purpose).`,
    );
  }
  // A worker serves only /healthz, /readyz and /metrics: no console, no link anyone opens.
  if (
    config.PLAUDIT_ROLE !== 'worker' &&
    localMode(config) &&
    config.PLAUDIT_LOCAL_MODE !== 'allow'
  ) {
    problems.push(
      `Slack (SLACK_BOT_TOKEN, or the SLACK_CLIENT_ID OAuth settings) or Teams (TEAMS_APP_ID) must be set when listening on ${config.HOST}: without either, Plaudit runs in local mode, where anyone who reaches this port acts as any demo member, admin included, without signing in (set PLAUDIT_LOCAL_MODE=allow to run it so on purpose).`,
    );
  }
  if (config.PLAUDIT_ROLE !== 'worker' && !config.PUBLIC_URL) {
    problems.push(
      `PUBLIC_URL must be set when listening on ${config.HOST} (the https address people and Slack or Teams reach Plaudit at, such as https://kudos.example.com): the listening address is no address anyone can open.`,
    );
  }
  return problems;
}

/** Whether Slack workspaces install Plaudit through OAuth ("Add to Slack"). */
export function slackOAuth(config: Config): boolean {
  return config.SLACK_CLIENT_ID !== undefined;
}

/** Whether Slack is served: one workspace's bot token, or OAuth installs. */
export function slackOn(config: Config): boolean {
  return config.SLACK_BOT_TOKEN !== undefined || slackOAuth(config);
}

/**
 * Local mode: no chat platform is configured, so the console (and an unauthenticated
 * /api/messages for the Bot Framework Emulator) is the way in.
 */
export function localMode(config: Config): boolean {
  return !slackOn(config) && !config.TEAMS_APP_ID;
}

function slackOAuthProblems(config: Config): string[] {
  const oauthSet =
    config.SLACK_CLIENT_ID !== undefined ||
    config.SLACK_CLIENT_SECRET !== undefined ||
    config.SLACK_STATE_SECRET !== undefined;
  if (!oauthSet) return [];
  if (config.SLACK_BOT_TOKEN) {
    return [
      'SLACK_BOT_TOKEN and SLACK_CLIENT_ID/SLACK_CLIENT_SECRET/SLACK_STATE_SECRET are two ways to connect Slack: set the bot token for one workspace, or the OAuth settings for installs from /slack/install, not both.',
    ];
  }
  const missing = (
    [
      'SLACK_CLIENT_ID',
      'SLACK_CLIENT_SECRET',
      'SLACK_STATE_SECRET',
      'PLAUDIT_ENCRYPTION_KEY',
    ] as const
  ).filter((name) => config[name] === undefined);
  const problems: string[] = [];
  if (missing.length > 0) {
    problems.push(
      `${missing.join(', ')} must be set too: Slack OAuth installs need the app's client id and secret, a state secret, and a key that encrypts the tokens they store.`,
    );
  }
  if (config.SLACK_APP_TOKEN) {
    problems.push(
      'SLACK_APP_TOKEN must be unset for OAuth installs: they are served over HTTP (/slack/install, /slack/oauth_redirect, /slack/events), not Socket Mode.',
    );
  }
  return problems;
}

/** PLAUDIT_ENCRYPTION_KEY's 32 bytes, from 64 hex digits or base64; undefined otherwise. */
export function encryptionKeyBytes(value: string): Buffer | undefined {
  if (/^[0-9a-f]{64}$/i.test(value)) return Buffer.from(value, 'hex');
  if (/^[A-Za-z0-9+/]{43}=?$/.test(value) || /^[A-Za-z0-9_-]{43}=?$/.test(value)) {
    const bytes = Buffer.from(
      value,
      value.includes('-') || value.includes('_') ? 'base64url' : 'base64',
    );
    return bytes.length === 32 ? bytes : undefined;
  }
  return undefined;
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
  if (anyTeamsTenant(config) && !config.TEAMS_ALLOW_ANY_TENANT) {
    problems.push(
      "TEAMS_ALLOWED_TENANTS=* lets anyone's Microsoft 365 tenant use this bot and create an organization here, so it needs TEAMS_ALLOW_ANY_TENANT=true as well (for hosting); otherwise list your tenant ids.",
    );
  }
  if (anyTeamsTenant(config) && config.TEAMS_APP_TYPE === 'SingleTenant') {
    problems.push(
      'TEAMS_ALLOWED_TENANTS=* needs TEAMS_APP_TYPE=MultiTenant: a single-tenant bot serves TEAMS_TENANT_ID alone.',
    );
  }
  if (!config.TEAMS_TENANT_ID && config.TEAMS_ALLOWED_TENANTS.length === 0) {
    problems.push(
      'TEAMS_ALLOWED_TENANTS (or TEAMS_TENANT_ID) must name the Microsoft 365 tenants whose people may use the bot.',
    );
  }
  return problems;
}

/**
 * The Microsoft 365 tenants the Teams bot names (TEAMS_ALLOWED_TENANTS and TEAMS_TENANT_ID),
 * without `*`; empty means any in local mode.
 */
export function allowedTeamsTenants(config: Config): string[] {
  const tenants = new Set(config.TEAMS_ALLOWED_TENANTS.filter((tenant) => tenant !== ANY_TENANT));
  if (config.TEAMS_TENANT_ID) tenants.add(config.TEAMS_TENANT_ID.toLowerCase());
  return [...tenants];
}

/** Whether any Microsoft 365 tenant may use the Teams bot (TEAMS_ALLOWED_TENANTS=*, for hosting). */
export function anyTeamsTenant(config: Config): boolean {
  return config.TEAMS_ALLOWED_TENANTS.includes(ANY_TENANT);
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
