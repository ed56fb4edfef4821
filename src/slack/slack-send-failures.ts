import { UndeliverableMessage } from '../core/notifier.ts';

/**
 * Slack's answers that no retry changes: the person is gone or cannot be written to, the
 * channel is gone or closed to the bot, the app was uninstalled or lost its rights, or the
 * message itself is refused. Anything else (a network error, a 5xx, a rate limit Slack's
 * client gave up on) passes.
 */
const PERMANENT = new Set([
  'user_not_found',
  'users_not_found',
  'user_disabled',
  'account_inactive',
  'cannot_dm_bot',
  'channel_not_found',
  'not_in_channel',
  'is_archived',
  'restricted_action',
  'team_access_not_granted',
  'ekm_access_denied',
  'invalid_auth',
  'not_authed',
  'token_revoked',
  'token_expired',
  'no_permission',
  'missing_scope',
  'msg_too_long',
  'invalid_blocks',
  'no_text',
]);

/**
 * Turns a Web API call's permanent refusal into {@link UndeliverableMessage}; other
 * errors are thrown as they are, to be retried.
 */
export async function slackSend<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const code = platformErrorCode(error);
    if (code && PERMANENT.has(code)) throw new UndeliverableMessage('slack', `${what}: ${code}`);
    throw error;
  }
}

/** The `error` of a Web API answer with `ok: false`, as the Slack client reports it. */
function platformErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, data } = error as { code?: unknown; data?: { error?: unknown } };
  if (code !== 'slack_webapi_platform_error') return undefined;
  return typeof data?.error === 'string' ? data.error : undefined;
}
