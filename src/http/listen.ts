import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An HTTP server taking requests, and the address to reach it at. */
export interface Listening {
  readonly server: Server;
  /** `http://host:port`, with 127.0.0.1 for a server on every address (0.0.0.0). */
  readonly url: string;
}

/** Serves `app` on `host:port` (port 0: any free one); rejects when it cannot listen. */
export async function listenHttp(
  app: RequestListener,
  port: number,
  host: string,
): Promise<Listening> {
  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return { server, url: `http://${shown === '0.0.0.0' ? '127.0.0.1' : shown}:${bound}` };
}

/** How often a closing server looks for connections its answered requests left idle. */
const IDLE_SWEEP_MS = 50;

/** How long requests in flight may take to be answered once a server is closing. */
export const CLOSE_GRACE_MS = 20_000;

/**
 * Stops taking connections and resolves when the requests in flight are answered. Node
 * ends idle keep-alive connections when a server closes, but a connection whose request
 * was in flight stays open after its answer, until its keep-alive timeout (5 s): each is
 * ended as soon as it is idle, so a shutdown does not wait on clients that keep theirs.
 * A request still unanswered after `graceMs` has its connection cut, so one stuck request
 * cannot keep the process from closing its jobs and database before it is killed.
 */
export async function closeHttpServer(server: Server, graceMs = CLOSE_GRACE_MS): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
  const cut = setTimeout(() => server.closeAllConnections(), graceMs);
  try {
    await closed;
  } finally {
    clearInterval(sweep);
    clearTimeout(cut);
  }
}
