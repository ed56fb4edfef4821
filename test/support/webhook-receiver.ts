import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebhookAllowList } from '../../src/rewards/webhook-addresses.ts';
import { WEBHOOK_HEADERS } from '../../src/rewards/webhook-signature.ts';

/**
 * The receiver listens on this machine, where webhooks may not go by default: this is the
 * REWARD_WEBHOOK_ALLOWED_HOSTS entry (and its allow-list) that lets them reach it.
 */
export const RECEIVER_ALLOWED_HOSTS = '127.0.0.1';
export const receiverAllowList = WebhookAllowList.of([RECEIVER_ALLOWED_HOSTS]);

/** A redemption webhook request as the receiver got it. */
export interface ReceivedWebhook {
  readonly idempotencyKey: string | undefined;
  readonly timestamp: string | undefined;
  readonly signature: string | undefined;
  readonly body: string;
  /** Unix seconds on arrival: what a receiver checks the signature's timestamp against. */
  readonly receivedAtSeconds: number;
}

/** An answer with headers (a redirect's `location`), beside its status. */
export interface WebhookReply {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Decides the status (or status and headers) of the answer to a request (the `index`-th
 * received, from 0); the answer is written once it resolves, so an answer may also wait,
 * or act first.
 */
export type WebhookAnswer = (
  request: ReceivedWebhook,
  index: number,
) => number | WebhookReply | Promise<number | WebhookReply>;

/** A local HTTP server standing in for a company's reward webhook; it keeps every request. */
export interface WebhookReceiver {
  readonly url: string;
  readonly requests: readonly ReceivedWebhook[];
  /** Errors thrown by the answer function (each got a 500); a test expects none. */
  readonly failures: readonly unknown[];
  close(): Promise<void>;
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

export async function startWebhookReceiver(answer: WebhookAnswer): Promise<WebhookReceiver> {
  const requests: ReceivedWebhook[] = [];
  const failures: unknown[] = [];
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const received: ReceivedWebhook = {
      idempotencyKey: header(request, WEBHOOK_HEADERS.idempotencyKey),
      timestamp: header(request, WEBHOOK_HEADERS.timestamp),
      signature: header(request, WEBHOOK_HEADERS.signature),
      body: Buffer.concat(chunks).toString('utf8'),
      receivedAtSeconds: Math.floor(Date.now() / 1000),
    };
    const index = requests.push(received) - 1;
    let reply: WebhookReply = { status: 500 };
    try {
      const answered = await answer(received, index);
      reply = typeof answered === 'number' ? { status: answered } : answered;
    } catch (error) {
      failures.push(error);
    }
    // The sender may be gone (a killed worker): writing to its closed socket is harmless.
    response.on('error', () => undefined);
    response
      .writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers })
      .end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/rewards/fulfil`,
    requests,
    failures,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
