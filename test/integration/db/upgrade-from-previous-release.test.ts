import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readInsights } from '../../../src/console/insights/insight-queries.ts';
import { type Database, openDatabase } from '../../../src/db/database.ts';
import { createMigrator, loadMigrations, migrateToLatest } from '../../../src/db/migrate.ts';
import { listMembers } from '../../../src/directory/members.ts';
import { LocalMentionResolver } from '../../../src/local/local-mention-resolver.ts';
import { createKudosRouter } from '../../../src/recognition/kudos-commands.ts';
import { createRecognitionServices } from '../../../src/recognition/recognition-services.ts';
import { verifyLedger } from '../../../src/verification/ledger-verification.ts';
import { databaseContents, ledgerAccountsAndBalances } from '../../support/database-contents.ts';
import { directInsights } from '../../support/direct-insight-queries.ts';
import { createFreshDatabase, type FreshDatabase } from '../../support/fresh-database.ts';
import { key } from '../../support/ledger-fixture.ts';
import { PREVIOUS_RELEASE } from '../../support/previous-release.ts';
import { localCommand } from '../../support/recognition-fixture.ts';

/** Tables of kudos counted from the kudos (0025): filled by the upgrade, from the release's rows. */
const KUDOS_COUNTS = ['kudos_days', 'kudos_value_days', 'kudos_member_days', 'kudos_pair_days'];

describe(`upgrading a database of the previous release (${PREVIOUS_RELEASE.commit})`, () => {
  let fresh: FreshDatabase;
  let db: Database;
  beforeAll(async () => {
    fresh = await createFreshDatabase('upgrade');
    db = await openDatabase({ url: fresh.url, poolSize: 2 });
  });
  afterAll(async () => {
    await db?.destroy();
    await fresh?.drop();
  });

  /** The release's data, on a connection of its own (the dump sets its session's search_path). */
  async function loadFixture(): Promise<void> {
    const client = new pg.Client({ connectionString: fresh.url });
    await client.connect();
    try {
      await client.query(await readFile(PREVIOUS_RELEASE.fixture, 'utf8'));
    } finally {
      await client.end();
    }
  }

  /** `/kudos <text>` as a member of an organization the release made, through this code. */
  async function kudosAsReleasedMember(organizationId: number, as: string, text: string) {
    const actor = (await listMembers(db, organizationId)).find((m) => m.displayName === as);
    if (!actor) throw new Error(`no member ${as} in organization ${organizationId}`);
    const router = createKudosRouter(createRecognitionServices(db));
    return router.route(localCommand(actor, text, key('upgraded'), new LocalMentionResolver(db)));
  }

  it('keeps every row and balance, and the ledger verifies, after migrating to the newest schema', async () => {
    // The release's schema, made by this code's migrator: its migrations were never edited.
    const all = Object.keys(await loadMigrations());
    const released = all.slice(0, all.indexOf(PREVIOUS_RELEASE.lastMigration) + 1);
    expect(released.at(-1)).toBe(PREVIOUS_RELEASE.lastMigration);
    const { error, results } = await createMigrator(db).migrateTo(PREVIOUS_RELEASE.lastMigration);
    expect(error).toBeUndefined();
    expect(results?.map((result) => result.migrationName)).toEqual(released);
    await loadFixture();

    const balancesBefore = await ledgerAccountsAndBalances(db);
    const before = await databaseContents(db);
    expect(new Set(balancesBefore.accounts.map((account) => account.organization_id)).size).toBe(3);
    expect(balancesBefore.balances.length).toBeGreaterThan(10);
    expect(before.tables.recognition_reversals).toHaveLength(1);
    expect(before.tables.billing_charges).toHaveLength(2);

    const applied = await migrateToLatest(db);
    expect(applied).toEqual(all.slice(released.length));
    expect(applied.length).toBeGreaterThan(0);

    expect(await ledgerAccountsAndBalances(db)).toEqual(balancesBefore);
    // Every table the release had holds the same rows, its sequences stand where they did,
    // and the tables the upgrade added are empty (but the migrator's own record).
    // A column the upgrade added to a table of the release is not the release's: each row
    // is compared on the release's own columns (the new ones hold their defaults).
    const after = await databaseContents(db);
    for (const [table, rows] of Object.entries(after.tables)) {
      if (table.startsWith('kysely_migration') || KUDOS_COUNTS.includes(table)) continue;
      const released = before.tables[table] ?? [];
      const columns = new Set(released.flatMap((row) => Object.keys(JSON.parse(row))));
      const asReleased = (row: string) =>
        JSON.stringify(
          Object.fromEntries(
            Object.entries(JSON.parse(row)).filter(
              ([column]) => columns.size === 0 || columns.has(column),
            ),
          ),
        );
      expect(rows.map(asReleased).sort(), table).toEqual(released.map(asReleased).sort());
    }
    expect(Object.keys(after.tables)).toEqual(expect.arrayContaining(Object.keys(before.tables)));
    expect(after.sequences).toMatchObject(before.sequences);
    // The kudos counts the upgrade added are the release's kudos, counted (0025's backfill):
    // every insight read from them equals the same counted from the kudos.
    expect(after.tables.kudos_days?.length).toBeGreaterThan(0);
    for (const organizationId of new Set(
      balancesBefore.accounts.map((account) => account.organization_id),
    )) {
      const range = { from: '2025-01-01', to: '2027-12-31' };
      const quiet = { days: 30, asOf: new Date('2027-01-01T00:00:00Z') };
      expect(await readInsights(db, organizationId, range, quiet)).toEqual(
        await directInsights(db, organizationId, range, quiet),
      );
    }
    const verification = await verifyLedger(db);
    expect(verification.sample).toEqual([]);
    expect(verification).toMatchObject({ organizations: 3, violations: 0 });

    // This code goes on writing to the release's organizations: a give moves points.
    // (Ben gives in the two rewards organizations, Bo in the one with the reversal.)
    const organizationIds = [...new Set(balancesBefore.accounts.map((a) => a.organization_id))];
    for (const [organizationId, giver] of organizationIds.map(
      (id, i) => [id, i < 2 ? 'Ben' : 'Bo'] as const,
    )) {
      const reply = await kudosAsReleasedMember(organizationId, giver, '@Ana 5 for the upgrade');
      expect(reply.outcome, reply.text).toBe('ok');
    }
    expect(await ledgerAccountsAndBalances(db)).not.toEqual(balancesBefore);
    expect(await verifyLedger(db)).toMatchObject({ organizations: 3, violations: 0 });
  });
});
