import { type Kysely, sql } from 'kysely';

/**
 * Which status of a redemption its member was told of (its message handed to the queue).
 * A redemption whose news is due and not yet told (the queue was away when it changed, or
 * a worker died between the change and the message) is found by the sweep and told then.
 * News is due when HR redeemed for the member (held), and when someone other than the
 * member ended it (fulfilled, rejected, expired, cancelled). Rows made before this are
 * counted as told.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table redemptions add column told_status text`.execute(db);
  await sql`update redemptions set told_status = status`.execute(db);
  await sql`
    create index redemptions_news_untold on redemptions (id)
    where told_status is distinct from status
      and ((status = 'held' and requested_by <> member_id)
        or (status in ('fulfilled', 'rejected', 'expired', 'cancelled')
          and resolved_by is distinct from member_id))`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index redemptions_news_untold`.execute(db);
  await sql`alter table redemptions drop column told_status`.execute(db);
}
