/**
 * `npm run bench:teams`: Bot Framework message activities carrying a give, each with a
 * channel token signed as the Bot Connector signs it, posted to `/api/messages` at a fixed
 * rate against Plaudit deployed as production deploys it (bench/chat-deployment.ts: a web
 * process and a worker process, both the compiled build `node dist/main.js`, sharing
 * Redis; the web process answers, the worker sends the notifications through the queue) on real
 * Postgres, beside a minimal botbuilder app
 * (CloudAdapter, the same authentication) that only answers each message, at the same
 * rate, in the same run; then, as a reference outside the goal's ratios (as in bench:slack),
 * the same app inserting each message into a table of its own database before it answers.
 * The Bot Connector is faked locally, in a third process. Each run
 * also prints the machine's CPU a command, by process (bench/machine-cpu.ts), and the cores
 * that takes at the rate. Then the top 10 functions by self time in the web process's CPU
 * profile (`--cpu-prof`) during its run.
 *
 * The gives are spread over 1,000 people, each giving and receiving about once every five
 * seconds at 200/s, so that nobody is sent more personal messages than Plaudit paces
 * them (one every 2 s a person, TEAMS_SEND_TURN_MS): the work the run leaves can then finish,
 * and is waited for before the processes stop, so the cost per command (CPU ms and SQL
 * round trips of each process) counts all of it.
 *
 * Latency is from sending an activity to its reply arriving at the fake Bot Connector: a
 * bot answers Teams by calling the Connector (`POST /v3/conversations/{id}/activities/
 * {activityId}`), not in the HTTP answer to the activity, so the reply's arrival there is
 * when the person would see it. The fake stamps each reply as it arrives, on the wall
 * clock both processes share (performance.timeOrigin + performance.now()).
 *
 * BENCH_RATE (per second, default 200) and BENCH_SECONDS (default 30), measured after
 * BENCH_WARMUP_SECONDS (default 5) of the same load, printed apart; BENCH_CPU_PROFILE=0
 * runs Plaudit without the profiler.
 * BENCH_CPU_PROFILE_SAVE=<file> keeps the whole profile there; BENCH_DATABASE_NAME names
 * the database it recreates (default plaudit_bench_teams), so two runs at once do not drop each
 * other's; BENCH_REDIS_URL and BENCH_LEFTOVER_LIMIT as in bench:slack.
 */
import type { ChildProcess } from 'node:child_process';
import { z } from 'zod/v4';
import { teamsMessage } from '../test/support/teams-activities.ts';
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
import { startPrintingProcess, startProcess, stopProcess } from './printing-process.ts';
import { referenceRun } from './reference-app.ts';
import {
  BENCH_APP_ID,
  BENCH_APP_PASSWORD,
  BENCH_TENANT,
  benchPerson,
} from './teams-bench-people.ts';

const { rate: RATE, seconds: SECONDS, warmupSeconds: WARMUP_SECONDS } = rateAndSeconds();
const USERS = 1000;
/** A reply later than this after its activity was sent counts as none (an error). */
const REPLY_TIMEOUT_MS = 60_000;
const PRELOAD = 'bench/teams-token-preload.mjs';

interface Reply {
  /** Wall-clock milliseconds when the reply reached the fake Bot Connector. */
  readonly at: number;
  readonly text: string;
}

/** Who waits for the reply to each activity id (or the reply that came first). */
const awaited = new Map<string, (reply: Reply) => void>();
const early = new Map<string, Reply>();

const replyLine = z.object({ replyTo: z.string(), at: z.number(), text: z.string() });

function onConnectorLine(line: string): void {
  const { replyTo, ...reply } = replyLine.parse(JSON.parse(line));
  const waiter = awaited.get(replyTo);
  if (waiter) waiter(reply);
  else early.set(replyTo, reply);
}

/** Resolves with the reply to activity `id` when it arrives, or undefined after the timeout. */
function replyTo(id: string): Promise<Reply | undefined> {
  const arrived = early.get(id);
  if (arrived) {
    early.delete(id);
    return Promise.resolve(arrived);
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      awaited.delete(id);
      resolve(undefined);
    }, REPLY_TIMEOUT_MS);
    // A request refused (no reply coming) leaves its timer; it keeps nothing waiting.
    timer.unref();
    awaited.set(id, (reply) => {
      clearTimeout(timer);
      awaited.delete(id);
      resolve(reply);
    });
  });
}

const wallClock = () => performance.timeOrigin + performance.now();

const fake = await startPrintingProcess(
  'bench/fake-bot-connector-server.ts',
  { BENCH_USERS: String(USERS) },
  onConnectorLine,
);
const connector = z
  .object({
    serviceUrl: z.string(),
    openIdMetadataUrl: z.string(),
    tokenUrl: z.string(),
    token: z.string(),
  })
  .parse(fake.first);
const scene = {
  serviceUrl: connector.serviceUrl,
  tenantId: BENCH_TENANT,
  bot: { id: `28:${BENCH_APP_ID}`, name: 'Plaudit' },
};
const auth = {
  TEAMS_APP_ID: BENCH_APP_ID,
  TEAMS_APP_PASSWORD: BENCH_APP_PASSWORD,
  TEAMS_OPENID_METADATA_URL: connector.openIdMetadataUrl,
  BENCH_TEAMS_TOKEN_URL: connector.tokenUrl,
};

/**
 * Posts a message from person `from` (mentioning `mentions`) to a bot, signed, and waits
 * for the reply at the fake Connector; `expected` is what a right reply contains.
 */
async function send(
  url: string,
  id: string,
  from: number,
  text: string,
  mentions: number[],
  expected: string,
): Promise<Sent> {
  const activity = teamsMessage(scene, benchPerson(from), text, {
    id,
    mentions: mentions.map(benchPerson),
  });
  const replied = replyTo(id);
  const sentAt = wallClock();
  const response = await post(
    `${url}/api/messages`,
    { 'content-type': 'application/json', authorization: `Bearer ${connector.token}` },
    JSON.stringify(activity),
  );
  // A refused activity gets no reply to wait for.
  if (response.status !== 200) return { error: `HTTP ${response.status}` };
  const reply = await replied;
  if (!reply) return { error: `no reply within ${REPLY_TIMEOUT_MS / 1000} s` };
  const ms = reply.at - sentAt;
  if (!reply.text.includes(expected)) return { ms, error: `replied: ${reply.text.slice(0, 80)}` };
  return { ms };
}

/**
 * Gives of 1 point, each giver to a different recipient each time, at the fixed rate, after
 * a warm-up of the same; `warmedUp` is called between the two (the meters are read then).
 */
async function gives<Started>(
  url: string,
  label: string,
  expected: string,
  warmedUp: () => Promise<Started>,
) {
  const give = (index: number) => {
    const giver = index % USERS;
    const recipient = (giver + 1 + (index % (USERS - 1))) % USERS;
    const text = `give <at>User ${recipient}</at> 1 for the benchmark`;
    return send(url, `${label}-${index}`, giver, text, [recipient], expected);
  };
  const warm = await warmUp(RATE, WARMUP_SECONDS, give);
  const started = await warmedUp();
  return {
    warmUp: warm,
    started,
    run: await atFixedRate(RATE, SECONDS, give, Math.round(RATE * WARMUP_SECONDS)),
  };
}

const DATABASE = process.env.BENCH_DATABASE_NAME ?? 'plaudit_bench_teams';
/** The baseline (and, recording, the reference): node's command line. */
const BOTBUILDER_APP = [
  '--import',
  'tsx',
  '--import',
  `./${PRELOAD}`,
  'bench/minimal-botbuilder-app.ts',
];
/** The fake Connector: its CPU is counted with each app's it answers for. */
const connectorProcess = processes('fake Bot Connector', [fake.child.pid as number]);
const deployment = await startChatDeployment(
  'teams',
  {
    DATABASE_URL: await freshDatabase(DATABASE),
    DATABASE_POOL_SIZE: process.env.BENCH_POOL ?? '10',
    TEAMS_ALLOWED_TENANTS: BENCH_TENANT,
    ...auth,
  },
  { preload: PRELOAD },
  [connectorProcess],
);
const plaudit = deployment.web;
let baseline: { url: string; child: ChildProcess } | undefined;
try {
  baseline = await startProcess(BOTBUILDER_APP, auth);
  // Every person has chatted with Plaudit once (member created, allowance period open, the
  // personal chat known, where recipients are told), as in bench:slack; and each bot has
  // fetched the signing keys and its own token.
  for (let index = 0; index < USERS; index++) {
    const warm = await send(plaudit.url, `warm-${index}`, index, 'balance', [], '');
    if (warm.error) throw new Error(`User ${index}'s first message to Plaudit: ${warm.error}`);
  }
  for (let index = 0; index < 10; index++) {
    await send(baseline.url, `warm-${index}`, index, 'balance', [], 'ok');
  }
  const measured = await gives(plaudit.url, 'plaudit', 'You gave 1 point', () =>
    runStart(deployment),
  );
  const { webBefore, workerBefore, machineBefore, from } = measured.started;
  const { to, webStatements, webPauses } = await runEnd(deployment);
  const window = { from, to };
  // The work left over (the recipients' messages) is done, and Plaudit stopped, before the
  // baseline's run: it and its profile's writing would otherwise load the machine under
  // the baseline.
  const shed = await deployment.shed();
  const leftover = await deployment.leftoverDone();
  const machineAfter = await deployment.machineCpu();
  const profile = await plaudit.stopAndReadProfile();
  const workerProfile = await deployment.worker.stopAndReadProfile();
  // The fake Connector receives the baseline's replies too: its work is the run's.
  const baselineUrl = baseline.url;
  const answered = await meteredRun(
    [
      processes('botbuilder app', [baseline.child.pid as number]),
      connectorProcess,
      loadGenerator(),
    ],
    (warmedUp) => gives(baselineUrl, 'baseline', 'ok', warmedUp),
  );
  await stopProcess(baseline.child);
  // As in bench:slack, the least an app does that records a message before it answers: the
  // same botbuilder app, inserting each message into a database of its own first.
  const recorded = await referenceRun({
    database: DATABASE,
    app: 'botbuilder app',
    beside: [connectorProcess],
    start: (databaseUrl) =>
      startProcess(BOTBUILDER_APP, { ...auth, BASELINE_DATABASE_URL: databaseUrl }),
    async measure(url, warmedUp) {
      for (let index = 0; index < 10; index++) {
        await send(url, `reference-warm-${index}`, index, 'balance', [], 'ok');
      }
      return gives(url, 'reference', 'ok', warmedUp);
    },
  });
  console.log(
    `\nteams benchmark: ${RATE}/s for ${SECONDS} s each, after ${WARMUP_SECONDS} s of warm-up at the same rate, signed Bot Framework message activities ` +
      'to /api/messages; latency from sending an activity to its reply reaching the fake Bot Connector\n',
  );
  printComparison(
    { name: 'Plaudit give (web + worker)', ...measured },
    { name: 'minimal botbuilder app, answers only (baseline)', ...answered.run },
  );
  printReference(
    { name: 'Plaudit', ...measured },
    { name: 'the botbuilder app inserting one row before its answer', ...recorded.run },
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
  printBaselinesMachineCpu(Math.round(RATE * SECONDS), RATE, answered, recorded);
  if (profile) printCpuProfileSummary("Plaudit's CPU profile during its run", profile, window);
  if (workerProfile) {
    printCpuProfileSummary("The worker's CPU profile during the run", workerProfile, window);
  }
} finally {
  await deployment.stop();
  if (baseline) await stopProcess(baseline.child);
  await stopProcess(fake.child);
}
