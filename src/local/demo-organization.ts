import { sql } from 'kysely';
import type { Database } from '../db/database.ts';
import type { MemberRole } from '../db/tables.ts';
import { addGroupMembers, createGroup } from '../directory/groups.ts';
import { createMember } from '../directory/members.ts';
import { createOrganization } from '../directory/organizations.ts';
import { findMemberByIdentity, linkIdentity } from '../directory/platform-identities.ts';

/** The local console's tenant: demo members are `local` identities in it, by handle. */
export const DEMO_TENANT = 'demo';

interface DemoMember {
  handle: string;
  displayName: string;
  email: string;
  roles?: MemberRole[];
  isGuest?: boolean;
  isBot?: boolean;
}

const DEMO_MEMBERS: DemoMember[] = [
  {
    handle: 'ana',
    displayName: 'Ana Silva',
    email: 'ana@demo.example',
    roles: ['member', 'admin'],
  },
  { handle: 'li', displayName: 'Li Wei', email: 'li@demo.example' },
  {
    handle: 'jose',
    displayName: 'José García',
    email: 'jose@demo.example',
    roles: ['member', 'hr'],
  },
  { handle: 'tanaka', displayName: '田中 Yuki', email: 'tanaka@demo.example' },
  { handle: 'sam', displayName: 'Sam Guest', email: 'sam@partner.example', isGuest: true },
  { handle: 'deploybot', displayName: 'Deploy Bot', email: 'deploybot@demo.example', isBot: true },
];

const DEMO_VALUES = ['teamwork', 'ownership', 'customer-first', 'kindness', 'curiosity'];

/**
 * Creates the demo organization of local mode, once: a few members (one admin, one HR,
 * a guest, a bot), company values, and a group. Returns its id either way.
 */
export async function ensureDemoOrganization(db: Database): Promise<number> {
  const existing = await findMemberByIdentity(db, {
    platform: 'local',
    tenantId: DEMO_TENANT,
    userId: 'ana',
  });
  if (existing) return existing.organizationId;
  return db.transaction().execute(async (trx) => {
    const organization = await createOrganization(trx, {
      name: 'Demo Company',
      timezone: 'Europe/Lisbon',
      currency: 'EUR',
    });
    if (!organization.ok) throw new Error(organization.message);
    const organizationId = organization.value.id;
    const ids = new Map<string, number>();
    for (const demo of DEMO_MEMBERS) {
      const member = await createMember(trx, organizationId, demo);
      if (!member.ok) throw new Error(member.message);
      ids.set(demo.handle, member.value.id);
      const linked = await linkIdentity(
        trx,
        { platform: 'local', tenantId: DEMO_TENANT, userId: demo.handle },
        { organizationId, memberId: member.value.id },
      );
      if (!linked.ok) throw new Error(linked.message);
    }
    await sql`insert into company_values (organization_id, name)
      select ${organizationId}, unnest(${DEMO_VALUES}::text[])`.execute(trx);
    const design = await createGroup(trx, organizationId, 'design');
    if (!design.ok) throw new Error(design.message);
    await addGroupMembers(trx, design.value, [ids.get('ana') as number, ids.get('li') as number]);
    return organizationId;
  });
}
