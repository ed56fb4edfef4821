/**
 * `npm run bench:slack`: signed slash-command gives over HTTP at a fixed rate against
 * Plaudit running as its own process on real Postgres (Slack's Web API faked locally, in
 * a third process), beside a minimal Bolt app that only acks, at the same rate, in the
 * same run.
 *
 * BENCH_RATE (per second, default 200) and BENCH_SECONDS (default 30).
 */
import { postSlashCommand } from '../test/support/slack-requests.ts';
import { freshDatabase, percentile } from './postgres-server.ts';
import { startPrintingProcess } from './printing-process.ts';

const RATE = Number(process.env.BENCH_RATE ?? 200);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const USERS = 200;
const SECRET = 'bench-signing-secret';
const TEAM = 'TBENCH';

interface Run {
  latencies: number[];
  errors: number;
}

/** Sends `RATE` commands a second for `SECONDS`, on schedule, whatever the answers' pace. */
async function fixedRate(
  url: string,
  text: (index: number) => { user: string; text: string },
  check: (body: string) => boolean,
): Promise<Run> {
  const run: Run = { latencies: [], errors: 0 };
  const total = RATE * SECONDS;
  const started = performance.now();
  const sends: Array<Promise<void>> = [];
  for (let index = 0; index < total; index++) {
    const due = started + (index * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const { user, text: commandText } = text(index);
    sends.push(
      postSlashCommand(url, SECRET, {
        team_id: TEAM,
        user_id: user,
        channel_id: 'CBENCH',
        text: commandText,
        trigger_id: `bench-${url}-${index}`,
        response_url: `${fake.url}/respond/${index}`,
      })
        .then((response) => {
          run.latencies.push(response.ms);
          if (response.status !== 200 || !check(response.body)) run.errors += 1;
        })
        .catch(() => {
          run.errors += 1;
        }),
    );
  }
  await Promise.all(sends);
  run.latencies.sort((a, b) => a - b);
  return run;
}

const fake = await startPrintingProcess('bench/fake-slack-server.ts', {
  BENCH_USERS: String(USERS),
  BENCH_TEAM: TEAM,
});
const plaudit = await startPrintingProcess('src/main.ts', {
  PORT: '0',
  LOG_LEVEL: 'info',
  DATABASE_URL: await freshDatabase('plaudit_bench_slack'),
  DATABASE_POOL_SIZE: process.env.BENCH_POOL ?? '10',
  SLACK_BOT_TOKEN: 'xoxb-bench',
  SLACK_SIGNING_SECRET: SECRET,
  SLACK_API_URL: `${fake.url}/api/`,
});
const baseline = await startPrintingProcess('bench/minimal-bolt-app.ts', {
  SLACK_SIGNING_SECRET: SECRET,
});
try {
  // Every user has met Plaudit once (member created, allowance period open), as in bench:give.
  for (let index = 0; index < USERS; index++) {
    await postSlashCommand(plaudit.url, SECRET, {
      team_id: TEAM,
      user_id: `U${index}`,
      channel_id: 'CBENCH',
      text: 'balance',
      trigger_id: `warm-${index}`,
      response_url: `${fake.url}/respond/warm`,
    });
  }
  const give = (index: number) => {
    const giver = index % USERS;
    const recipient = (giver + 1 + (index % (USERS - 1))) % USERS;
    return { user: `U${giver}`, text: `<@U${recipient}> 1 for the benchmark` };
  };
  const gives = await fixedRate(plaudit.url, give, (body) => body.includes('You gave 1 point'));
  const acks = await fixedRate(baseline.url, give, (body) => body.includes('"ok"'));
  const ms = (value: number) => Number(value.toFixed(1));
  console.log(
    `\nslack benchmark: ${RATE}/s for ${SECONDS} s each, signed slash commands over HTTP\n`,
  );
  console.table(
    [
      ['Plaudit give (ack with reply)', gives],
      ['minimal Bolt app, ack only (baseline)', acks],
    ].map(([name, run]) => {
      const result = run as Run;
      return {
        server: name,
        requests: result.latencies.length,
        errors: result.errors,
        'p50 ms': ms(percentile(result.latencies, 0.5)),
        'p99 ms': ms(percentile(result.latencies, 0.99)),
        'max ms': ms(result.latencies.at(-1) ?? Number.NaN),
      };
    }),
  );
} finally {
  plaudit.child.kill('SIGTERM');
  baseline.child.kill('SIGTERM');
  fake.child.kill('SIGTERM');
}
