import { sql } from 'kysely';
import { sha256Hex } from '../core/secrets.ts';
import type { Database } from '../db/database.ts';
import { findMember, type Member } from '../directory/members.ts';
import { storeMemberSecret } from './member-secrets.ts';

/** How long a console session lasts. */
export const SESSION_HOURS = 12;

export interface ConsoleSession {
  readonly id: number;
  readonly member: Member;
}

/** Opens a session for a member; the secret goes in the cookie, its digest in the table. */
export async function openSession(
  db: Database,
  organizationId: number,
  memberId: number,
): Promise<string> {
  return storeMemberSecret(
    db,
    'console_sessions',
    { organizationId, memberId },
    SESSION_HOURS * 60,
  );
}

/**
 * The session a secret opens, with its member as they are now (roles are read on every
 * request, so a demoted admin loses the console at once); undefined when unknown, ended,
 * expired, or the member has left.
 */
export async function findSession(
  db: Database,
  secret: string,
): Promise<ConsoleSession | undefined> {
  const row = await db
    .selectFrom('console_sessions')
    .select(['id', 'organization_id', 'member_id'])
    .where('token_hash', '=', sha256Hex(secret))
    .where('ended_at', 'is', null)
    .where('expires_at', '>', sql<Date>`now()`)
    .executeTakeFirst();
  if (!row) return undefined;
  const member = await findMember(db, Number(row.organization_id), Number(row.member_id));
  if (member?.status !== 'active') return undefined;
  return { id: Number(row.id), member };
}

export async function endSession(db: Database, sessionId: number): Promise<void> {
  await db
    .updateTable('console_sessions')
    .set({ ended_at: sql<Date>`now()` })
    .where('id', '=', sessionId)
    .where('ended_at', 'is', null)
    .execute();
}
