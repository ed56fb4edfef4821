import { type Kysely, sql } from 'kysely';

/**
 * A give no longer checks its organization's row where another key already implies it.
 *
 * Each foreign key to `organizations` is checked on insert by reading the organization's
 * row and locking it (`for key share`). Every give of a company locks that one row, so
 * gives in flight at once share the lock through a multixact, which every later check in
 * either of them looks up again. A give checked it for its ledger request, its
 * recognition and its notification, and for each new row of kudos counts it made (0025:
 * the company's day, each value's, each person's, each pair's). The keys of five of those
 * tables are dropped here. bench:give (16 givers),
 * alternated runs on one machine, its gives a second as a share of the ledger-only rate
 * in the same run: 0.51, 0.56 and 0.46 with them, 0.57, 0.56 and 0.68 without.
 *
 * The checks dropped here guarded nothing another key does not:
 * - a recognition's organization is its giver's, by its key to `members (organization_id,
 *   id)`, and every member's organization exists (`members_organization_id_fkey`);
 * - the kudos counts are written only by the triggers of 0025 and the roll-ups of 0027,
 *   from recognitions and their recipients, whose organizations are their members'.
 *
 * Kept: the ledger request's (nothing else names its organization) and the
 * notification's (its organization is where it is sent, written beside its recognition's
 * key, not derived from it). No organization is ever deleted, so no deletion relied on
 * the keys dropped.
 */
const IMPLIED = [
  'recognitions',
  'kudos_days',
  'kudos_value_days',
  'kudos_member_days',
  'kudos_pair_days',
] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const table of IMPLIED) {
    await sql`alter table ${sql.table(table)}
      drop constraint ${sql.id(`${table}_organization_id_fkey`)}`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of IMPLIED) {
    await sql`alter table ${sql.table(table)}
      add constraint ${sql.id(`${table}_organization_id_fkey`)}
      foreign key (organization_id) references organizations (id)`.execute(db);
  }
}
