/**
 * The chat benches' reference: their baseline app, started with BASELINE_DATABASE_URL so it
 * records each command before it answers (bench/recorded-commands.ts), in a fresh database
 * of its own on the same server, measured with the machine's CPU over its run (the app, the
 * processes `beside` it, the Postgres server and the load generator).
 */
import type { ChildProcess } from 'node:child_process';
import pg from 'pg';
import {
  type CpuSource,
  loadGenerator,
  type MeteredRun,
  meteredRun,
  postgresServer,
  processes,
} from './machine-cpu.ts';
import { freshDatabase } from './postgres-server.ts';
import { stopProcess } from './printing-process.ts';

export async function referenceRun<Run>(options: {
  /** The bench's own database: the reference's is named after it, `<name>_reference`. */
  readonly database: string;
  /** What the machine's line calls the app. */
  readonly app: string;
  /** Starts the app, recording into the database at `databaseUrl`. */
  start(databaseUrl: string): Promise<{ url: string; child: ChildProcess }>;
  readonly beside?: readonly CpuSource[];
  /** Sends the load to the app at `url`, calling `warmedUp` where the measured run starts. */
  measure(url: string, warmedUp: () => Promise<void>): Promise<Run>;
}): Promise<MeteredRun<Run>> {
  const databaseUrl = await freshDatabase(`${options.database}_reference`);
  const app = await options.start(databaseUrl);
  const server = new pg.Client({ connectionString: databaseUrl });
  try {
    await server.connect();
    return await meteredRun(
      [
        processes(options.app, [app.child.pid as number]),
        ...(options.beside ?? []),
        postgresServer(server),
        loadGenerator(),
      ],
      (warmedUp) => options.measure(app.url, warmedUp),
    );
  } finally {
    await stopProcess(app.child);
    await server.end();
  }
}
