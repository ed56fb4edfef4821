import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { webApi } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slackFetch } from '../../src/slack/slack-fetch.ts';

interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** A local stand-in for Slack's Web API: records each request, answers as `answer` says. */
let answer: (request: Received, response: ServerResponse) => void;
const received: Received[] = [];
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const one = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString(),
      };
      received.push(one);
      answer(one, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  // The abort's request is never answered.
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function client(options: webApi.WebClientOptions = {}) {
  return new webApi.WebClient('xoxb-test', {
    slackApiUrl: `${base}/api/`,
    fetch: slackFetch,
    retryConfig: { retries: 0 },
    ...options,
  });
}

describe('the Web API client through slackFetch', () => {
  it('posts the form the client made, with its token, and reads the answer', async () => {
    received.length = 0;
    answer = (_, response) => {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ ok: true, channel: 'C1', ts: '17.5' }));
    };
    const result = await client().chat.postMessage({
      channel: 'C1',
      text: 'Ana gave you 5 points',
    });
    expect(result).toMatchObject({ ok: true, channel: 'C1', ts: '17.5' });
    const [request] = received;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/api/chat.postMessage');
    expect(request?.headers.authorization).toBe('Bearer xoxb-test');
    expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(request?.body))).toMatchObject({
      channel: 'C1',
      text: 'Ana gave you 5 points',
    });
  });

  it("passes Slack's refusal through as the client's platform error", async () => {
    answer = (_, response) => {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ ok: false, error: 'channel_not_found' }));
    };
    await expect(client().chat.postMessage({ channel: 'C404', text: 'x' })).rejects.toMatchObject({
      code: webApi.ErrorCode.PlatformError,
      data: { error: 'channel_not_found' },
    });
  });

  it('gives the client a rate limit with its Retry-After', async () => {
    answer = (_, response) => {
      response.statusCode = 429;
      response.setHeader('retry-after', '7');
      response.end();
    };
    await expect(
      client({ rejectRateLimitedCalls: true }).chat.postMessage({ channel: 'C1', text: 'x' }),
    ).rejects.toMatchObject({ code: webApi.ErrorCode.RateLimitedError, retryAfter: 7 });
  });

  it("gives the client an HTTP failure's status and body", async () => {
    answer = (_, response) => {
      response.statusCode = 503;
      response.end('down for maintenance');
    };
    await expect(client().chat.postMessage({ channel: 'C1', text: 'x' })).rejects.toMatchObject({
      code: webApi.ErrorCode.HTTPError,
      statusCode: 503,
      statusMessage: 'Service Unavailable',
      body: 'down for maintenance',
    });
  });
});

describe('slackFetch', () => {
  it('does not follow a redirect the client refuses: the client fails with its status', async () => {
    received.length = 0;
    answer = (_, response) => {
      response.statusCode = 302;
      response.setHeader('location', `${base}/elsewhere`);
      response.end();
    };
    await expect(client().chat.postMessage({ channel: 'C1', text: 'x' })).rejects.toMatchObject({
      code: webApi.ErrorCode.HTTPError,
      statusCode: 302,
    });
    expect(received.map((request) => request.url)).toEqual(['/api/chat.postMessage']);
  });

  it('keeps every value of a repeated header, and the URL asked', async () => {
    answer = (_, response) => {
      response.setHeader('set-cookie', ['a=1', 'b=2']);
      response.end('{}');
    };
    const response = await slackFetch(`${base}/api/x`, {
      method: 'POST',
      body: '',
      redirect: 'error',
    });
    expect(response.headers.get('set-cookie')).toBe('a=1, b=2');
    expect(response.url).toBe(`${base}/api/x`);
  });

  it('answers a status that has no body', async () => {
    answer = (_, response) => {
      response.statusCode = 204;
      response.end();
    };
    const response = await slackFetch(`${base}/api/x`, { method: 'POST', redirect: 'error' });
    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');
  });

  it("sends form data (a file upload's) through Node's fetch", async () => {
    received.length = 0;
    answer = (_, response) => response.end('{"ok":true}');
    const form = new FormData();
    form.append('file', new Blob(['kudos']), 'kudos.txt');
    await slackFetch(`${base}/api/files.upload`, { method: 'POST', body: form, redirect: 'error' });
    expect(received[0]?.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(received[0]?.body).toContain('kudos');
  });

  it('stops at an abort', async () => {
    answer = () => {};
    const stopped = new AbortController();
    const asked = slackFetch(`${base}/api/slow`, {
      method: 'POST',
      body: '',
      redirect: 'error',
      signal: stopped.signal,
    });
    stopped.abort();
    await expect(asked).rejects.toThrow(/abort/i);
  });
});
