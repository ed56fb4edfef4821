import { randomUUID } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import type { Logger } from 'pino';

/** The header a request id comes in (from a proxy or caller) and goes back out in. */
export const REQUEST_ID_HEADER = 'X-Request-Id';

/**
 * An incoming id is kept only when it looks like an id: short, and letters, digits and
 * `-_.:` (a UUID, a load balancer's trace id). Anything else (too long, spaces, control
 * characters that could forge log lines) is replaced by a fresh UUID.
 */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Gives every request an id (the incoming `X-Request-Id` when sane, else a random UUID),
 * echoes it in the response's `X-Request-Id`, and keeps on `res.locals` a child logger
 * whose lines carry it as `requestId`. Only the id is taken from the headers: they are
 * never logged wholesale (they carry secrets).
 */
export function requestIds(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get(REQUEST_ID_HEADER);
    const id = incoming !== undefined && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader(REQUEST_ID_HEADER, id);
    res.locals.requestId = id;
    res.locals.logger = logger.child({ requestId: id });
    next();
  };
}

/** The request's id, set by {@link requestIds}. */
export function requestId(res: Response): string | undefined {
  const id: unknown = res.locals.requestId;
  return typeof id === 'string' ? id : undefined;
}

/** The request's logger (its lines carry the request id), or `fallback` outside one. */
export function requestLogger(res: Response, fallback: Logger): Logger {
  return (res.locals.logger as Logger | undefined) ?? fallback;
}
