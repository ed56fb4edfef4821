import { performance } from 'node:perf_hooks';
import type { Transaction } from 'kysely';
import { type Database, openDatabase } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import type { Tables } from '../src/db/tables.ts';
import { createMember } from '../src/directory/members.ts';
import { createOrganization } from '../src/directory/organizations.ts';
import type { MemberAccounts, OrganizationAccounts } from '../src/ledger/accounts.ts';
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

/** An organization of `members` members, each granted a large allowance once. */
export interface BenchOrganization {
  readonly organizationId: number;
  readonly ledger: Ledger;
  readonly org: OrganizationAccounts;
  readonly accounts: MemberAccounts[];
}

/**
 * The benchmark's organization on a migrated database: made, with its members and their
 * grants, or (when the database already holds one, kept from an earlier run) read back.
 */
export async function benchOrganization(db: Database, members = 500): Promise<BenchOrganization> {
  const ledger = new Ledger(db);
  const existing = await db.selectFrom('organizations').select('id').executeTakeFirst();
  if (existing) {
    const org = await ledger.organizationAccounts(existing.id);
    const ids = await db
      .selectFrom('members')
      .select('id')
      .where('organization_id', '=', existing.id)
      .orderBy('id')
      .execute();
    const accounts: MemberAccounts[] = [];
    for (const { id } of ids) accounts.push(await ledger.memberAccounts(existing.id, id));
    return { organizationId: existing.id, ledger, org, accounts };
  }
  const organization = await createOrganization(db, {
    name: 'Bench',
    timezone: 'UTC',
    currency: 'EUR',
  });
  if (!organization.ok) throw new Error(organization.message);
  const organizationId = organization.value.id;
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
  return { organizationId, ledger, org, accounts };
}

/**
 * One kudos between two random members of the organization, through the ledger; inside
 * the transaction `within` when given (the same statement, as a give with a pair cap).
 */
export async function giveOne(
  bench: BenchOrganization,
  key: string,
  within?: Transaction<Tables>,
): Promise<boolean> {
  const { accounts, org, ledger, organizationId } = bench;
  const giver = accounts[Math.floor(Math.random() * accounts.length)] as MemberAccounts;
  let recipient = giver;
  while (recipient === giver) {
    recipient = accounts[Math.floor(Math.random() * accounts.length)] as MemberAccounts;
  }
  const amount = 1 + Math.floor(Math.random() * 10);
  const result = await ledger.transfer(
    {
      organizationId,
      idempotencyKey: key,
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
    },
    within ? { within } : {},
  );
  return result.ok;
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
    url: await freshDatabase(`${process.env.BENCH_DATABASE_PREFIX ?? 'plaudit_bench'}_ledger`),
    poolSize: clients,
  });
  try {
    await migrateToLatest(db);
    const bench = await benchOrganization(db, members);
    let sequence = 0;
    return await measure(clients, seconds, () => giveOne(bench, `kudos-${++sequence}`));
  } finally {
    await db.destroy();
  }
}
