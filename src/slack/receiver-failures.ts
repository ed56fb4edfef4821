import * as bolt from '@slack/bolt';
import type { Logger } from 'pino';
import { COMMAND_ACTION } from './slack-blocks.ts';

const { AuthorizationError, HTTPModuleFunctions } = bolt;

const NOT_CONNECTED =
  'This Slack workspace is not connected to Plaudit, so its buttons do nothing here.';

/** How long the sentence may take to reach Slack before the click is acked without it. */
const ANSWER_TIMEOUT_MS = 2_000;

/**
 * What the HTTP receiver does when Bolt could not handle a signed request. A body that is
 * no payload at all (JSON `null`, a number: Bolt fails on it with a TypeError) gets 400,
 * not 500. A request from a workspace that is not connected gets 401, as before, except a
 * click on one of Plaudit's buttons: the person who clicked would see only Slack's
 * generic failure, so they get a sentence through the click's response_url, and the
 * click its 200.
 */
export function receiverFailures(
  logger: Logger,
): (args: bolt.ReceiverProcessEventErrorHandlerArgs) => Promise<boolean> {
  return async (args) => {
    const body = (args.request as { body?: unknown }).body;
    if ((typeof body !== 'object' || body === null) && !args.response.headersSent) {
      logger.info('a signed Slack request whose body is no payload');
      args.response.writeHead(400);
      args.response.end();
      return true;
    }
    const responseUrl = commandClickResponseUrl(body);
    if (!(args.error instanceof AuthorizationError) || !responseUrl || args.response.headersSent) {
      return HTTPModuleFunctions.defaultProcessEventErrorHandler(args);
    }
    // The request was signed with Plaudit's secret, so the response_url is Slack's.
    await fetch(responseUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        response_type: 'ephemeral',
        replace_original: false,
        text: NOT_CONNECTED,
      }),
      signal: AbortSignal.timeout(ANSWER_TIMEOUT_MS),
    }).catch((error: unknown) =>
      logger.warn({ err: error }, 'could not answer a click from an unconnected workspace'),
    );
    args.response.writeHead(200);
    args.response.end();
    return true;
  };
}

/** The response_url of a block_actions payload on a Plaudit command button, if it is one. */
function commandClickResponseUrl(body: unknown): string | undefined {
  const payload = body as {
    type?: unknown;
    response_url?: unknown;
    actions?: Array<{ action_id?: unknown }>;
  } | null;
  if (payload?.type !== 'block_actions' || typeof payload.response_url !== 'string') return;
  const ours = payload.actions?.some(
    (action) =>
      typeof action.action_id === 'string' && action.action_id.startsWith(`${COMMAND_ACTION}:`),
  );
  return ours ? payload.response_url : undefined;
}
