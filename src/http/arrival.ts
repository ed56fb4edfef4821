import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';

const ARRIVED_AT = Symbol('plaudit.arrivedAt');

type Stamped = IncomingMessage & { [ARRIVED_AT]?: number };

/**
 * Stamps each request with when it reached this process (epoch ms), first thing, so a
 * chat command's deadline counts from its arrival rather than from when its handler ran.
 */
export const stampArrival: RequestHandler = (req, _res, next) => {
  (req as Stamped)[ARRIVED_AT] = Date.now();
  next();
};

/** When the request reached this process; now, for one that was never stamped. */
export function arrivalOf(req: IncomingMessage): number {
  return (req as Stamped)[ARRIVED_AT] ?? Date.now();
}
