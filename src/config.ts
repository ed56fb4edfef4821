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
});

export type Config = z.infer<typeof configSchema>;

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
  if (parsed.success) return parsed.data;
  const sentences = parsed.error.issues.map((issue) => {
    const variable = String(issue.path[0] ?? 'configuration');
    return `${variable} must be ${issue.message}.`;
  });
  throw new ConfigError(sentences.join(' '));
}
