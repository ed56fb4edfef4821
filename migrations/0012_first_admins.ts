import { type Kysely, sql } from 'kysely';

/**
 * Every organization gets an admin. Until 0011 nobody was made admin outside the demo
 * organization, and from now on the first person to use an organization is: an
 * organization already in use would otherwise make whoever ran the next command its
 * admin. Its earliest active person (not a guest, not a bot) is, as a rule, the one who
 * installed Plaudit and used it first. The grant is written to the audit log.
 *
 * The audit log and billing charges also refuse TRUNCATE, which their row triggers do not
 * see.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    with first_people as (
      select distinct on (m.organization_id) m.organization_id, m.id, m.roles
      from members m
      where m.status = 'active' and not m.is_bot and not m.is_guest
        and not exists (
          select 1 from members a
          where a.organization_id = m.organization_id and 'admin' = any(a.roles))
      order by m.organization_id, m.id
    ),
    promoted as (
      update members m set roles = array_append(m.roles, 'admin')
      from first_people f
      where m.id = f.id
      returning m.organization_id, m.id, f.roles as before, m.roles as after
    )
    insert into audit_log (organization_id, via, action, target, outcome, before, after)
    select organization_id, 'system', 'role.grant', 'member:' || id, 'done',
      jsonb_build_object('roles', before),
      jsonb_build_object('roles', after, 'why', 'the earliest person of an organization without an admin')
    from promoted`.execute(db);
  await sql`
    create function append_only_no_truncate() returns trigger
    language plpgsql as $$
    begin
      raise exception '% is append-only: it cannot be truncated', tg_table_name;
    end
    $$`.execute(db);
  for (const table of APPEND_ONLY) {
    await sql`
      create trigger ${sql.raw(`${table}_no_truncate`)}
        before truncate on ${sql.table(table)}
        for each statement execute function append_only_no_truncate()`.execute(db);
  }
}

const APPEND_ONLY = ['audit_log', 'billing_charges'] as const;

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of APPEND_ONLY) {
    await sql`drop trigger ${sql.raw(`${table}_no_truncate`)} on ${sql.table(table)}`.execute(db);
  }
  await sql`drop function append_only_no_truncate`.execute(db);
  // The admins it made stay admins: taking a role away is an admin's decision.
}
