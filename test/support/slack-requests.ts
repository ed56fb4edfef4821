import { createHmac } from 'node:crypto';
import { until } from './until.ts';

/** Slack's request signature: `v0=` + HMAC-SHA256 of `v0:{timestamp}:{raw body}`. */
export function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export interface SlashCommand {
  team_id: string;
  user_id: string;
  channel_id: string;
  text: string;
  trigger_id: string;
  response_url: string;
  command?: string;
  /** Enterprise Grid: the enterprise of the workspace the command came from. */
  enterprise_id?: string;
  /** `true` when the app serving the command is installed org-wide (Grid). */
  is_enterprise_install?: string;
}

/** Plaudit's HTTP answer to a slash command, and where the command said late answers go. */
export interface SlashCommandResponse {
  readonly status: number;
  readonly body: string;
  readonly ms: number;
  readonly responseUrl: string;
}

/** A slash command as Slack posts it: form-encoded and signed, unless told otherwise. */
export async function postSlashCommand(
  url: string,
  secret: string,
  command: SlashCommand,
  options: {
    timestamp?: number;
    signature?: string | null;
    headers?: Record<string, string>;
    rawBody?: string;
  } = {},
): Promise<SlashCommandResponse> {
  const body =
    options.rawBody ??
    new URLSearchParams({
      token: 'deprecated-verification-token',
      team_domain: 'acme',
      channel_name: 'general',
      user_name: 'someone',
      api_app_id: 'A1',
      command: '/kudos',
      ...command,
    }).toString();
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': String(timestamp),
    ...options.headers,
  };
  const signature =
    options.signature === undefined ? slackSignature(secret, timestamp, body) : options.signature;
  if (signature !== null) headers['x-slack-signature'] = signature;
  const started = performance.now();
  const response = await fetch(`${url}/slack/events`, { method: 'POST', headers, body });
  return {
    status: response.status,
    body: await response.text(),
    ms: performance.now() - started,
    responseUrl: command.response_url,
  };
}

/**
 * An Events API delivery as Slack posts it: JSON, signed; `headers` adds Slack's own (a
 * redelivery's `x-slack-retry-num`, `x-slack-retry-reason`).
 */
export async function postSlackEvent(
  url: string,
  secret: string,
  payload: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const body = JSON.stringify(payload);
  const timestamp = Math.floor(Date.now() / 1000);
  const response = await fetch(`${url}/slack/events`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': slackSignature(secret, timestamp, body),
      ...headers,
    },
    body,
  });
  return { status: response.status, body: await response.text() };
}

/** An interactivity delivery (shortcut, view submission): `payload=<json>`, form-encoded, signed. */
export async function postSlackInteraction(
  url: string,
  secret: string,
  payload: Record<string, unknown>,
): Promise<{ status: number; body: string }> {
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const timestamp = Math.floor(Date.now() / 1000);
  const response = await fetch(`${url}/slack/events`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': slackSignature(secret, timestamp, body),
    },
    body,
  });
  return { status: response.status, body: await response.text() };
}

/** Where a Slack Web API fake keeps what was posted to it (a response URL's path included). */
interface RecordsCalls {
  readonly calls: readonly { readonly method: string; readonly body: Record<string, unknown> }[];
}

/**
 * The message a slash command's sender was shown: the ack's, or, when Plaudit's answer was
 * not ready by Slack's ack deadline (a busy machine), the one it then posted to the
 * command's response URL on the fake (waited for, as a person would see it arrive).
 */
export async function slashCommandMessage(
  response: Pick<SlashCommandResponse, 'body' | 'responseUrl'>,
  fake: RecordsCalls,
): Promise<Record<string, unknown>> {
  if (response.body !== '') return JSON.parse(response.body) as Record<string, unknown>;
  const method = new URL(response.responseUrl).pathname.slice(1);
  const late = () => fake.calls.find((call) => call.method === method);
  await until(() => late() !== undefined);
  return late()?.body ?? {};
}

/** The text of {@link slashCommandMessage}. */
export async function slashCommandText(
  response: Pick<SlashCommandResponse, 'body' | 'responseUrl'>,
  fake: RecordsCalls,
): Promise<string> {
  return String((await slashCommandMessage(response, fake)).text);
}
