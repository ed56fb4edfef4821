/**
 * `npm run bench:ledger`: kudos-shaped ledger writes (two linked transfers: allowance
 * spent, points issued) from 16 concurrent clients on real Postgres, beside pgbench TPC-B
 * with 16 clients on the same server, in the same run.
 *
 * BENCH_SECONDS (default 20) sets each phase's length.
 */
import { performance } from 'node:perf_hooks';
import { openDatabase } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { createMember } from '../src/directory/members.ts';
import { createOrganization } from '../src/directory/organizations.ts';
import type { MemberAccounts } from '../src/ledger/accounts.ts';
import { Ledger } from '../src/ledger/ledger.ts';
import { freshDatabase, percentile, pgbenchTps } from './postgres-server.ts';

const CLIENTS = 16;
const MEMBERS = 500;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);

const db = await openDatabase({
  url: await freshDatabase('plaudit_bench_ledger'),
  poolSize: CLIENTS,
});
await migrateToLatest(db);
const organization = await createOrganization(db, {
  name: 'Bench',
  timezone: 'UTC',
  currency: 'EUR',
});
if (!organization.ok) throw new Error(organization.message);
const organizationId = organization.value.id;
const ledger = new Ledger(db);
const org = await ledger.organizationAccounts(organizationId);
const members: MemberAccounts[] = [];
for (let index = 0; index < MEMBERS; index++) {
  const member = await createMember(db, organizationId, { displayName: `Member ${index}` });
  if (!member.ok) throw new Error(member.message);
  const accounts = await ledger.memberAccounts(organizationId, member.value.id);
  const grant = await ledger.transfer({
    organizationId,
    idempotencyKey: `grant-${index}`,
    transfers: [
      {
        debitAccountId: org.allowance_pool.id,
        creditAccountId: accounts.allowance.id,
        amount: 1_000_000_000,
        kind: 'allowance_grant',
      },
    ],
  });
  if (!grant.ok) throw new Error(grant.message);
  members.push(accounts);
}

const latencies: number[] = [];
let refused = 0;
let sequence = 0;
const deadline = performance.now() + SECONDS * 1000;
const started = performance.now();
await Promise.all(
  Array.from({ length: CLIENTS }, async () => {
    while (performance.now() < deadline) {
      const giver = members[Math.floor(Math.random() * MEMBERS)] as MemberAccounts;
      let recipient = giver;
      while (recipient === giver)
        recipient = members[Math.floor(Math.random() * MEMBERS)] as MemberAccounts;
      const amount = 1 + Math.floor(Math.random() * 10);
      const begin = performance.now();
      const result = await ledger.transfer({
        organizationId,
        idempotencyKey: `kudos-${++sequence}`,
        transfers: [
          {
            debitAccountId: giver.allowance.id,
            creditAccountId: org.allowance_spent.id,
            amount,
            kind: 'kudos',
          },
          {
            debitAccountId: org.issuance.id,
            creditAccountId: recipient.earned.id,
            amount,
            kind: 'kudos',
          },
        ],
      });
      latencies.push(performance.now() - begin);
      if (!result.ok) refused += 1;
    }
  }),
);
const elapsed = (performance.now() - started) / 1000;
await db.destroy();
if (refused > 0) throw new Error(`${refused} kudos were refused; the benchmark expects none`);

const kudosPerSecond = latencies.length / elapsed;
const tps = await pgbenchTps(CLIENTS, SECONDS);
latencies.sort((a, b) => a - b);

console.log(
  `\nledger benchmark: ${CLIENTS} clients, ${SECONDS} s each phase, ${MEMBERS} members\n`,
);
console.table([
  { measure: 'kudos/s (2 linked transfers each)', value: Math.round(kudosPerSecond) },
  { measure: 'pgbench TPC-B tps (baseline)', value: Math.round(tps) },
  {
    measure: 'ratio kudos/s ÷ tps (target ≥ 0.5)',
    value: Number((kudosPerSecond / tps).toFixed(2)),
  },
  { measure: 'kudos p50 latency, ms', value: Number(percentile(latencies, 0.5).toFixed(2)) },
  { measure: 'kudos p99 latency, ms', value: Number(percentile(latencies, 0.99).toFixed(2)) },
]);
