import type { Request, Response } from 'express';
import { type RateLimiter, type RateLimits, retryAfterSeconds } from './rate-limit.ts';

/**
 * The failed-guess limit of every address that takes a secret (the API's tokens, the admin
 * token of /admin/queues, /metrics and /admin/statements): failures are counted per client
 * address, in one count for all of them. Past the limit, every request from that address
 * that carries credentials is refused before they are compared, a right one too: were it
 * let through, a guesser would read 200 against 429 and go on at full speed. A request
 * without credentials guesses nothing and is not counted. The lockout lasts the rest of the
 * window and reaches only that address.
 */
export class FailedAuthentications {
  constructor(private readonly limiter: RateLimiter) {}

  /** `limit` failures a minute per address (API_AUTH_FAILURE_LIMIT), counted in `limits`. */
  static within(limits: RateLimits, limit: number): FailedAuthentications {
    return new FailedAuthentications(limits.limiter('auth-failure', limit));
  }

  /**
   * Answers 429 with Retry-After, and resolves true, when the request carries credentials
   * from an address past its limit; otherwise resolves false, having sent nothing.
   */
  async refuseLockedOut(req: Request, res: Response): Promise<boolean> {
    if (!credentialed(req)) return false;
    const budget = await this.limiter.peek(addressOf(req));
    if (budget.allowed) return false;
    const seconds = retryAfterSeconds(budget);
    res
      .status(429)
      .set('Retry-After', String(seconds))
      .json({
        error: 'rate_limited',
        message: `Too many requests from this address failed to authenticate this minute; try again in ${seconds} seconds.`,
      });
    return true;
  }

  /** Counts a failed authentication of a request that carried credentials. */
  async failed(req: Request): Promise<void> {
    if (credentialed(req)) await this.limiter.take(addressOf(req));
  }
}

const credentialed = (req: Request) => (req.get('authorization') ?? '').trim() !== '';

/**
 * The client's address: the connection's, or, behind a proxy TRUST_PROXY names, the one
 * that proxy puts in X-Forwarded-For (Express's `trust proxy`).
 */
const addressOf = (req: Request) => req.ip ?? req.socket.remoteAddress ?? 'unknown';
