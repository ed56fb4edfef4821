/**
 * The local fake of the Bot Framework for bench:teams (the Bot Connector, its signing keys,
 * the bot's token endpoint), in its own process so that answering the bots' calls does
 * not slow the load generator. Prints its URL and a channel token for the benchmark's
 * app (the Connector signs a token once and reuses it until it expires), then one line
 * for each reply to an activity, stamped as it arrives: the benchmark's latency ends there.
 */
import { FakeBotConnector } from '../test/support/fake-bot-connector.ts';
import { BENCH_APP_ID, benchPerson } from './teams-bench-people.ts';

const users = Number(process.env.BENCH_USERS ?? 200);
const connector = await new FakeBotConnector().start();
for (let index = 0; index < users; index++) connector.addUser(benchPerson(index));
connector.onSent = (sent) => {
  // Wall-clock milliseconds at sub-millisecond precision, comparable across the processes
  // of one machine (performance.now() alone starts at each process's own origin).
  const at = performance.timeOrigin + performance.now();
  // Typing indicators and the personal messages to recipients are no answer to a message.
  if (sent.replyToId === null || sent.activity.type !== 'message') return;
  const text = (sent.activity.summary ?? sent.activity.text ?? '') as string;
  console.log(JSON.stringify({ replyTo: sent.replyToId, at, text }));
};
// The fake records every call; a benchmark has no use for them and would hold them all.
setInterval(() => {
  connector.sent.length = 0;
  connector.memberLookups.length = 0;
  connector.createdConversations.length = 0;
}, 1000).unref();
console.log(
  JSON.stringify({
    url: connector.url,
    serviceUrl: connector.serviceUrl,
    openIdMetadataUrl: connector.openIdMetadataUrl,
    tokenUrl: connector.tokenUrl,
    token: connector.key.channelToken({ appId: BENCH_APP_ID, serviceUrl: connector.serviceUrl }),
  }),
);
process.on('SIGTERM', () => void connector.stop().then(() => process.exit(0)));
