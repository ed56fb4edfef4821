import { type Kysely, sql } from 'kysely';

/**
 * When an organization's allowance cadence last changed, kept by the database whatever
 * changes it. A period can overlap periods of another cadence only when the cadence
 * changed during it; the reset looks for such openings only then, instead of once per
 * member and period of another cadence on every reset (which doubled its time).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table recognition_settings add column cadence_changed_at timestamptz`.execute(db);
  await sql`
    create function recognition_settings_cadence_changed() returns trigger
    language plpgsql as $$
    begin
      new.cadence_changed_at := now();
      return new;
    end
    $$`.execute(db);
  await sql`
    create trigger recognition_settings_cadence_changed
      before update of allowance_cadence on recognition_settings
      for each row
      when (old.allowance_cadence is distinct from new.allowance_cadence)
      execute function recognition_settings_cadence_changed()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop trigger recognition_settings_cadence_changed on recognition_settings`.execute(db);
  await sql`drop function recognition_settings_cadence_changed`.execute(db);
  await sql`alter table recognition_settings drop column cadence_changed_at`.execute(db);
}
