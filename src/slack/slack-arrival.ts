import type { IncomingMessage } from 'node:http';
import { sentAt } from '../core/command-admission.ts';
import { arrivalOf } from '../http/arrival.ts';

/** When a Slack request came, and whether Slack still waits on its connection. */
export interface SlackArrival {
  /** When it reached this process (epoch ms). */
  readonly arrivedAt: number;
  /** When Slack sent it, as well as can be told (`sentAt`). */
  readonly sentAt: number;
  /** Whether its connection is still open: Slack gives up on it after 3 s. */
  open(): boolean;
}

/** Where Bolt's context keeps a request's arrival (its custom properties). */
export const SLACK_ARRIVAL = 'plauditArrival';

/** Read from the request as Bolt's ExpressReceiver hands it over (`customPropertiesExtractor`). */
export function slackArrival(req: IncomingMessage): SlackArrival {
  const arrivedAt = arrivalOf(req);
  // Slack's timestamp counts whole seconds: the request left within that second.
  const seconds = Number(req.headers['x-slack-request-timestamp']);
  const platformAt = Number.isFinite(seconds) ? seconds * 1000 + 999 : undefined;
  return {
    arrivedAt,
    sentAt: sentAt(arrivedAt, platformAt),
    open: () => !req.socket.destroyed,
  };
}

/** The arrival Bolt's context carries; in Socket Mode (no HTTP request), the handler's start. */
export function arrivalIn(context: Record<string, unknown>): SlackArrival {
  const arrival = context[SLACK_ARRIVAL] as SlackArrival | undefined;
  if (arrival) return arrival;
  const now = Date.now();
  return { arrivedAt: now, sentAt: now, open: () => true };
}
