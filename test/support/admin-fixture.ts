import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll } from 'vitest';
import type { AdminActor } from '../../src/admin/admin-actor.ts';
import { registerAdminCommands } from '../../src/admin/admin-commands.ts';
import type { AdminServices } from '../../src/admin/admin-services.ts';
import { ADMIN_VERBS } from '../../src/admin/admin-verbs.ts';
import { type AuditEntry, readAudit } from '../../src/admin/audit-log.ts';
import type { Reply } from '../../src/core/reply.ts';
import type { Database } from '../../src/db/database.ts';
import { findMember, type Member } from '../../src/directory/members.ts';
import { InlineJobs } from '../../src/jobs/inline-jobs.ts';
import { LocalMentionResolver } from '../../src/local/local-mention-resolver.ts';
import { createKudosRouter } from '../../src/recognition/kudos-commands.ts';
import { registerRewardCommands } from '../../src/rewards/reward-commands.ts';
import { RewardDesk } from '../../src/rewards/reward-desk.ts';
import { openTestDatabase } from './databases.ts';
import { key } from './ledger-fixture.ts';
import { assetSums } from './ledger-invariants.ts';
import { createRecognitionFixture, localCommand, type MemberSpec } from './recognition-fixture.ts';

export interface AdminFixture {
  readonly db: Database;
  readonly services: AdminServices;
  readonly organizationId: number;
  readonly members: Record<string, Member>;
  /** Runs `/kudos <text>` as a member, read afresh (their roles as they are now). */
  command(as: string, text: string, idempotencyKey?: string): Promise<Reply>;
  /** The member as an admin actor in the console, with their roles as they are now. */
  actor(as: string): Promise<AdminActor>;
  /** Credits earned points as kudos would (issuance → earned), with no audit entry. */
  earn(name: string, amount: number): Promise<void>;
  /** Earned points available and allowance left. */
  balances(name: string): Promise<{ earned: number; allowance: number }>;
  /** The organization's audit log, oldest first. */
  audit(): Promise<AuditEntry[]>;
  /**
   * Everything an admin or HR action could change, but the audit log: the ledger's rows
   * and balances, roles, the catalog, the settings, redemptions, reversals. Equal
   * snapshots before and after a refused command show that it changed nothing.
   */
  snapshot(): Promise<unknown>;
}

/**
 * A new organization with members, the kudos, rewards and admin commands on one router,
 * and the admin services, each on an inline job runner (whose messages go nowhere).
 */
export async function createAdminFixture(
  db: Database,
  options: { members: Record<string, MemberSpec>; timezone?: string },
): Promise<AdminFixture & { close(): Promise<void> }> {
  const recognition = await createRecognitionFixture(db, {
    members: options.members,
    timezone: options.timezone,
  });
  const { organizationId, members } = recognition;
  const logger = pino({ level: 'silent' });
  const jobs = new InlineJobs(logger);
  const { ledger, settings } = recognition.services;
  const desk = new RewardDesk(db, ledger, jobs, logger);
  const services: AdminServices = { db, ledger, settings, jobs, desk, logger };
  const router = createKudosRouter(recognition.services);
  registerRewardCommands(router, desk);
  registerAdminCommands(router, services, ADMIN_VERBS);
  const mentionResolver = new LocalMentionResolver(db);
  // Accounts made up front, so that reading a balance never makes one between snapshots.
  await ledger.organizationAccounts(organizationId);
  for (const member of Object.values(members))
    await ledger.memberAccounts(organizationId, member.id);
  const now = async (name: string) => {
    const member = members[name];
    if (!member) throw new Error(`no member ${name}`);
    const fresh = await findMember(db, organizationId, member.id);
    if (!fresh) throw new Error(`member ${name} is gone`);
    return fresh;
  };
  const earnedAccount = async (name: string) =>
    (await ledger.memberAccounts(organizationId, (await now(name)).id)).earned;
  const balancesOf = async (name: string) => {
    const accounts = await ledger.memberAccounts(organizationId, (await now(name)).id);
    const balances = await ledger.balances([accounts.earned.id, accounts.allowance.id]);
    return {
      earned: balances.get(accounts.earned.id)?.available ?? 0,
      allowance: balances.get(accounts.allowance.id)?.available ?? 0,
    };
  };
  return {
    db,
    services,
    organizationId,
    members,
    async command(as, text, idempotencyKey = key('cmd')) {
      return router.route(localCommand(await now(as), text, idempotencyKey, mentionResolver));
    },
    async actor(as) {
      const member = await now(as);
      return {
        organizationId,
        memberId: member.id,
        tokenId: null,
        roles: member.roles,
        via: 'local',
        name: member.displayName,
      };
    },
    async earn(name, amount) {
      const [earned, organization] = await Promise.all([
        earnedAccount(name),
        ledger.organizationAccounts(organizationId),
      ]);
      const result = await ledger.transfer({
        organizationId,
        idempotencyKey: key('earn'),
        transfers: [
          {
            debitAccountId: organization.issuance.id,
            creditAccountId: earned.id,
            amount,
            kind: 'kudos',
          },
        ],
      });
      if (!result.ok) throw new Error(result.message);
    },
    balances: balancesOf,
    async audit() {
      const { entries } = await readAudit(db, organizationId, { limit: 1000 });
      return entries.reverse();
    },
    async snapshot() {
      const byOrg = <T extends keyof typeof TABLES>(table: T) =>
        sql<Record<string, unknown>>`select * from ${sql.table(table)}
          where organization_id = ${organizationId} order by ${sql.raw(TABLES[table])}`
          .execute(db)
          .then((result) => result.rows);
      const [transfers, requests, memberRows, items, rewardSettings, recognitionSettings] =
        await Promise.all([
          byOrg('ledger_transfers'),
          byOrg('ledger_requests'),
          byOrg('members'),
          byOrg('reward_items'),
          byOrg('reward_settings'),
          byOrg('recognition_settings'),
        ]);
      const [redemptions, reversals, recognitions, sums] = await Promise.all([
        byOrg('redemptions'),
        byOrg('recognition_reversals'),
        byOrg('recognitions'),
        assetSums(db, organizationId),
      ]);
      const balances: Record<string, unknown> = {};
      for (const name of Object.keys(members)) balances[name] = await balancesOf(name);
      return {
        transfers,
        requests,
        memberRows,
        items,
        rewardSettings,
        recognitionSettings,
        redemptions,
        reversals,
        recognitions,
        sums,
        balances,
      };
    },
    close: () => jobs.close(),
  };
}

/**
 * For the tests of a describe block: the run's Postgres database, open while they run, and
 * a new organization on it with the given members for each test that asks; the database
 * is closed after them, with every organization's job runner.
 */
export function adminOrganizations(members: Record<string, MemberSpec>): {
  readonly db: Database;
  organization(): Promise<AdminFixture>;
} {
  let db: Database | undefined;
  const closers: Array<() => Promise<void>> = [];
  beforeAll(async () => {
    db = await openTestDatabase('postgres');
  });
  afterAll(async () => {
    await Promise.all(closers.map((close) => close()));
    await db?.destroy();
  });
  const open = () => {
    if (!db) throw new Error('the database opens before the tests run');
    return db;
  };
  return {
    get db() {
      return open();
    },
    async organization() {
      const f = await createAdminFixture(open(), { members });
      closers.push(f.close);
      return f;
    },
  };
}

/** The tables a snapshot reads, each with the order its rows are listed in. */
const TABLES = {
  ledger_transfers: 'id',
  ledger_requests: 'id',
  members: 'id',
  reward_items: 'id',
  reward_settings: 'organization_id',
  recognition_settings: 'organization_id',
  redemptions: 'id',
  recognition_reversals: 'recognition_id',
  recognitions: 'id',
} as const;
