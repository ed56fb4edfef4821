import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import type { AdminActor } from '../../../src/admin/admin-actor.ts';
import { createApiToken } from '../../../src/admin/api-tokens.ts';
import type { Database } from '../../../src/db/database.ts';
import type { MemberRole } from '../../../src/db/tables.ts';
import { addGroupMembers, createGroup } from '../../../src/directory/groups.ts';
import type { Member } from '../../../src/directory/members.ts';
import { linkIdentity } from '../../../src/directory/platform-identities.ts';
import { InlineJobs } from '../../../src/jobs/inline-jobs.ts';
import { monthOf } from '../../../src/rewards/billing.ts';
import { RewardDesk } from '../../../src/rewards/reward-desk.ts';
import { key } from '../../support/ledger-fixture.ts';
import {
  createRecognitionFixture,
  type RecognitionFixture,
} from '../../support/recognition-fixture.ts';

/**
 * An organization with something of everything the API serves: members with chat accounts
 * and balances, a group, recognitions, a reward with a held and a fulfilled redemption (so
 * a charge), an admin and an HR token. Every name carries `tag`, so a response that leaks
 * any of it to another organization is easy to catch.
 */
export interface ApiOrganization {
  readonly db: Database;
  readonly organizationId: number;
  readonly tag: string;
  readonly members: { admin: Member; member: Member; hr: Member; other: Member };
  readonly slackUserId: string;
  readonly teamsUserId: string;
  readonly groupId: number;
  readonly recognitionId: number;
  readonly rewardId: number;
  readonly heldRedemptionId: number;
  readonly fulfilledRedemptionId: number;
  readonly month: string;
  readonly tokens: { admin: Token; hr: Token };
  readonly adminActor: AdminActor;
  /** Fresh things for the writes that use one up. */
  fresh: {
    /** A kudos of 1 point, for `reason` when given. */
    recognition(reason?: string): Promise<number>;
    /** A private kudos of `amount` points from the admin to the other member. */
    privateRecognition(amount: number): Promise<number>;
    reward(): Promise<number>;
    heldRedemption(): Promise<number>;
    token(): Promise<number>;
    hrMember(): Promise<Member>;
  };
}

export interface Token {
  readonly id: number;
  readonly secret: string;
}

const letters = () =>
  randomUUID()
    .replaceAll(/[^a-f]/g, '')
    .slice(0, 8)
    .padEnd(8, 'x');

export async function createApiOrganization(db: Database): Promise<ApiOrganization> {
  const tag = `q${letters()}`;
  const names = {
    admin: `Ana${tag}`,
    member: `Li${tag}`,
    hr: `Hana${tag}`,
    other: `Bo${tag}`,
  } as const;
  const roles: Record<keyof typeof names, MemberRole[]> = {
    admin: ['member', 'admin'],
    member: ['member'],
    hr: ['member', 'hr'],
    other: ['member'],
  };
  const fixture = await createRecognitionFixture(db, {
    members: Object.fromEntries(
      Object.entries(names).map(([which, name]) => [name, { roles: roles[which as 'admin'] }]),
    ),
    values: ['teamwork', `value${tag}`],
  });
  const members = {
    admin: fixture.members[names.admin] as Member,
    member: fixture.members[names.member] as Member,
    hr: fixture.members[names.hr] as Member,
    other: fixture.members[names.other] as Member,
  };
  const { organizationId } = fixture;
  const slackUserId = `U${tag.toUpperCase()}`;
  const teamsUserId = `29:${tag}`;
  const aadObjectId = randomUUID();
  await linked(
    db,
    { platform: 'slack', tenantId: `T${tag}`, userId: slackUserId },
    fixture,
    members.member,
  );
  const tenantId = randomUUID();
  await db
    .insertInto('teams_tenants')
    .values({ tenant_id: tenantId, organization_id: organizationId })
    .execute();
  await db
    .insertInto('teams_users')
    .values({ tenant_id: tenantId, user_id: teamsUserId, aad_object_id: aadObjectId })
    .execute();
  await linked(db, { platform: 'teams', tenantId, userId: aadObjectId }, fixture, members.other);

  const group = await createGroup(db, organizationId, `Group ${tag}`);
  if (!group.ok) throw new Error(group.message);
  await addGroupMembers(db, group.value, [members.admin.id, members.member.id]);

  const give = async (
    from: Member,
    to: Member,
    amount: number,
    reason = `the launch ${tag} #teamwork`,
    keyword = '',
  ) => {
    const reply = await fixture.kudos(
      from.displayName,
      `${keyword}@${to.displayName} ${amount} for ${reason}`,
    );
    if (reply.outcome !== 'ok') throw new Error(reply.text);
    const row = await db
      .selectFrom('recognitions')
      .select('id')
      .where('organization_id', '=', organizationId)
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    return row.id;
  };
  const recognitionId = await give(members.admin, members.member, 30);

  const desk = new RewardDesk(
    db,
    fixture.services.ledger,
    new InlineJobs(pino({ level: 'silent' })),
    pino({ level: 'silent' }),
  );
  const reward = async () => {
    const created = await desk.catalog.create(organizationId, {
      name: `Mug ${tag} ${key('r')}`,
      pointsCost: 2,
      priceMinor: 550,
    });
    if (!created.ok) throw new Error(created.message);
    return created.value.id;
  };
  const rewardId = await reward();
  const heldRedemption = async () => {
    const redeemed = await desk.redeem({
      organizationId,
      memberId: members.member.id,
      requestedBy: members.member.id,
      itemId: rewardId,
      requestKey: key('redeem'),
    });
    if (!redeemed.ok) throw new Error(redeemed.message);
    return redeemed.value.redemption.id;
  };
  const heldRedemptionId = await heldRedemption();
  const fulfilledRedemptionId = await heldRedemption();
  const fulfilled = await desk.resolve(organizationId, fulfilledRedemptionId, 'fulfilled', {
    memberId: members.hr.id,
  });
  if (!fulfilled.ok) throw new Error(fulfilled.message);

  const adminActor: AdminActor = {
    organizationId,
    memberId: members.admin.id,
    tokenId: null,
    roles: members.admin.roles,
    via: 'local',
    name: members.admin.displayName,
  };
  const token = async (role: 'admin' | 'hr') => {
    const created = await createApiToken(db, adminActor, { name: `${role} ${tag}`, role });
    if (!created.ok) throw new Error(created.message);
    return { id: created.value.token.id, secret: created.value.secret };
  };
  const tokens = { admin: await token('admin'), hr: await token('hr') };
  let hrMembers = 0;
  return {
    db,
    organizationId,
    tag,
    members,
    slackUserId,
    teamsUserId,
    groupId: group.value.id,
    recognitionId,
    rewardId,
    heldRedemptionId,
    fulfilledRedemptionId,
    month: monthOf(new Date(), 'Europe/Lisbon'),
    tokens,
    adminActor,
    fresh: {
      recognition: (reason?: string) => give(members.admin, members.member, 1, reason),
      privateRecognition: (amount: number) =>
        give(members.admin, members.other, amount, `a private matter ${tag}`, 'private '),
      reward,
      heldRedemption,
      token: async () => (await token('hr')).id,
      hrMember: async () => {
        hrMembers += 1;
        const name = `Hr${hrMembers}${tag}`;
        const created = await db
          .insertInto('members')
          .values({ organization_id: organizationId, display_name: name, roles: ['member', 'hr'] })
          .returning('id')
          .executeTakeFirstOrThrow();
        return { ...members.hr, id: created.id, displayName: name };
      },
    },
  };
}

async function linked(
  db: Database,
  identity: { platform: 'slack' | 'teams'; tenantId: string; userId: string },
  fixture: RecognitionFixture,
  member: Member,
) {
  const result = await linkIdentity(db, identity, {
    organizationId: fixture.organizationId,
    memberId: member.id,
  });
  if (!result.ok) throw new Error(result.message);
}
