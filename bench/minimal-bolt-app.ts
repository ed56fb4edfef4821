/**
 * The baseline of bench:slack: a Bolt app with the same receiver that only acks the slash
 * command. With BASELINE_DATABASE_URL it first records the command (bench/recorded-commands.ts),
 * the reference printed beside the goal's baseline. Run as its own process; prints its URL.
 */
import * as bolt from '@slack/bolt';
import express from 'express';
import { recordCommand, stopRecording } from './recorded-commands.ts';

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
  await recordCommand(command.team_id, command.user_id, command.text);
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
    void stopRecording().finally(() => process.exit(0));
  }),
);
