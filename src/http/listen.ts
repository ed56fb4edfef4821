import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http';
import net, { type AddressInfo } from 'node:net';

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
  trackAnswers(server);
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

/** How long requests in flight may take to be answered once a server is closing. */
export const CLOSE_GRACE_MS = 20_000;

/** The longest a closing server keeps taking connections while clients are still arriving. */
const ARRIVALS_MS = 1_000;

/** Resolves in the event loop's next turn, after its I/O poll has run once more. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Resolves once two turns of the event loop in a row took no new connection and read no
 * new request (or after `maxMs`): a connection is taken in one turn's I/O poll and its
 * bytes read in the next, so by then everything sent before the call has been taken in.
 */
async function takeArrivals(server: Server, maxMs: number): Promise<void> {
  let arrivals = 0;
  const arrived = () => {
    arrivals += 1;
  };
  server.on('connection', arrived);
  server.on('request', arrived);
  const endAt = performance.now() + maxMs;
  try {
    for (let quiet = 0; quiet < 2 && performance.now() < endAt; ) {
      const before = arrivals;
      await nextTurn();
      quiet = arrivals === before ? quiet + 1 : 0;
    }
  } finally {
    server.off('connection', arrived);
    server.off('request', arrived);
  }
}

/**
 * Stops taking connections and resolves when every request sent before the call is
 * answered. Nothing a client sent before the close is cut:
 * - Connections the kernel completed but the server has not taken yet, and bytes that
 *   arrived but were not read yet, are taken and read first: the listener closes once
 *   arrivals have stopped for two turns of the event loop, a second at most (closing at
 *   once resets the first, and ends an idle keep-alive connection under a request it has
 *   not read).
 * - Every answer from then on says `Connection: close`, so each connection ends after its
 *   answer and none is left idle to be cut while a client reuses it.
 * - Connections idle after that poll are ended; a request still unanswered after `graceMs`
 *   has its connection cut, so one stuck request cannot keep the process from closing its
 *   jobs and database before it is killed.
 */
export async function closeHttpServer(server: Server, graceMs = CLOSE_GRACE_MS): Promise<void> {
  const closeAfterAnswer = (_req: IncomingMessage, res: ServerResponse) => {
    if (!res.headersSent) res.setHeader('Connection', 'close');
  };
  server.prependListener('request', closeAfterAnswer);
  for (const res of inFlight(server)) closeAfterAnswer(res.req, res);
  await takeArrivals(server, ARRIVALS_MS);
  // Node's own close() also ends idle connections at once; the listener alone is closed
  // here, and idle connections once the requests sent before now have been read.
  const closed = new Promise<void>((resolve) =>
    net.Server.prototype.close.call(server, () => resolve()),
  );
  server.closeIdleConnections();
  const cut = setTimeout(() => server.closeAllConnections(), graceMs);
  try {
    await closed;
  } finally {
    clearTimeout(cut);
    server.off('request', closeAfterAnswer);
  }
}

const answering = new WeakMap<Server, Set<ServerResponse>>();

/** Keeps the server's unanswered responses, for a close to mark them `Connection: close`. */
function trackAnswers(server: Server): void {
  const open = new Set<ServerResponse>();
  answering.set(server, open);
  server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    open.add(res);
    res.once('close', () => open.delete(res));
  });
}

function inFlight(server: Server): Set<ServerResponse> {
  return answering.get(server) ?? new Set();
}
