import { type Kysely, sql } from 'kysely';

/**
 * Which status of a redemption its member was told of (its message handed to the queue).
 * What a member has to be told is decided when the row is written: nothing when they
 * redeemed for themselves or ended it themselves (the status is recorded as told at
 * once), news when HR redeemed for them or someone else ended it. A redemption whose news
 * was never told (the queue was away, or a worker died between the change and the
 * message) is found by the sweep and told then. Rows made before this count as told.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table redemptions add column told_status text`.execute(db);
  await sql`update redemptions set told_status = status`.execute(db);
  await sql`
    create index redemptions_news_untold on redemptions (id)
    where told_status is distinct from status and status <> 'fulfilling'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index redemptions_news_untold`.execute(db);
  await sql`alter table redemptions drop column told_status`.execute(db);
}
