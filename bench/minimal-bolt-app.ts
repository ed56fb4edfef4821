/**
 * The baseline of bench:slack: a Bolt app with the same receiver that only acks the slash
 * command. With BASELINE_DATABASE_URL it first inserts the command into a table of that
 * database (one round trip on a pool of 10 connections, a prepared statement, committed as
 * Postgres commits, to disk): the least an app does that records a command before it
 * answers, printed as a reference beside the goal's baseline. Run as its own process;
 * prints its URL.
 */
import * as bolt from '@slack/bolt';
import express from 'express';
import pg from 'pg';

const databaseUrl = process.env.BASELINE_DATABASE_URL;
const pool = databaseUrl ? new pg.Pool({ connectionString: databaseUrl, max: 10 }) : undefined;
await pool?.query(
  'create table if not exists bench_commands (id bigserial primary key, team text not null, person text not null, text text not null, at timestamptz not null default now())',
);

const receiver = new bolt.ExpressReceiver({
  signingSecret: process.env.SLACK_SIGNING_SECRET as string,
  endpoints: '/slack/events',
  processBeforeResponse: false,
  logLevel: bolt.LogLevel.ERROR,
});
const app = new bolt.App({
  receiver,
  token: 'xoxb-baseline',
  botId: 'B0',
  botUserId: 'U0',
  tokenVerificationEnabled: false,
  logLevel: bolt.LogLevel.ERROR,
});
app.command('/kudos', async ({ ack, command }) => {
  await pool?.query({
    name: 'record-command',
    text: 'insert into bench_commands (team, person, text) values ($1, $2, $3)',
    values: [command.team_id, command.user_id, command.text],
  });
  await ack({ response_type: 'ephemeral', text: 'ok' });
});
const server = express()
  .use(receiver.router)
  .listen(0, '127.0.0.1', () => {
    const address = server.address();
    if (address && typeof address === 'object')
      console.log(JSON.stringify({ url: `http://127.0.0.1:${address.port}` }));
  });
process.on('SIGTERM', () =>
  server.close(() => {
    void (pool?.end() ?? Promise.resolve()).finally(() => process.exit(0));
  }),
);
