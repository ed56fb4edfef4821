import { sql } from 'kysely';
import { z } from 'zod/v4';
import type { AdminServices } from '../../../admin/admin-services.ts';
import type { Platform } from '../../../db/tables.ts';
import { MEMBER_COLUMNS, type MemberRow } from '../../../directory/members.ts';
import { allowanceFor } from '../../../recognition/settings.ts';
import { id, instant, iso, isoOrNull, role } from '../api-schemas.ts';

export const memberSchema = z
  .object({
    id,
    displayName: z.string(),
    email: z.string().nullable(),
    roles: z.array(role),
    status: z.enum(['active', 'deactivated']),
    isGuest: z.boolean(),
    isBot: z.boolean(),
    timezone: z.string().nullable(),
    joinedAt: instant,
    deactivatedAt: instant.nullable(),
    identities: z
      .array(
        z.object({
          platform: z.enum(['slack', 'teams', 'local']),
          tenantId: z.string().describe('The Slack team id, or the Microsoft 365 tenant id.'),
          userId: z.string().describe('The Slack user id, or the Azure AD object id.'),
        }),
      )
      .describe('The chat accounts that are this member.'),
    points: z.object({
      earned: z.number().int().describe('Every point ever credited: kudos received and grants.'),
      available: z.number().int().describe('What the member may spend now.'),
      held: z.number().int().describe('Held for redemptions that wait for HR.'),
    }),
    allowance: z.object({
      left: z
        .number()
        .int()
        .describe(
          'What the member may still give this period, as the ledger holds it (a period is opened at its reset or at the first give).',
        ),
      perPeriod: z.number().int().describe('What each period grants the member.'),
    }),
  })
  .meta({ title: 'Member' });

export type MemberView = z.input<typeof memberSchema>;

export type MemberFilter =
  | { kind: 'page'; after?: number | undefined; limit: number }
  | { kind: 'id'; id: number }
  | { kind: 'email'; email: string }
  | { kind: 'identity'; platform: 'slack' | 'teams'; userId: string };

/**
 * Members of one organization with their chat accounts and balances, read in three
 * queries whatever the page size. Balances come from the limited accounts' rows; a member
 * with no account yet has zeros.
 */
export async function readMembers(
  services: AdminServices,
  organizationId: number,
  filter: MemberFilter,
): Promise<MemberView[]> {
  const { db } = services;
  let query = db
    .selectFrom('members as m')
    .select([...MEMBER_COLUMNS, 'deactivated_at'])
    .where('m.organization_id', '=', organizationId)
    .orderBy('m.id');
  if (filter.kind === 'page') {
    query = query.limit(filter.limit + 1);
    if (filter.after !== undefined) query = query.where('m.id', '>', filter.after);
  } else if (filter.kind === 'id') {
    query = query.where('m.id', '=', filter.id);
  } else if (filter.kind === 'email') {
    query = query.where('m.email', '=', filter.email.trim().toLowerCase());
  } else {
    query = query.where('m.id', 'in', identityMatch(services, organizationId, filter)).limit(1);
  }
  const rows: Array<MemberRow & { deactivated_at: Date | null }> = await query.execute();
  if (rows.length === 0) return [];
  const ids = rows.map((row) => row.id);
  const [identities, balances, { settings }] = await Promise.all([
    db
      .selectFrom('platform_identities')
      .select(['member_id', 'platform', 'tenant_id', 'user_id'])
      .where('organization_id', '=', organizationId)
      .where('member_id', 'in', ids)
      .orderBy('platform')
      .orderBy('tenant_id')
      .execute(),
    readMemberBalances(services, organizationId, ids),
    services.settings.load(organizationId),
  ]);
  return rows.map((row) => {
    const balance = balances.get(row.id);
    return {
      id: row.id,
      displayName: row.display_name,
      email: row.email,
      roles: row.roles,
      status: row.status,
      isGuest: row.is_guest,
      isBot: row.is_bot,
      timezone: row.timezone,
      joinedAt: iso(row.created_at),
      deactivatedAt: isoOrNull(row.deactivated_at),
      identities: identities
        .filter((identity) => identity.member_id === row.id)
        .map((identity) => ({
          platform: identity.platform as Platform,
          tenantId: identity.tenant_id,
          userId: identity.user_id,
        })),
      points: {
        earned: balance?.earned ?? 0,
        available: balance?.available ?? 0,
        held: balance?.held ?? 0,
      },
      allowance: {
        left: balance?.allowanceLeft ?? 0,
        perPeriod: allowanceFor(settings, { id: row.id, roles: row.roles }),
      },
    };
  });
}

/**
 * The member ids a chat account names. A Teams account is matched by its Azure AD object
 * id, or by the `29:…` id that mentions carry, through the users Plaudit has seen.
 */
function identityMatch(
  services: AdminServices,
  organizationId: number,
  filter: { platform: 'slack' | 'teams'; userId: string },
) {
  const { db } = services;
  const ids = db
    .selectFrom('platform_identities as p')
    .select('p.member_id')
    .where('p.organization_id', '=', organizationId)
    .where('p.platform', '=', filter.platform);
  if (filter.platform === 'slack') return ids.where('p.user_id', '=', filter.userId);
  return ids.where((eb) =>
    eb.or([
      eb('p.user_id', '=', filter.userId.toLowerCase()),
      eb(
        'p.user_id',
        'in',
        eb
          .selectFrom('teams_users as u')
          .innerJoin('teams_tenants as t', 't.tenant_id', 'u.tenant_id')
          .select('u.aad_object_id')
          .where('t.organization_id', '=', organizationId)
          .where('u.user_id', '=', filter.userId),
      ),
    ]),
  );
}

async function readMemberBalances(
  services: AdminServices,
  organizationId: number,
  memberIds: readonly number[],
): Promise<
  Map<number, { earned: number; available: number; held: number; allowanceLeft: number }>
> {
  const { rows } = await sql<{
    member_id: number;
    code: 'allowance' | 'earned';
    credits_posted: number;
    debits_posted: number;
    debits_pending: number;
  }>`
    select a.member_id, a.code, b.credits_posted, b.debits_posted, b.debits_pending
    from ledger_accounts a
    join ledger_balances b on b.account_id = a.id
    where a.organization_id = ${organizationId}
      and a.member_id = any(${[...memberIds]}::bigint[])
      and a.code in ('allowance', 'earned')`.execute(services.db);
  const balances = new Map<
    number,
    { earned: number; available: number; held: number; allowanceLeft: number }
  >();
  for (const row of rows) {
    const memberId = Number(row.member_id);
    const balance = balances.get(memberId) ?? {
      earned: 0,
      available: 0,
      held: 0,
      allowanceLeft: 0,
    };
    const available =
      Number(row.credits_posted) - Number(row.debits_posted) - Number(row.debits_pending);
    if (row.code === 'earned') {
      balance.earned = Number(row.credits_posted);
      balance.available = available;
      balance.held = Number(row.debits_pending);
    } else {
      balance.allowanceLeft = available;
    }
    balances.set(memberId, balance);
  }
  return balances;
}
