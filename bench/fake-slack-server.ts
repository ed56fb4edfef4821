/**
 * The local fake of Slack's Web API for bench:slack, in its own process so that answering
 * Plaudit's calls does not slow the load generator. Prints its URL.
 */
import { FakeSlackApi } from '../test/support/fake-slack-api.ts';

const users = Number(process.env.BENCH_USERS ?? 200);
const fake = await new FakeSlackApi({
  id: process.env.BENCH_TEAM ?? 'TBENCH',
  name: 'Bench',
  botUserId: 'UBOT',
}).start();
for (let index = 0; index < users; index++) {
  fake.users.set(`U${index}`, {
    id: `U${index}`,
    name: `User ${index}`,
    profile: { display_name: `User ${index}`, email: `u${index}@bench.example` },
  });
}
// The fake records every call; a benchmark has no use for them and would hold them all.
setInterval(() => {
  fake.calls.length = 0;
}, 1000).unref();
console.log(JSON.stringify({ url: fake.url }));
process.on('SIGTERM', () => void fake.stop().then(() => process.exit(0)));
