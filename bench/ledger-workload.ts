import { performance } from 'node:perf_hooks';
import { openDatabase } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { createMember } from '../src/directory/members.ts';
import { createOrganization } from '../src/directory/organizations.ts';
import type { MemberAccounts } from '../src/ledger/accounts.ts';
import { Ledger } from '../src/ledger/ledger.ts';
import { freshDatabase } from './postgres-server.ts';

export interface Throughput {
  readonly perSecond: number;
  /** Milliseconds, sorted. */
  readonly latencies: number[];
}

/** Runs `work` from `clients` concurrent loops for `seconds`; every call must succeed. */
export async function measure(
  clients: number,
  seconds: number,
  work: (client: number) => Promise<boolean>,
): Promise<Throughput> {
  const latencies: number[] = [];
  let failed = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      while (performance.now() < deadline) {
        const begin = performance.now();
        if (!(await work(client))) failed += 1;
        latencies.push(performance.now() - begin);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  if (failed > 0) throw new Error(`${failed} operations failed; the benchmark expects none`);
  return { perSecond: latencies.length / elapsed, latencies: latencies.sort((a, b) => a - b) };
}

/**
 * Kudos-shaped ledger writes (two linked transfers: allowance spent, points issued) between
 * random members, on a fresh database of the benchmark server.
 */
export async function ledgerKudos(
  clients: number,
  seconds: number,
  members = 500,
): Promise<Throughput> {
  const db = await openDatabase({
    url: await freshDatabase('plaudit_bench_ledger'),
    poolSize: clients,
  });
  try {
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
    const accounts: MemberAccounts[] = [];
    for (let index = 0; index < members; index++) {
      const member = await createMember(db, organizationId, { displayName: `Member ${index}` });
      if (!member.ok) throw new Error(member.message);
      const own = await ledger.memberAccounts(organizationId, member.value.id);
      const grant = await ledger.transfer({
        organizationId,
        idempotencyKey: `grant-${index}`,
        transfers: [
          {
            debitAccountId: org.allowance_pool.id,
            creditAccountId: own.allowance.id,
            amount: 1_000_000_000,
            kind: 'allowance_grant',
          },
        ],
      });
      if (!grant.ok) throw new Error(grant.message);
      accounts.push(own);
    }
    let sequence = 0;
    return await measure(clients, seconds, async () => {
      const giver = accounts[Math.floor(Math.random() * members)] as MemberAccounts;
      let recipient = giver;
      while (recipient === giver)
        recipient = accounts[Math.floor(Math.random() * members)] as MemberAccounts;
      const amount = 1 + Math.floor(Math.random() * 10);
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
      return result.ok;
    });
  } finally {
    await db.destroy();
  }
}
