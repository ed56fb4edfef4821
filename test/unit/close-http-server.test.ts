import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
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

/** Opens `n` TCP connections and resolves once the handshake of each is done. */
async function connected(url: string, n: number): Promise<Socket[]> {
  const { hostname, port } = new URL(url);
  return Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<Socket>((resolve, reject) => {
          const socket = connect(Number(port), hostname, () => resolve(socket));
          socket.once('error', reject);
        }),
    ),
  );
}

/** What came back on a raw connection: the status line, or the socket error that ended it. */
function answerOn(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    socket.once('close', () => resolve(text.split('\r\n')[0] ?? ''));
  });
}

describe('closeHttpServer and requests sent just before it', () => {
  it('answers every request whose connection was open and whose bytes were sent before the close', async () => {
    const { server, url } = await listenHttp((_req, res) => res.end('done'), 0, '127.0.0.1');
    // Connected (the kernel completed each handshake), some not yet taken by the server,
    // some taken and idle: then each sends its request, and the close comes at once, as a
    // SIGTERM does under load.
    const sockets = await connected(url, 28);
    const answers = sockets.map(answerOn);
    for (const socket of sockets) socket.write('GET /work HTTP/1.1\r\nHost: plaudit\r\n\r\n');
    await closeHttpServer(server, 5_000);
    expect(await Promise.all(answers)).toEqual(sockets.map(() => 'HTTP/1.1 200 OK'));
  });
});
