import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { Router } from 'express';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { createHttpApp } from '../../src/http/server.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Every request gets an id, echoed in X-Request-Id and carried by its log lines. */
describe('request ids', () => {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
        done();
      },
    }),
  );
  const failing = Router().get('/boom', () => {
    throw new Error('kaboom');
  });
  // No route here touches the database.
  const app = createHttpApp({
    db: {} as Database,
    logger,
    pingRedis: async () => 'not used',
    mount: [failing],
  });
  let url: string;
  let server: ReturnType<typeof app.listen>;

  beforeAll(async () => {
    server = await new Promise((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('echoes a sane incoming X-Request-Id', async () => {
    const response = await fetch(`${url}/healthz`, {
      headers: { 'X-Request-Id': 'lb-trace.42:abc_DEF' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('lb-trace.42:abc_DEF');
  });

  it('gives a fresh UUID to a request without one, each its own', async () => {
    const first = (await fetch(`${url}/healthz`)).headers.get('x-request-id');
    const second = (await fetch(`${url}/nope`)).headers.get('x-request-id');
    expect(first).toMatch(UUID);
    expect(second).toMatch(UUID);
    expect(second).not.toBe(first);
  });

  it('replaces an id that does not look like one', async () => {
    for (const bad of ['has spaces', 'x'.repeat(129), 'quote"d', 'semi;colon']) {
      const response = await fetch(`${url}/healthz`, { headers: { 'X-Request-Id': bad } });
      expect(response.headers.get('x-request-id')).toMatch(UUID);
    }
  });

  it('makes a request its own logger only when it writes a line', async () => {
    const made: unknown[] = [];
    // Its own sink: its lines stay out of the other tests' `lines`.
    const own = pino(
      { level: 'info' },
      new Writable({ write: (_chunk, _encoding, done) => done() }),
    );
    const child = own.child.bind(own);
    const counting = Object.create(own, {
      child: {
        value: (bindings: Record<string, unknown>) => {
          made.push(bindings);
          return child(bindings);
        },
      },
    });
    const quiet = createHttpApp({
      db: {} as Database,
      logger: counting,
      pingRedis: async () => 'not used',
      mount: [failing],
    });
    const listening = await new Promise<ReturnType<typeof quiet.listen>>((resolve) => {
      const server = quiet.listen(0, '127.0.0.1', () => resolve(server));
    });
    try {
      const at = `http://127.0.0.1:${(listening.address() as AddressInfo).port}`;
      expect((await fetch(`${at}/healthz`)).status).toBe(200);
      expect((await fetch(`${at}/nope`)).status).toBe(404);
      expect(made).toEqual([]);
      const failed = await fetch(`${at}/boom`, { headers: { 'X-Request-Id': 'req-lazy' } });
      expect(failed.status).toBe(500);
      expect(made).toEqual([{ requestId: 'req-lazy' }]);
    } finally {
      await new Promise<void>((resolve) => listening.close(() => resolve()));
    }
  });

  it("puts the id on the failed request's log line, without its headers", async () => {
    const response = await fetch(`${url}/boom`, {
      headers: { 'X-Request-Id': 'req-500', authorization: 'Bearer secret-token' },
    });
    expect(response.status).toBe(500);
    expect(response.headers.get('x-request-id')).toBe('req-500');
    const failed = lines.find((line) => line.msg === 'request failed');
    expect(failed).toMatchObject({
      requestId: 'req-500',
      path: '/boom',
      err: { message: 'kaboom' },
    });
    expect(JSON.stringify(lines)).not.toContain('secret-token');
  });
});
