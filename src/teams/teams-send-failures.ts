import { UndeliverableMessage } from '../core/notifier.ts';

/**
 * The Bot Connector's statuses that no retry changes: 403 (the bot was blocked, removed
 * or disabled by an admin), 404 (the conversation or the person is gone), 400 (the
 * message itself is refused). 401, 429, 5xx and network errors pass.
 */
const PERMANENT_STATUSES = new Set([400, 403, 404]);

/** Turns a permanent refusal into {@link UndeliverableMessage}; other errors pass through. */
export async function teamsSend<T>(what: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    const status = statusOf(error);
    if (status !== undefined && PERMANENT_STATUSES.has(status)) {
      throw new UndeliverableMessage('teams', `${what}: ${status} ${codeOf(error) ?? ''}`.trim());
    }
    throw error;
  }
}

/**
 * Whether the Bot Connector said the conversation itself is closed to the bot (403: removed
 * or blocked; 404: gone), rather than refusing one message (400).
 */
export function conversationClosed(error: unknown): boolean {
  const status = statusOf(error);
  return status === 403 || status === 404;
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
