import type { AddressInfo } from 'node:net';
import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of a server (Postgres or Redis) that a test can cut, freeze and
 * restore on the same port: what Plaudit sees as the server going away, hanging and coming
 * back, without stopping the real one that other tests share.
 */
export class TcpProxy {
  #server: Server | undefined;
  readonly #pairs = new Set<{ client: Socket; upstream: Socket }>();
  #frozen = false;
  port = 0;
  /** Connections accepted since the proxy was made. */
  accepted = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  /** Connections open through the proxy now. */
  get connections(): number {
    return this.#pairs.size;
  }

  async start(): Promise<this> {
    const server = createServer((client) => this.#pipe(client));
    this.#server = server;
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    return this;
  }

  #pipe(client: Socket): void {
    this.accepted += 1;
    const upstream = createConnection(this.targetPort, this.targetHost);
    const pair = { client, upstream };
    this.#pairs.add(pair);
    for (const socket of [client, upstream]) {
      socket.on('error', () => socket.destroy());
      socket.on('close', () => {
        this.#pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
    if (this.#frozen) this.#hold(pair);
  }

  #hold({ client, upstream }: { client: Socket; upstream: Socket }): void {
    client.unpipe(upstream);
    upstream.unpipe(client);
    client.pause();
    upstream.pause();
  }

  /** Drops every connection and stops listening: the server is "down". */
  async cut(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    this.#frozen = false;
    for (const { client, upstream } of this.#pairs) {
      client.destroy();
      upstream.destroy();
    }
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /**
   * The server hangs: connections stay open and new ones are accepted, but nothing passes
   * either way (a frozen host, a partitioned network), until `thaw`.
   */
  freeze(): void {
    this.#frozen = true;
    for (const pair of this.#pairs) this.#hold(pair);
  }

  /** Lets everything held since `freeze` through. */
  thaw(): void {
    this.#frozen = false;
    for (const { client, upstream } of this.#pairs) {
      client.pipe(upstream).pipe(client);
      client.resume();
      upstream.resume();
    }
  }
}
