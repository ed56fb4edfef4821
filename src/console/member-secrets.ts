import { sql } from 'kysely';
import { randomSecret, sha256Hex } from '../core/secrets.ts';
import type { Database } from '../db/database.ts';

/** The tables that keep a member's secrets by digest, each with an expiry. */
export type SecretTable = 'console_sign_in_links' | 'console_sessions';

/**
 * Makes a secret for a member, stores only its digest with its expiry (`minutes` from now
 * by the database's clock), and returns the secret. Rows of the table dead for a day are of
 * no use to anyone: each new one clears them away.
 */
export async function storeMemberSecret(
  db: Database,
  table: SecretTable,
  member: { readonly organizationId: number; readonly memberId: number },
  minutes: number,
): Promise<string> {
  const secret = randomSecret();
  await db
    .deleteFrom(table)
    .where('expires_at', '<', sql<Date>`now() - interval '1 day'`)
    .execute();
  await db
    .insertInto(table)
    .values({
      organization_id: member.organizationId,
      member_id: member.memberId,
      token_hash: sha256Hex(secret),
      expires_at: sql<Date>`now() + make_interval(mins => ${minutes})`,
    })
    .execute();
  return secret;
}
