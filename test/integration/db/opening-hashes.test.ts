import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/db/database.ts';
import { createMigrator, migrateToLatest } from '../../../src/db/migrate.ts';
import { createMember } from '../../../src/directory/members.ts';
import { createOrganization } from '../../../src/directory/organizations.ts';
import { Ledger } from '../../../src/ledger/ledger.ts';
import { periodOpeningHash } from '../../../src/ledger/period-openings.ts';
import { allowancePeriodAt } from '../../../src/recognition/allowance-period.ts';
import { AllowancePeriods, allowancePeriodKey } from '../../../src/recognition/allowances.ts';
import { loadRecognitionSettings } from '../../../src/recognition/settings.ts';
import { createFreshDatabase } from '../../support/fresh-database.ts';

/**
 * Period openings made before migration 0016 stored hashes of their own forms (the job's
 * `allowance-period:{grant}`, a first give's hash of its transfers); the migration gives
 * them the one every opening now stores, so that asking for an opening made before the
 * upgrade is a replay, not a conflict that would stop the member's gives.
 */
describe('period openings made before migration 0016', () => {
  it('take the request hash of an opening, and a later opener replays them', async () => {
    // A database of its own, migrated only so far: what an upgrade from 0015 finds.
    const fresh = await createFreshDatabase('opening_hashes');
    const db = await openDatabase({ url: fresh.url, poolSize: 2 });
    try {
      expect((await createMigrator(db).migrateTo('0015_redemption_news')).error).toBeUndefined();
      const organization = await createOrganization(db, {
        name: 'Before',
        timezone: 'UTC',
        currency: 'EUR',
      });
      if (!organization.ok) throw new Error(organization.message);
      const org = organization.value.id;
      const ledger = new Ledger(db);
      const people = [];
      for (const name of ['Job', 'Give', 'Other']) {
        const member = await createMember(db, org, { displayName: name });
        if (!member.ok) throw new Error(member.message);
        people.push({
          member: member.value,
          account: (await ledger.memberAccounts(org, member.value.id)).allowance.id,
        });
      }
      const [job, give, other] = people as [
        (typeof people)[number],
        (typeof people)[number],
        (typeof people)[number],
      ];
      const { settings } = await loadRecognitionSettings(db, org);
      const period = allowancePeriodAt(
        new Date('2026-11-15T12:00:00Z'),
        settings.allowanceCadence,
        settings.timezone,
      );
      const legacy = [
        [allowancePeriodKey(job.member.id, period), 'allowance-period:100'],
        [allowancePeriodKey(give.member.id, period), 'a-hash-of-the-give-s-transfers'],
        [`kudos:${allowancePeriodKey(other.member.id, period)}`, 'not-an-opening'],
      ];
      for (const [key, hash] of legacy) {
        await sql`insert into ledger_requests (organization_id, idempotency_key, request_hash, operation)
          values (${org}, ${key}, ${hash}, 'transfer')`.execute(db);
      }

      await migrateToLatest(db);

      const rows = await db
        .selectFrom('ledger_requests')
        .select(['idempotency_key', 'request_hash'])
        .where('organization_id', '=', org)
        .orderBy('id')
        .execute();
      expect(rows).toEqual([
        {
          idempotency_key: legacy[0]?.[0],
          request_hash: periodOpeningHash({ accountId: job.account }),
        },
        {
          idempotency_key: legacy[1]?.[0],
          request_hash: periodOpeningHash({ accountId: give.account }),
        },
        { idempotency_key: legacy[2]?.[0], request_hash: 'not-an-opening' },
      ]);
      for (const { member } of [job, give]) {
        expect(await new AllowancePeriods(new Ledger(db)).open(settings, member, period)).toBe(
          false,
        );
      }
    } finally {
      await db.destroy();
      await fresh.drop();
    }
  });
});
