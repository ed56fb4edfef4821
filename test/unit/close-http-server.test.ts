import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { closeHttpServer, listenHttp } from '../../src/http/listen.ts';

describe('closeHttpServer', () => {
  it('answers a request in flight, and cuts one still stuck after the grace period', async () => {
    let release: () => void = () => undefined;
    const started: Array<() => void> = [];
    const { server, url } = await listenHttp(
      (req, res) => {
        if (req.url === '/slow') {
          release = () => res.end('done');
          started.shift()?.();
          return;
        }
        started.shift()?.();
        // '/stuck' is never answered.
      },
      0,
      '127.0.0.1',
    );
    const get = (path: string) =>
      new Promise<string>((resolve, reject) => {
        const sent = request(`${url}${path}`, { agent: false }, (res) => {
          let body = '';
          res.on('data', (chunk) => {
            body += chunk;
          });
          res.on('end', () => resolve(body));
        });
        sent.on('error', reject);
        sent.end();
      });
    const arrived = (n: number) =>
      Promise.all(Array.from({ length: n }, () => new Promise<void>((r) => started.push(r))));
    const both = arrived(2);
    const slow = get('/slow');
    const stuck = get('/stuck');
    await both;
    const began = performance.now();
    const closing = closeHttpServer(server, 300);
    release();
    await expect(slow).resolves.toBe('done');
    await expect(stuck).rejects.toThrow(/socket hang up|ECONNRESET/);
    await closing;
    const took = performance.now() - began;
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(5000);
  });
});
