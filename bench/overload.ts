/**
 * `npm run bench:overload`: signed Slack gives at 1×, 2× and 4× the rate this machine
 * sustains, against Plaudit running as its own process on real Postgres (Slack's Web API
 * faked in a third process; the commands' response URLs answered here). The sustained
 * rate is measured first in the same run: closed-loop gives, each client sending its next
 * once answered. For each multiple it prints how many commands were accepted and shed,
 * how many were answered (in the ack, or through the response URL), how many committed a
 * give without any answer (must be 0), and the p50/p99 of the answers people got.
 *
 * BENCH_SECONDS (each rate, default 10), BENCH_CLIENTS (closed-loop clients, default 8).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { BUSY_TEXT } from '../src/core/command-admission.ts';
import { postSlashCommand } from '../test/support/slack-requests.ts';
import { freshDatabase, percentile } from './postgres-server.ts';
import { startPrintingProcess } from './printing-process.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 8);
const USERS = 1000;
const SECRET = 'bench-signing-secret';
const TEAM = 'TBENCH';
/** How long after the last send the answers through response URLs are waited for. */
const SETTLE_MS = 15_000;

/** What became of one command. */
interface Sent {
  readonly sentAt: number;
  ackAt?: number;
  ackText?: string;
  failed?: string;
  respondedAt?: number;
  respondedText?: string;
}

/** The commands' response URLs: each answer posted there, with when it came. */
const responses = new Map<string, { at: number; text: string }>();
const receiver = createServer((request, response) => {
  let raw = '';
  request.setEncoding('utf8');
  request.on('data', (chunk: string) => {
    raw += chunk;
  });
  request.on('end', () => {
    const id = (request.url ?? '').replace(/^\/respond\//, '');
    const text = String((JSON.parse(raw || '{}') as { text?: unknown }).text ?? '');
    if (!responses.has(id)) responses.set(id, { at: performance.now(), text });
    response.setHeader('content-type', 'application/json');
    response.end('{"ok":true}');
  });
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

const databaseUrl = await freshDatabase('plaudit_bench_overload');
const fake = await startPrintingProcess('bench/fake-slack-server.ts', {
  BENCH_USERS: String(USERS),
  BENCH_TEAM: TEAM,
});
const plaudit = await startPrintingProcess('src/main.ts', {
  PORT: '0',
  LOG_LEVEL: 'info',
  DATABASE_URL: databaseUrl,
  SLACK_BOT_TOKEN: 'xoxb-bench',
  SLACK_SIGNING_SECRET: SECRET,
  SLACK_API_URL: `${fake.url}/api/`,
  // U0 changes the settings below, so U0 is named admin.
  PLAUDIT_INITIAL_ADMINS: 'u0@bench.example',
});

let sequence = 0;
/** Sends one give; records its ack, and matches a response URL answer to it later. */
function give(run: string, sent: Map<string, Sent>, index: number): Promise<void> {
  const giver = index % USERS;
  const recipient = (giver + 1 + (index % (USERS - 1))) % USERS;
  const id = `${run}-${++sequence}`;
  const record: Sent = { sentAt: performance.now() };
  sent.set(id, record);
  return postSlashCommand(plaudit.url, SECRET, {
    team_id: TEAM,
    user_id: `U${giver}`,
    channel_id: 'CBENCH',
    text: `<@U${recipient}> 1 for the benchmark`,
    trigger_id: id,
    response_url: `${receiverUrl}/respond/${id}`,
  }).then(
    (response) => {
      record.ackAt = performance.now();
      if (response.status !== 200) record.failed = `HTTP ${response.status}`;
      else if (response.body !== '') {
        record.ackText = String((JSON.parse(response.body) as { text?: unknown }).text ?? '');
      }
    },
    (error: Error) => {
      record.failed = error.message;
    },
  );
}

/** The rate this machine sustains: closed-loop gives, each client waiting for its answer. */
async function sustainedRate(): Promise<number> {
  const sent = new Map<string, Sent>();
  const endAt = performance.now() + SECONDS * 1000;
  let index = 0;
  let answered = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (performance.now() < endAt) {
        await give('sustain', sent, index++);
        answered += 1;
      }
    }),
  );
  return answered / SECONDS;
}

/** Sends `rate` gives a second for SECONDS, on schedule whatever the answers' pace. */
async function fixedRate(run: string, rate: number): Promise<Map<string, Sent>> {
  const sent = new Map<string, Sent>();
  const started = performance.now();
  const sends: Array<Promise<void>> = [];
  for (let index = 0; index < rate * SECONDS; index++) {
    const wait = started + (index * 1000) / rate - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    sends.push(give(run, sent, index));
  }
  await Promise.all(sends);
  return sent;
}

/** The commands of a run whose give committed, read from the ledger's request keys. */
async function committed(run: string): Promise<Set<string>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ key: string }>(
      `select q.idempotency_key as key from recognitions r
       join ledger_requests q on q.id = r.ledger_request_id
       where q.idempotency_key like $1`,
      [`%slack:${run}-%`],
    );
    return new Set(rows.map((row) => /slack:([^:]+)/.exec(row.key)?.[1] ?? row.key));
  } finally {
    await client.end();
  }
}

async function settle(sent: Map<string, Sent>): Promise<void> {
  const endAt = performance.now() + SETTLE_MS;
  const unanswered = () =>
    [...sent.entries()].filter(([id, record]) => !record.ackText && !responses.has(id)).length;
  let last = unanswered();
  // Until no answer has come for two seconds (or the time is up).
  while (performance.now() < endAt) {
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const now = unanswered();
    if (now === last || now === 0) break;
    last = now;
  }
}

/** Plaudit's own count of commands shed so far, by reason, from its /metrics. */
async function shedSoFar(): Promise<Record<string, number>> {
  const text = await (await fetch(`${plaudit.url}/metrics`)).text();
  const counts: Record<string, number> = { saturated: 0, late: 0 };
  for (const [, reason = '', value = '0'] of text.matchAll(
    /^plaudit_commands_shed_total\{reason="(\w+)"\} (\d+)$/gm,
  )) {
    counts[reason] = Number(value);
  }
  return counts;
}

function summary(
  multiple: string,
  rate: number,
  sent: Map<string, Sent>,
  done: Set<string>,
  shedBy: Record<string, number>,
) {
  let answered = 0;
  let silent = 0;
  let failed = 0;
  let late = 0;
  const answerMs: number[] = [];
  const busyMs: number[] = [];
  for (const [id, record] of sent) {
    const responded = responses.get(id);
    const text = record.ackText ?? responded?.text;
    if (record.failed) failed += 1;
    if (text) {
      answered += 1;
      if (!record.ackText) late += 1;
      const at = record.ackText ? record.ackAt : responded?.at;
      if (at !== undefined) (text === BUSY_TEXT ? busyMs : answerMs).push(at - record.sentAt);
    } else if (done.has(id)) silent += 1;
  }
  const all = [...answerMs, ...busyMs].sort((a, b) => a - b);
  answerMs.sort((a, b) => a - b);
  busyMs.sort((a, b) => a - b);
  const ms = (value: number) => Number(value.toFixed(0));
  return {
    load: multiple,
    'rate /s': Math.round(rate),
    sent: sent.size,
    'HTTP errors': failed,
    accepted: sent.size - failed - busyMs.length,
    shed: busyMs.length,
    'shed: saturated': shedBy.saturated,
    'shed: late': shedBy.late,
    committed: done.size,
    answered,
    'by response URL': late,
    'committed without answer': silent,
    'answer p50 ms': ms(percentile(all, 0.5)),
    'answer p99 ms': ms(percentile(all, 0.99)),
    'taken p99 ms': ms(percentile(answerMs, 0.99)),
    'busy p99 ms': ms(percentile(busyMs, 0.99)),
  };
}

try {
  // Every user meets Plaudit once (member created, allowance period open), and everyone
  // may give enough for the whole run.
  await postSlashCommand(plaudit.url, SECRET, {
    team_id: TEAM,
    user_id: 'U0',
    channel_id: 'CBENCH',
    text: 'admin settings allowance=100000',
    trigger_id: 'settings',
    response_url: `${receiverUrl}/respond/settings`,
  });
  for (let index = 0; index < USERS; index++) {
    await postSlashCommand(plaudit.url, SECRET, {
      team_id: TEAM,
      user_id: `U${index}`,
      channel_id: 'CBENCH',
      text: 'balance',
      trigger_id: `warm-${index}`,
      response_url: `${receiverUrl}/respond/warm-${index}`,
    });
  }
  const sustained = await sustainedRate();
  const rows = [];
  for (const multiple of [1, 2, 4]) {
    const run = `x${multiple}`;
    const before = await shedSoFar();
    const sent = await fixedRate(run, sustained * multiple);
    await settle(sent);
    const after = await shedSoFar();
    const shedBy = {
      saturated: (after.saturated ?? 0) - (before.saturated ?? 0),
      late: (after.late ?? 0) - (before.late ?? 0),
    };
    rows.push(summary(`${multiple}×`, sustained * multiple, sent, await committed(run), shedBy));
  }
  console.log(
    `\noverload benchmark: signed Slack gives for ${SECONDS} s at each rate; sustained rate measured in this run with ${CLIENTS} closed-loop clients: ${sustained.toFixed(0)}/s\n`,
  );
  console.table(rows);
} finally {
  plaudit.child.kill('SIGTERM');
  fake.child.kill('SIGTERM');
  receiver.close();
}
