/**
 * `npm run bench:slack`: signed slash-command gives over HTTP at a fixed rate against
 * Plaudit running as its own process (the compiled build, `node dist/main.js`, as
 * production runs it) on real Postgres (Slack's Web API faked locally, in a third
 * process), beside a minimal Bolt app that only acks, at the same rate, in the same run.
 * Then the top 10 functions by self time in Plaudit's CPU profile (`--cpu-prof`) during
 * its run.
 *
 * BENCH_RATE (per second, default 200) and BENCH_SECONDS (default 30); BENCH_CPU_PROFILE=0
 * runs Plaudit without the profiler.
 * BENCH_CPU_PROFILE_SAVE=<file> keeps the whole profile there; BENCH_DATABASE_NAME names
 * the database it recreates (default plaudit_bench_slack), so two runs at once do not drop each
 * other's.
 */
import { postSlashCommand } from '../test/support/slack-requests.ts';
import { printCostPerCommand, startBuiltPlaudit } from './built-plaudit.ts';
import { printCpuProfileSummary, profileClock } from './cpu-profile-summary.ts';
import { atFixedRate, printComparison, rateAndSeconds } from './fixed-rate.ts';
import { freshDatabase } from './postgres-server.ts';
import { startPrintingProcess, stopProcess } from './printing-process.ts';

const { rate: RATE, seconds: SECONDS } = rateAndSeconds();
const USERS = 200;
const SECRET = 'bench-signing-secret';
const TEAM = 'TBENCH';

/** Sends the commands `text` makes at the fixed rate; `check` says whether an answer is right. */
function fixedRate(
  url: string,
  text: (index: number) => { user: string; text: string },
  check: (body: string) => boolean,
) {
  return atFixedRate(RATE, SECONDS, async (index) => {
    const { user, text: commandText } = text(index);
    const response = await postSlashCommand(url, SECRET, {
      team_id: TEAM,
      user_id: user,
      channel_id: 'CBENCH',
      text: commandText,
      trigger_id: `bench-${url}-${index}`,
      response_url: `${fake.url}/respond/${index}`,
    });
    if (response.status !== 200) return { ms: response.ms, error: `HTTP ${response.status}` };
    if (!check(response.body)) {
      return { ms: response.ms, error: `answered: ${response.body.slice(0, 80)}` };
    }
    return { ms: response.ms };
  });
}

const fake = await startPrintingProcess('bench/fake-slack-server.ts', {
  BENCH_USERS: String(USERS),
  BENCH_TEAM: TEAM,
});
const plaudit = await startBuiltPlaudit({
  PORT: '0',
  LOG_LEVEL: 'info',
  DATABASE_URL: await freshDatabase(process.env.BENCH_DATABASE_NAME ?? 'plaudit_bench_slack'),
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
  const before = await plaudit.meter();
  const from = profileClock();
  const gives = await fixedRate(plaudit.url, give, (body) => body.includes('You gave 1 point'));
  const window = { from, to: profileClock() };
  // Stopped before the baseline's run: its work left over (the recipients' messages) and
  // its profile's writing would otherwise load the machine under the baseline.
  const profile = await plaudit.stopAndReadProfile();
  const acks = await fixedRate(baseline.url, give, (body) => body.includes('"ok"'));
  console.log(
    `\nslack benchmark: ${RATE}/s for ${SECONDS} s each, signed slash commands over HTTP; ` +
      'latency from sending a command to its HTTP answer (the ack, which carries the reply)\n',
  );
  printComparison(
    { name: 'Plaudit give (node dist/main.js, ack with reply)', run: gives },
    { name: 'minimal Bolt app, ack only (baseline)', run: acks },
  );
  printCostPerCommand(Math.round(RATE * SECONDS), before, await plaudit.exitMeter);
  if (profile) printCpuProfileSummary("Plaudit's CPU profile during its run", profile, window);
} finally {
  await plaudit.stop();
  await stopProcess(baseline.child);
  await stopProcess(fake.child);
}
