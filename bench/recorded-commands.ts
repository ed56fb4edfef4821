/**
 * What the reference apps of the chat benches do before they answer: insert the command
 * into a table of BASELINE_DATABASE_URL's database (one round trip on a pool of 10
 * connections, a prepared statement, committed as Postgres commits, to disk), the least an
 * app does that records a command before it answers. Without BASELINE_DATABASE_URL it
 * records nothing: the app is the goal's baseline, which only answers.
 */
import pg from 'pg';

const databaseUrl = process.env.BASELINE_DATABASE_URL;
const pool = databaseUrl ? new pg.Pool({ connectionString: databaseUrl, max: 10 }) : undefined;
await pool?.query(
  'create table if not exists bench_commands (id bigserial primary key, team text not null, person text not null, text text not null, at timestamptz not null default now())',
);

/** Records one command (nothing, for the baseline). */
export async function recordCommand(team: string, person: string, text: string): Promise<void> {
  await pool?.query({
    name: 'record-command',
    text: 'insert into bench_commands (team, person, text) values ($1, $2, $3)',
    values: [team, person, text],
  });
}

/** Closes the pool, if there is one. */
export async function stopRecording(): Promise<void> {
  await pool?.end();
}
