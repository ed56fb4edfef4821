/**
 * `npm run bench:slack`: signed slash-command gives over HTTP at a fixed rate against
 * Plaudit deployed as production deploys it (bench/chat-deployment.ts: a web process and a
 * worker process, both the compiled build `node dist/main.js`, sharing Redis; the web
 * process answers the commands, the worker sends the notifications they leave through
 * the queue) on real Postgres (Slack's Web API faked locally, in a process of its own), beside
 * a minimal Bolt app that only acks, at the same rate, in the same run; then, as a
 * reference outside the goal's ratios, the same app inserting each command into a table of
 * its own database before its ack (what any app pays to record a command before it
 * answers). Each run also prints the machine's CPU a command, by process (bench/machine-cpu.ts:
 * the servers' and the fake's too), and the cores that takes at the rate. Then the top 10
 * functions by self time in the web process's CPU profile (`--cpu-prof`) during its run.
 *
 * The gives are spread as a company's would be: 1,000 people, each giving about once every
 * five seconds at 200/s, in 500 channels, so that no channel is asked for more
 * celebrations, and nobody for more personal messages, than Slack lets a bot post (one a
 * second each): the work the run leaves (celebrations, recipients' messages) can then
 * finish, and is waited for before the processes stop, so the cost per command (CPU ms
 * and SQL round trips of each process) counts all of it, whatever the machine's load.
 *
 * BENCH_RATE (per second, default 200) and BENCH_SECONDS (default 30), measured after
 * BENCH_WARMUP_SECONDS (default 5) of the same load (a just-started server's first seconds
 * are its start's: JIT, new pool connections, first plans), printed apart; BENCH_CPU_PROFILE=0
 * runs Plaudit without the profiler.
 * BENCH_CPU_PROFILE_SAVE=<file> keeps the whole profile there; BENCH_DATABASE_NAME names
 * the database it recreates (default plaudit_bench_slack), so two runs at once do not drop each
 * other's; BENCH_REDIS_URL (default redis://127.0.0.1:6379), where each run's keys have a
 * prefix of their own; BENCH_LEFTOVER_LIMIT (seconds, default 180), how long the work left
 * after the run is waited for.
 */
import { postSlashCommand, slackSignature } from '../test/support/slack-requests.ts';
import { printDeploymentCosts, runEnd, runStart, startChatDeployment } from './chat-deployment.ts';
import { printCpuProfileSummary } from './cpu-profile-summary.ts';
import {
  atFixedRate,
  printComparison,
  printReference,
  rateAndSeconds,
  type Sent,
  warmUp,
} from './fixed-rate.ts';
import { post } from './light-post.ts';
import { loadGenerator, meteredRun, printBaselinesMachineCpu, processes } from './machine-cpu.ts';
import { freshDatabase } from './postgres-server.ts';
import { startPrintingProcess, stopProcess } from './printing-process.ts';
import { referenceRun } from './reference-app.ts';

const { rate: RATE, seconds: SECONDS, warmupSeconds: WARMUP_SECONDS } = rateAndSeconds();
/** The warm-up's commands, numbered before the measured run's. */
const WARMUP_COMMANDS = Math.round(RATE * WARMUP_SECONDS);
const USERS = 1000;
/** Channels the gives are spread over: each gets RATE / CHANNELS celebrations a second. */
const CHANNELS = 500;
const SECRET = 'bench-signing-secret';
const TEAM = 'TBENCH';
const DATABASE = process.env.BENCH_DATABASE_NAME ?? 'plaudit_bench_slack';

/**
 * Sends the commands `text` makes at the fixed rate, after a warm-up at the same rate;
 * `check` says whether an answer is right.
 */
async function fixedRate<Started>(
  url: string,
  text: (index: number) => { user: string; text: string; channel: string },
  check: (body: string) => boolean,
  /** Called between the warm-up and the measured run (the meters are read then). */
  warmedUp: () => Promise<Started>,
) {
  const send = async (index: number): Promise<Sent> => {
    const { user, text: commandText, channel } = text(index);
    const body = new URLSearchParams({
      token: 'deprecated-verification-token',
      team_id: TEAM,
      team_domain: 'acme',
      channel_id: channel,
      channel_name: 'general',
      user_id: user,
      user_name: 'someone',
      api_app_id: 'A1',
      command: '/kudos',
      text: commandText,
      trigger_id: `bench-${url}-${index}`,
      response_url: `${fake.url}/respond/${index}`,
    }).toString();
    const timestamp = Math.floor(Date.now() / 1000);
    const started = performance.now();
    const response = await post(
      `${url}/slack/events`,
      {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': String(timestamp),
        'x-slack-signature': slackSignature(SECRET, timestamp, body),
      },
      body,
    );
    const ms = performance.now() - started;
    if (response.status !== 200) return { ms, error: `HTTP ${response.status}` };
    if (!check(response.body)) return { ms, error: `answered: ${response.body.slice(0, 80)}` };
    return { ms };
  };
  const warm = await warmUp(RATE, WARMUP_SECONDS, send);
  const started = await warmedUp();
  return {
    warmUp: warm,
    started,
    run: await atFixedRate(RATE, SECONDS, send, WARMUP_COMMANDS),
  };
}

const fake = await startPrintingProcess('bench/fake-slack-server.ts', {
  BENCH_USERS: String(USERS),
  BENCH_TEAM: TEAM,
});
const fakeApi = processes('fake Slack API', [fake.child.pid as number]);
const deployment = await startChatDeployment(
  'slack',
  {
    DATABASE_URL: await freshDatabase(DATABASE),
    DATABASE_POOL_SIZE: process.env.BENCH_POOL ?? '10',
    SLACK_BOT_TOKEN: 'xoxb-bench',
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: `${fake.url}/api/`,
  },
  {},
  [fakeApi],
);
const plaudit = deployment.web;
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
    const channel = `C${index % CHANNELS}`;
    return { user: `U${giver}`, text: `<@U${recipient}> 1 for the benchmark`, channel };
  };
  const gives = await fixedRate(
    plaudit.url,
    give,
    (body) => body.includes('You gave 1 point'),
    () => runStart(deployment),
  );
  const { webBefore, workerBefore, machineBefore, from } = gives.started;
  const { to, webStatements, webPauses } = await runEnd(deployment);
  const window = { from, to };
  // The work left over (celebrations, the recipients' messages) is done, and Plaudit
  // stopped, before the baseline's run: it and its profile's writing would otherwise load
  // the machine under the baseline.
  const shed = await deployment.shed();
  const leftover = await deployment.leftoverDone();
  const machineAfter = await deployment.machineCpu();
  const profile = await plaudit.stopAndReadProfile();
  const workerProfile = await deployment.worker.stopAndReadProfile();
  const acks = await meteredRun(
    [processes('Bolt app', [baseline.child.pid as number]), loadGenerator()],
    (warmedUp) => fixedRate(baseline.url, give, (body) => body.includes('"ok"'), warmedUp),
  );
  await stopProcess(baseline.child);
  // The least an app does that records a command before it answers: the same Bolt app,
  // inserting each command (one round trip, committed) into a database of its own on the
  // same server before its ack.
  const recorded = await referenceRun({
    database: DATABASE,
    app: 'Bolt app',
    start: (databaseUrl) =>
      startPrintingProcess('bench/minimal-bolt-app.ts', {
        SLACK_SIGNING_SECRET: SECRET,
        BASELINE_DATABASE_URL: databaseUrl,
      }),
    measure: (url, warmedUp) => fixedRate(url, give, (body) => body.includes('"ok"'), warmedUp),
  });
  console.log(
    `\nslack benchmark: ${RATE}/s for ${SECONDS} s each, after ${WARMUP_SECONDS} s of warm-up at the same rate, signed slash commands over HTTP; ` +
      'latency from sending a command to its HTTP answer (the ack, which carries the reply)\n',
  );
  printComparison(
    { name: 'Plaudit give (web + worker, ack with reply)', ...gives },
    { name: 'minimal Bolt app, ack only (baseline)', ...acks.run },
  );
  printReference(
    { name: 'Plaudit', ...gives },
    { name: 'the Bolt app inserting one row before its ack', ...recorded.run },
  );
  await printDeploymentCosts(deployment, Math.round(RATE * SECONDS), {
    shed,
    leftover,
    webBefore,
    workerBefore,
    webStatements,
    webPauses,
    rate: RATE,
    machineBefore,
    machineAfter,
  });
  printBaselinesMachineCpu(Math.round(RATE * SECONDS), RATE, acks, recorded);
  if (profile) printCpuProfileSummary("Plaudit's CPU profile during its run", profile, window);
  if (workerProfile) {
    printCpuProfileSummary("The worker's CPU profile during the run", workerProfile, window);
  }
} finally {
  await deployment.stop();
  await stopProcess(baseline.child);
  await stopProcess(fake.child);
}
