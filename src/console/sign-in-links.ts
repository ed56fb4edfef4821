import { sql } from 'kysely';
import { sha256Hex } from '../core/secrets.ts';
import type { Database } from '../db/database.ts';
import { storeMemberSecret } from './member-secrets.ts';

/** How long a sign-in link works. */
export const LINK_MINUTES = 10;

export type LinkRefusal = 'unknown' | 'used' | 'expired';

/** A new one-time link secret for a member; only its digest is stored. */
export async function createSignInLink(
  db: Database,
  organizationId: number,
  memberId: number,
): Promise<string> {
  return storeMemberSecret(db, 'console_sign_in_links', { organizationId, memberId }, LINK_MINUTES);
}

/**
 * Uses a link: one statement marks it used only if it is unused and unexpired (by the
 * database's clock), so two clicks at once sign in once. Otherwise says why not.
 */
export async function useSignInLink(
  db: Database,
  secret: string,
): Promise<{ organizationId: number; memberId: number } | { refused: LinkRefusal }> {
  const hash = sha256Hex(secret);
  const used = await db
    .updateTable('console_sign_in_links')
    .set({ used_at: sql<Date>`now()` })
    .where('token_hash', '=', hash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', sql<Date>`now()`)
    .returning(['organization_id', 'member_id'])
    .executeTakeFirst();
  if (used)
    return { organizationId: Number(used.organization_id), memberId: Number(used.member_id) };
  const link = await db
    .selectFrom('console_sign_in_links')
    .select(['used_at'])
    .where('token_hash', '=', hash)
    .executeTakeFirst();
  if (!link) return { refused: 'unknown' };
  return { refused: link.used_at ? 'used' : 'expired' };
}
