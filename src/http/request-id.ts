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
 * echoes it in the response's `X-Request-Id`, and lets {@link requestLogger} give its lines
 * a child logger that carries it as `requestId`. Only the id is taken from the headers:
 * they are never logged wholesale (they carry secrets).
 */
export function requestIds(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get(REQUEST_ID_HEADER);
    const id = incoming !== undefined && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader(REQUEST_ID_HEADER, id);
    res.locals.requestId = id;
    // The child is made by the request's first line: most requests write none, and with
    // redaction configured each child costs pino a serialization of its bindings (at 200
    // chat commands a second, 18 kB of garbage each).
    res.locals.baseLogger = logger;
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
  const made = res.locals.logger as Logger | undefined;
  if (made) return made;
  const base = res.locals.baseLogger as Logger | undefined;
  const id = requestId(res);
  if (!base || id === undefined) return fallback;
  const child = base.child({ requestId: id });
  res.locals.logger = child;
  return child;
}
