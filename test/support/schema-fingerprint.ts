import { sql } from 'kysely';
import type { Database } from '../../src/db/database.ts';

export type SchemaFingerprint = Record<
  'columns' | 'constraints' | 'indexes' | 'triggers' | 'functions' | 'migrations',
  string[]
>;

/**
 * What a database's public schema is made of, as text that does not depend on the order
 * objects were made in or on their oids: columns, constraints, indexes, triggers,
 * functions, and the migrations recorded as applied. Equal fingerprints, equal schemas.
 */
export async function schemaFingerprint(db: Database): Promise<SchemaFingerprint> {
  const lines = async (query: ReturnType<typeof sql<{ line: string }>>) =>
    (await query.execute(db)).rows.map((row) => row.line).sort();
  return {
    columns: await lines(sql`
      select concat_ws(' ', table_name, column_name, data_type, is_nullable, column_default,
        is_identity, identity_generation) as line
      from information_schema.columns where table_schema = 'public'`),
    constraints: await lines(sql`
      select concat_ws(' ', c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid))
        as line
      from pg_constraint c join pg_namespace n on n.oid = c.connamespace
      where n.nspname = 'public'`),
    indexes: await lines(sql`
      select indexdef as line from pg_indexes where schemaname = 'public'`),
    triggers: await lines(sql`
      select pg_get_triggerdef(t.oid) as line from pg_trigger t
      join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and not t.tgisinternal`),
    functions: await lines(sql`
      select pg_get_functiondef(p.oid) as line from pg_proc p
      join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'public'`),
    migrations: await lines(sql`select name as line from kysely_migration`),
  };
}
