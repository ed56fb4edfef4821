import { pino } from 'pino';
import { CommandRouter } from '../../src/core/command-router.ts';
import { type Reply, textReply } from '../../src/core/reply.ts';
import type { Database } from '../../src/db/database.ts';
import type { Member } from '../../src/directory/members.ts';
import { InlineJobs } from '../../src/jobs/inline-jobs.ts';
import type { Jobs } from '../../src/jobs/job-queue.ts';
import { LocalMentionResolver } from '../../src/local/local-mention-resolver.ts';
import type { RewardItemFields } from '../../src/rewards/catalog.ts';
import { registerRewardCommands } from '../../src/rewards/reward-commands.ts';
import { RewardDesk } from '../../src/rewards/reward-desk.ts';
import type { WebhookAllowList } from '../../src/rewards/webhook-addresses.ts';
import type { AdminFixture } from './admin-fixture.ts';
import { key } from './ledger-fixture.ts';
import {
  createRecognitionFixture,
  localCommand,
  type MemberSpec,
  type RecognitionFixture,
} from './recognition-fixture.ts';

export interface RewardsFixture {
  readonly db: Database;
  readonly desk: RewardDesk;
  readonly jobs: Jobs;
  readonly organizationId: number;
  readonly members: Record<string, Member>;
  /** Credits a member's earned points (issuance → earned), as kudos would. */
  earn(name: string, amount: number): Promise<void>;
  /** Earned points a member may spend, and those held for redemptions. */
  points(name: string): Promise<{ available: number; held: number }>;
  item(fields: Partial<RewardItemFields> & { name: string }): Promise<number>;
  /** Runs `/kudos <text>` (a rewards command) as a member. */
  command(as: string, text: string, idempotencyKey?: string): ReturnType<CommandRouter['route']>;
  /** Runs `/kudos <text>` (a recognition command, such as a give) as a member. */
  kudos: RecognitionFixture['kudos'];
}

/**
 * A new organization with members (`roles: ['hr']` for HR), a reward desk on the given
 * jobs (an inline runner unless given) and the rewards commands on a router.
 */
export async function createRewardsFixture(
  db: Database,
  options: {
    members: Record<string, MemberSpec>;
    jobs?: Jobs;
    timezone?: string;
    /** Internal hosts its catalog's webhooks may go to (a local receiver's). */
    webhookAllowList?: WebhookAllowList;
  },
): Promise<RewardsFixture> {
  const recognition = await createRecognitionFixture(db, {
    members: options.members,
    timezone: options.timezone,
  });
  const { organizationId, members, services } = recognition;
  const jobs = options.jobs ?? new InlineJobs(pino({ level: 'silent' }));
  const desk = new RewardDesk(db, services.ledger, jobs, pino({ level: 'silent' }), {
    webhookAllowList: options.webhookAllowList,
  });
  const router = new CommandRouter(async () => textReply('not a rewards command'));
  registerRewardCommands(router, desk);
  const mentionResolver = new LocalMentionResolver(db);
  const memberOf = (name: string) => {
    const member = members[name];
    if (!member) throw new Error(`no member ${name}`);
    return member;
  };
  return {
    db,
    desk,
    jobs,
    organizationId,
    members,
    async earn(name, amount) {
      const member = memberOf(name);
      const [mine, organization] = await Promise.all([
        services.ledger.memberAccounts(organizationId, member.id),
        services.ledger.organizationAccounts(organizationId),
      ]);
      const result = await services.ledger.transfer({
        organizationId,
        idempotencyKey: key('earn'),
        transfers: [
          {
            debitAccountId: organization.issuance.id,
            creditAccountId: mine.earned.id,
            amount,
            kind: 'adjustment',
          },
        ],
      });
      if (!result.ok) throw new Error(result.message);
    },
    async points(name) {
      const member = memberOf(name);
      const accounts = await services.ledger.memberAccounts(organizationId, member.id);
      const balance = (await services.ledger.balances([accounts.earned.id])).get(
        accounts.earned.id,
      );
      return { available: balance?.available ?? 0, held: balance?.debitsPending ?? 0 };
    },
    async item(fields) {
      const created = await desk.catalog.create(organizationId, {
        pointsCost: 100,
        priceMinor: 1000,
        ...fields,
      });
      if (!created.ok) throw new Error(created.message);
      return created.value.id;
    },
    command(as, text, idempotencyKey = key('cmd')) {
      return router.route(localCommand(memberOf(as), text, idempotencyKey, mentionResolver));
    },
    kudos: recognition.kudos,
  };
}

/** The redemption a reply names (`… (redemption #12) …`). */
export function redemptionIdIn(reply: Reply): number {
  const match = /redemption #(\d+)/.exec(reply.text);
  if (!match) throw new Error(`no redemption in: ${reply.text}`);
  return Number(match[1]);
}

/** Adds a reward to an admin fixture's catalog: its id. */
export async function addReward(
  f: Pick<AdminFixture, 'services' | 'organizationId'>,
  name: string,
  pointsCost: number,
  priceMinor: number,
): Promise<number> {
  const created = await f.services.desk.catalog.create(f.organizationId, {
    name,
    pointsCost,
    priceMinor,
  });
  if (!created.ok) throw new Error(created.message);
  return created.value.id;
}

/** A member of an admin fixture redeems a reward in chat: the redemption's id. */
export async function redeemIn(
  f: Pick<AdminFixture, 'command'>,
  as: string,
  itemId: number,
): Promise<number> {
  return redemptionIdIn(await f.command(as, `redeem #${itemId}`));
}
