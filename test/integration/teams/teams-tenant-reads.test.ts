import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/database.ts';
import { createMember, type Member } from '../../../src/directory/members.ts';
import { linkIdentity } from '../../../src/directory/platform-identities.ts';
import { connectTenant, type TeamsTenant, TeamsTenants } from '../../../src/teams/teams-tenants.ts';
import { DIALECTS, openTestDatabase } from '../../support/databases.ts';

/**
 * A Teams message's tenant, sender and mentioned members are read in one statement. Its
 * mentions are probed by key, whatever plan Postgres settles on: the statement runs here
 * with the plan a prepared statement takes after its first uses (the generic one, forced),
 * and Postgres counts, per transaction, the rows it fetched from each table
 * (pg_stat_xact_user_tables), with the statistics a newly seeded tenant has (none yet).
 * A first version joined the mentions as a list, and its generic plan walked every
 * identity of the tenant (62 fetched here, 1,000 in bench:teams).
 */
/** A member of `tenant`'s organization, known in Teams by an Azure AD id and a Teams user id. */
async function teamsPerson(
  db: Database,
  tenant: TeamsTenant,
  displayName: string,
  email?: string,
): Promise<{ userId: string; aadObjectId: string; member: Member }> {
  const created = await createMember(db, tenant.organizationId, { displayName, email });
  if (!created.ok) throw new Error(created.message);
  const person = { userId: `29:${randomUUID()}`, aadObjectId: randomUUID(), member: created.value };
  await linkIdentity(
    db,
    { platform: 'teams', tenantId: tenant.tenantId, userId: person.aadObjectId },
    { organizationId: tenant.organizationId, memberId: person.member.id },
  );
  await db
    .insertInto('teams_users')
    .values({
      tenant_id: tenant.tenantId,
      user_id: person.userId,
      aad_object_id: person.aadObjectId,
    })
    .execute();
  return person;
}

describe("a Teams message's tenant, sender and mentions, on postgres", () => {
  let db: Database;
  const tenantId = randomUUID();
  const people: Array<{ userId: string; aadObjectId: string; memberId: number }> = [];
  beforeAll(async () => {
    db = await openTestDatabase('postgres');
    const tenant = await connectTenant(db, tenantId);
    for (let index = 0; index < 60; index++) {
      const person = await teamsPerson(db, tenant, `Person ${index}`);
      people.push({ ...person, memberId: person.member.id });
    }
  });
  afterAll(async () => {
    await db?.destroy();
  });

  it('reads the sender and each mentioned member by key, with the generic plan too', async () => {
    const [sender, first, last] = [people[0], people[1], people[59]] as const;
    if (!sender || !first || !last) throw new Error('people');
    const stranger = `29:${randomUUID()}`;
    const read = await db.transaction().execute(async (trx) => {
      await sql`set local plan_cache_mode = force_generic_plan`.execute(trx);
      // A few hundred rows are cheaper read whole than by index: the plan a large tenant's
      // table gets is asked for here by ruling that out.
      await sql`set local enable_seqscan = off`.execute(trx);
      const fetched = async () =>
        Number(
          (
            await sql<{ n: string }>`select coalesce(sum(coalesce(seq_tup_read, 0)
                + coalesce(idx_tup_fetch, 0)), 0) as n
              from pg_stat_xact_user_tables where relname = 'platform_identities'`.execute(trx)
          ).rows[0]?.n ?? 0,
        );
      const tenants = new TeamsTenants(trx as unknown as Database, {
        tenants: [tenantId],
        any: false,
      });
      const mentions = [last.userId, first.userId, stranger];
      // The first run plans the statement, and planning may itself look into the indexes.
      await tenants.withMember(tenantId, sender.aadObjectId, mentions);
      const before = await fetched();
      const admitted = await tenants.withMember(tenantId, sender.aadObjectId, mentions);
      return { admitted, identitiesFetched: (await fetched()) - before };
    });
    expect(read.admitted?.tenant.tenantId).toBe(tenantId);
    expect(read.admitted?.member?.id).toBe(sender.memberId);
    expect(
      [...(read.admitted?.mentioned ?? new Map())].map(([userId, member]) => [userId, member.id]),
    ).toEqual(
      expect.arrayContaining([
        [first.userId, first.memberId],
        [last.userId, last.memberId],
      ]),
    );
    expect(read.admitted?.mentioned?.size).toBe(2);
    // The sender's identity and the two mentioned members', not the tenant's sixty.
    expect(read.identitiesFetched).toBe(3);
  });
});

for (const dialect of DIALECTS) {
  describe(`a Teams message's mentioned members, read with its tenant, on ${dialect}`, () => {
    let db: Database;
    beforeAll(async () => {
      db = await openTestDatabase(dialect);
    });
    afterAll(async () => {
      await db?.destroy();
    });

    it('are the members the mentioned Teams users are, whole; a stranger is none', async () => {
      const tenantId = randomUUID();
      const tenant = await connectTenant(db, tenantId);
      const [ana, li, jose] = await Promise.all(
        ['Ana', 'Li', 'José'].map((name) =>
          teamsPerson(
            db,
            tenant,
            name,
            `${name.toLowerCase()}.${tenantId.slice(0, 8)}@contoso.example`,
          ),
        ),
      );
      if (!ana || !li || !jose) throw new Error('people');
      const tenants = new TeamsTenants(db, { tenants: [tenantId], any: false });
      const stranger = `29:${randomUUID()}`;
      const admitted = await tenants.withMember(tenantId, ana.aadObjectId, [
        li.userId,
        stranger,
        jose.userId,
        li.userId,
      ]);
      expect(admitted?.tenant).toEqual(tenant);
      expect(admitted?.member).toEqual(ana.member);
      expect(admitted?.mentioned).toEqual(
        new Map([
          [li.userId, li.member],
          [jose.userId, jose.member],
        ]),
      );
    });
  });
}
