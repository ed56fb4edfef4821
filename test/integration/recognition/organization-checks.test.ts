import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/database.ts';
import type { Member } from '../../../src/directory/members.ts';
import { openTestDatabase } from '../../support/databases.ts';
import { key } from '../../support/ledger-fixture.ts';
import { createRecognitionFixture } from '../../support/recognition-fixture.ts';

/**
 * A give checks its organization's row only where no other key implies the organization
 * (migration 0029): each check reads and locks that row, which every give of the company
 * locks, so each check more is one more multixact look-up while gives run side by side.
 */
describe("a give's keys to its organization", () => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase('postgres');
  });
  afterAll(async () => {
    await db?.destroy();
  });

  it('are its ledger request’s and its notification’s only', async () => {
    const { rows } = await sql<{ keyed: string }>`
      select conrelid::regclass::text as keyed from pg_constraint
      where contype = 'f' and confrelid = 'organizations'::regclass
        and conrelid::regclass::text = any(${[
          'ledger_requests',
          'ledger_transfers',
          'recognitions',
          'recognition_recipients',
          'notification_outbox',
          'kudos_days',
          'kudos_value_days',
          'kudos_member_days',
          'kudos_pair_days',
        ]})
      order by 1`.execute(db);
    expect(rows.map((row) => row.keyed)).toEqual(['ledger_requests', 'notification_outbox']);
  });

  it('still refuse a recognition whose organization is not its giver’s, or is none', async () => {
    const one = await createRecognitionFixture(db, { members: { Ana: {}, Bruno: {} } });
    const other = await createRecognitionFixture(db, { members: { Carla: {} } });
    expect((await one.kudos('Ana', '@Bruno 2 for the release')).outcome).toBe('ok');
    const recognition = await db
      .selectFrom('recognitions')
      .selectAll()
      .where('organization_id', '=', one.organizationId)
      .executeTakeFirstOrThrow();
    const { id: _id, created_at: _at, ...copy } = recognition;
    /** Files the copy as given (with a ledger request of its own), then rolls it all back. */
    const file = (changes: Partial<typeof copy>) =>
      db.transaction().execute(async (trx) => {
        const request = await trx
          .insertInto('ledger_requests')
          .values({
            organization_id: one.organizationId,
            idempotency_key: key('copy'),
            request_hash: 'copy',
            operation: 'transfer',
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        await trx
          .insertInto('recognitions')
          .values({ ...copy, ...changes, ledger_request_id: request.id })
          .execute();
        throw new Error('filed, rolled back');
      });
    // The giver of one organization, filed under another, and under one that does not exist.
    for (const organizationId of [other.organizationId, 9_000_000_000]) {
      await expect(file({ organization_id: organizationId })).rejects.toThrow(
        /recognitions_organization_id_giver_id_fkey/,
      );
    }
    // The same copy under the other organization with its own giver is taken: the
    // refusals are the key's.
    const carla = other.members.Carla as Member;
    await expect(
      file({ organization_id: other.organizationId, giver_id: carla.id }),
    ).rejects.toThrow('filed, rolled back');
  });
});
