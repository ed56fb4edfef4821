import { Redis } from 'ioredis';
import type { Logger } from 'pino';

/** What one request's turn says: go on, or wait this long. */
export interface RateDecision {
  readonly allowed: boolean;
  readonly limit: number;
  readonly remaining: number;
  /** Until the window opens again. */
  readonly resetMs: number;
}

/**
 * Counts in a fixed window of a minute: requests per token, failed authentications per
 * client address. Fixed windows let a client send up to
 * twice the limit across a window's edge; for a per-token quota that guards the database
 * from a runaway script, that is precise enough, and it is one atomic step in Redis.
 */
export interface RateLimiter {
  /** Counts one more against the key; `limit` is the limiter's own unless given. */
  take(key: string, limit?: number): Promise<RateDecision>;
  /** Whether one more would be within `limit`, counting nothing (failed sign-ins are counted after). */
  peek(key: string, limit?: number): Promise<RateDecision>;
  close(): Promise<void>;
}

export const RATE_WINDOW_MS = 60_000;

/** One process's counts: local mode, and deployments without Redis. */
export class MemoryRateLimiter implements RateLimiter {
  readonly #windows = new Map<string, { count: number; endsAt: number }>();

  constructor(
    private readonly limit: number,
    private readonly now: () => number = Date.now,
  ) {}

  async take(key: string, limit = this.limit): Promise<RateDecision> {
    const now = this.now();
    let window = this.#windows.get(key);
    if (!window || window.endsAt <= now) {
      // Forget ended windows now and then, so idle tokens do not pile up.
      if (this.#windows.size > 10_000) {
        for (const [other, { endsAt }] of this.#windows) {
          if (endsAt <= now) this.#windows.delete(other);
        }
      }
      window = { count: 0, endsAt: now + RATE_WINDOW_MS };
      this.#windows.set(key, window);
    }
    window.count += 1;
    return decision(limit, window.count, window.endsAt - now);
  }

  async peek(key: string, limit = this.limit): Promise<RateDecision> {
    const now = this.now();
    const window = this.#windows.get(key);
    if (!window || window.endsAt <= now) return decision(limit, 1, RATE_WINDOW_MS);
    return decision(limit, window.count + 1, window.endsAt - now);
  }

  async close(): Promise<void> {}
}

/**
 * Counts and starts the window in one script, so every web process shares one count per
 * token and a window always ends. KEYS: the count. ARGV: window length. Returns the count
 * and the milliseconds left.
 */
const TAKE = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  left = tonumber(ARGV[1])
end
return { count, left }
`;

/** The count and the milliseconds left, counting nothing. KEYS: the count. */
const PEEK = `
return { tonumber(redis.call('GET', KEYS[1]) or '0'), redis.call('PTTL', KEYS[1]) }
`;

/** Counts shared by every web process, in Redis. */
export class RedisRateLimiter implements RateLimiter {
  readonly #redis: Redis;

  constructor(
    url: string,
    private readonly prefix: string,
    private readonly limit: number,
    private readonly logger: Logger,
  ) {
    // Like the queue producer: a request must not hang while Redis is away.
    this.#redis = new Redis(url, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      retryStrategy: (attempt) => Math.min(attempt * 250, 5000),
    });
    this.#redis.on('error', (error) =>
      logger.warn({ err: error }, 'Redis (API rate limit) connection error'),
    );
  }

  async take(key: string, limit = this.limit): Promise<RateDecision> {
    try {
      const [count, left] = (await this.#redis.eval(TAKE, 1, this.#key(key), RATE_WINDOW_MS)) as [
        number,
        number,
      ];
      return decision(limit, Number(count), Number(left));
    } catch (error) {
      return this.#unavailable(error, limit);
    }
  }

  async peek(key: string, limit = this.limit): Promise<RateDecision> {
    try {
      const [count, left] = (await this.#redis.eval(PEEK, 1, this.#key(key))) as [number, number];
      const open = Number(left) > 0;
      return decision(limit, open ? Number(count) + 1 : 1, open ? Number(left) : RATE_WINDOW_MS);
    } catch (error) {
      return this.#unavailable(error, limit);
    }
  }

  #key(key: string): string {
    return `${this.prefix}:api-rate:${key}`;
  }

  /** The limit guards the API; it must not take it down with Redis. Let the request by. */
  #unavailable(error: unknown, limit: number): RateDecision {
    this.logger.warn({ err: error }, 'API rate limit unavailable: Redis did not answer');
    return { allowed: true, limit, remaining: limit, resetMs: RATE_WINDOW_MS };
  }

  async close(): Promise<void> {
    if (this.#redis.status === 'ready') await this.#redis.quit().catch(() => undefined);
    this.#redis.disconnect();
  }
}

function decision(limit: number, count: number, resetMs: number): RateDecision {
  return {
    allowed: count <= limit,
    limit,
    remaining: Math.max(0, limit - count),
    resetMs: Math.max(0, resetMs),
  };
}

/** Redis when the deployment has it, so every web process counts together; memory otherwise. */
export function openRateLimiter(
  options: { redisUrl?: string | undefined; prefix: string; limit: number },
  logger: Logger,
): RateLimiter {
  return options.redisUrl
    ? new RedisRateLimiter(options.redisUrl, options.prefix, options.limit, logger)
    : new MemoryRateLimiter(options.limit);
}
