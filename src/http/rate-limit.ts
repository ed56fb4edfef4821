import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible';

/** What one request's turn says: go on, or wait this long. */
export interface RateDecision {
  readonly allowed: boolean;
  readonly limit: number;
  readonly remaining: number;
  /** Until the window opens again. */
  readonly resetMs: number;
}

/**
 * Counts against one limit in a fixed window of a minute (requests per token, failed
 * authentications per client address). Fixed windows let a client send up to twice the
 * limit across a window's edge; for a quota that guards the database from a runaway script
 * or slows a guesser, that is precise enough, and it is one atomic step in Redis.
 */
export interface RateLimiter {
  /** Counts one more against the key. */
  take(key: string): Promise<RateDecision>;
  /** Whether one more would be within the limit, counting nothing (failed sign-ins are counted after). */
  peek(key: string): Promise<RateDecision>;
}

/** The limiters of one process, on one Redis connection (or in memory); closed together. */
export interface RateLimits {
  /** A limiter of `limit` per minute, its keys named by `name` (its own count). */
  limiter(name: string, limit: number): RateLimiter;
  close(): Promise<void>;
}

export const RATE_WINDOW_SECONDS = 60;

/** Whole seconds until the window opens again, for Retry-After: at least one. */
export function retryAfterSeconds(decision: RateDecision): number {
  return Math.max(1, Math.ceil(decision.resetMs / 1000));
}

/**
 * How long a limit waits for Redis before counting in memory instead: a Redis that stopped
 * answering (a cut network, no reset) must not hold every request.
 */
const REDIS_COMMAND_TIMEOUT_MS = 500;

/** A rate-limiter-flexible limiter, answering in decisions rather than by rejecting. */
class FlexibleLimiter implements RateLimiter {
  constructor(
    private readonly counter: RateLimiterAbstract,
    private readonly limit: number,
  ) {}

  async take(key: string): Promise<RateDecision> {
    try {
      return this.#decision(await this.counter.consume(key), 0);
    } catch (refused) {
      // Over the limit comes as a rejection with the count; anything else is a fault.
      if (refused instanceof RateLimiterRes) return this.#decision(refused, 0);
      throw refused;
    }
  }

  async peek(key: string): Promise<RateDecision> {
    const counted = await this.counter.get(key);
    if (!counted) {
      return this.#decision({ consumedPoints: 0, msBeforeNext: RATE_WINDOW_SECONDS * 1000 }, 1);
    }
    return this.#decision(counted, 1);
  }

  /** The decision for a count, plus `more` requests not counted yet. */
  #decision(
    counted: Pick<RateLimiterRes, 'consumedPoints' | 'msBeforeNext'>,
    more: number,
  ): RateDecision {
    const count = counted.consumedPoints + more;
    return {
      allowed: count <= this.limit,
      limit: this.limit,
      remaining: Math.max(0, this.limit - count),
      resetMs: Math.max(0, counted.msBeforeNext),
    };
  }
}

/** One process's counts: local mode, and deployments without Redis. */
export function memoryRateLimits(): RateLimits {
  return {
    limiter: (name, limit) =>
      new FlexibleLimiter(
        new RateLimiterMemory({ keyPrefix: name, points: limit, duration: RATE_WINDOW_SECONDS }),
        limit,
      ),
    close: async () => {},
  };
}

/**
 * Counts shared by every web process, in Redis under `{prefix}:{name}:`. While Redis is
 * unreachable or slow, each limit counts in this process's memory instead (its insurance):
 * a guesser is slowed per process, never let through because the store is away.
 */
export function redisRateLimits(url: string, prefix: string, logger: Logger): RateLimits {
  // Like the queue producer: nothing waits for a Redis that is away. Commands fail at once
  // while it is disconnected, and after REDIS_COMMAND_TIMEOUT_MS when it does not answer.
  const redis = new Redis(url, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(attempt * 250, 5000),
  });
  redis.on('error', (error) =>
    logger.warn({ err: error }, 'Redis (rate limits) connection error: counting in memory'),
  );
  return {
    limiter: (name, limit) => {
      const options = { points: limit, duration: RATE_WINDOW_SECONDS };
      const counter = new RateLimiterRedis({
        ...options,
        storeClient: redis,
        keyPrefix: `${prefix}:${name}`,
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory({ ...options, keyPrefix: name }),
      });
      return new FlexibleLimiter(counter, limit);
    },
    async close() {
      if (redis.status === 'ready') await redis.quit().catch(() => undefined);
      redis.disconnect();
    },
  };
}

/** Redis when the deployment has it, so every web process counts together; memory otherwise. */
export function openRateLimits(
  options: { redisUrl?: string | undefined; prefix: string },
  logger: Logger,
): RateLimits {
  return options.redisUrl
    ? redisRateLimits(options.redisUrl, options.prefix, logger)
    : memoryRateLimits();
}
