import { type Selectable, sql } from 'kysely';
import { ok, type Result } from '../core/result.ts';
import { randomSecret, sha256Hex } from '../core/secrets.ts';
import type { Database } from '../db/database.ts';
import { violatedUniqueConstraint } from '../db/retry.ts';
import type { ApiTokenRole, ApiTokenTable } from '../db/tables.ts';
import { requireRole } from './access.ts';
import type { AdminActor } from './admin-actor.ts';
import { type AdminRefusalCode, adminRefusal } from './admin-refusals.ts';
import { writeAudit } from './audit-log.ts';

/** An API token as people see it: never its secret, only the secret's last four characters. */
export interface ApiToken {
  readonly id: number;
  readonly organizationId: number;
  readonly name: string;
  readonly role: ApiTokenRole;
  readonly hint: string;
  readonly createdAt: Date;
  readonly lastUsedAt: Date | null;
  readonly revokedAt: Date | null;
}

export const API_TOKEN_ROLES: readonly ApiTokenRole[] = ['admin', 'hr'];

/** Every token Plaudit makes: a prefix that secret scanners can look for, and 256 random bits. */
export const API_TOKEN_PREFIX = 'plaudit_';

/**
 * What a bearer value may look like: Plaudit's own tokens, and PLAUDIT_ADMIN_TOKEN (an
 * operator's secret of 24 characters or more, any printable characters but spaces).
 */
const BEARER_SECRET = /^[\x21-\x7e]{24,512}$/;

/** Whether a bearer value has the shape of a token at all (before it is looked up). */
export const isTokenShaped = (secret: string) => BEARER_SECRET.test(secret);

/** How stale `last_used_at` may get: a token used all day costs one write a minute, not one a request. */
const LAST_USED_RESOLUTION_MS = 60_000;

const hashOf = sha256Hex;

/** A new token's secret: shown once, to whoever made it, and kept only as its SHA-256. */
export function newTokenSecret(): string {
  return `${API_TOKEN_PREFIX}${randomSecret()}`;
}

function toApiToken(row: Selectable<ApiTokenTable>): ApiToken {
  return {
    id: row.id,
    organizationId: row.organization_id,
    name: row.name,
    role: row.role,
    hint: row.hint,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}

/** What the audit log keeps of a token: enough to tell it apart, nothing to use it with. */
const described = (token: ApiToken) => ({
  id: token.id,
  name: token.name,
  role: token.role,
  hint: token.hint,
});

function checkName(name: string) {
  const trimmed = name.trim();
  if (trimmed.length < 1 || trimmed.length > 100) {
    return adminRefusal(
      'invalid_token',
      'Name the token in 1 to 100 characters, e.g. “payroll sync”.',
    );
  }
  return undefined;
}

/**
 * Makes a token for the actor's organization with one role; only admins may. The secret
 * is in the answer and nowhere else: the database keeps its hash, the audit log its hint.
 */
export async function createApiToken(
  db: Database,
  actor: AdminActor,
  input: { name: string; role: ApiTokenRole },
): Promise<Result<{ token: ApiToken; secret: string }, AdminRefusalCode>> {
  const denied = await requireRole(db, actor, 'admin', 'create API tokens', {
    action: 'token.create',
    wanted: { name: input.name, role: input.role },
  });
  if (denied) return denied;
  const badName = checkName(input.name);
  if (badName) return badName;
  if (!API_TOKEN_ROLES.includes(input.role)) {
    return adminRefusal('invalid_token', 'A token has the role admin or hr.');
  }
  const secret = newTokenSecret();
  const token = await db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('api_tokens')
      .values({
        organization_id: actor.organizationId,
        name: input.name.trim(),
        role: input.role,
        token_hash: hashOf(secret),
        hint: secret.slice(-4),
        created_by_member_id: actor.memberId,
        created_by_token_id: actor.tokenId,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const created = toApiToken(row);
    await writeAudit(trx, actor, {
      action: 'token.create',
      target: `token:${created.id}`,
      outcome: 'done',
      after: described(created),
    });
    return created;
  });
  return ok({ token, secret });
}

/** Revokes a token of the actor's organization for good; only admins may. Revoking twice is one revocation. */
export async function revokeApiToken(
  db: Database,
  actor: AdminActor,
  tokenId: number,
): Promise<Result<ApiToken, AdminRefusalCode>> {
  const target = `token:${tokenId}`;
  const denied = await requireRole(db, actor, 'admin', 'revoke API tokens', {
    action: 'token.revoke',
    target,
  });
  if (denied) return denied;
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('api_tokens')
      .selectAll()
      .where('organization_id', '=', actor.organizationId)
      .where('id', '=', tokenId)
      .forUpdate()
      .executeTakeFirst();
    if (!row) return adminRefusal('unknown_token', `There is no API token ${tokenId} here.`);
    if (row.revoked_at !== null) return ok(toApiToken(row));
    const revoked = await trx
      .updateTable('api_tokens')
      .set({ revoked_at: sql<Date>`now()` })
      .where('id', '=', tokenId)
      .returningAll()
      .executeTakeFirstOrThrow();
    const token = toApiToken(revoked);
    await writeAudit(trx, actor, {
      action: 'token.revoke',
      target,
      outcome: 'done',
      before: { ...described(token), revoked: false },
      after: { ...described(token), revoked: true },
    });
    return ok(token);
  });
}

/** An organization's tokens, revoked ones too, oldest first. */
export async function listApiTokens(db: Database, organizationId: number): Promise<ApiToken[]> {
  const rows = await db
    .selectFrom('api_tokens')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .orderBy('id')
    .execute();
  return rows.map(toApiToken);
}

/**
 * The active token a bearer secret is, if any: unknown, malformed and revoked secrets
 * are all undefined. Marks the token used, at most once a minute.
 */
export async function authenticateApiToken(
  db: Database,
  secret: string,
): Promise<ApiToken | undefined> {
  if (!BEARER_SECRET.test(secret)) return undefined;
  const row = await db
    .selectFrom('api_tokens')
    .selectAll()
    .where('token_hash', '=', hashOf(secret))
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (!row) return undefined;
  const token = toApiToken(row);
  const stale =
    token.lastUsedAt === null || Date.now() - token.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS;
  if (!stale) return token;
  // The condition is checked again in the update: of many requests at once, one writes.
  const touched = await db
    .updateTable('api_tokens')
    .set({ last_used_at: sql<Date>`now()` })
    .where('id', '=', token.id)
    .where((eb) =>
      eb.or([
        eb('last_used_at', 'is', null),
        eb(
          'last_used_at',
          '<',
          sql<Date>`now() - make_interval(secs => ${LAST_USED_RESOLUTION_MS / 1000})`,
        ),
      ]),
    )
    .returning('last_used_at')
    .executeTakeFirst();
  return touched ? { ...token, lastUsedAt: touched.last_used_at } : token;
}

/** The deployment itself, as the actor of the tokens it seeds. */
function systemActor(organizationId: number): AdminActor {
  return {
    organizationId,
    memberId: null,
    tokenId: null,
    roles: ['admin'],
    via: 'system',
    name: 'Plaudit',
  };
}

/**
 * Makes a secret the operators chose (PLAUDIT_ADMIN_TOKEN) or local mode drew an admin
 * token of the organization: the same secret again is the same token; a new one revokes
 * the seeded tokens before it, so changing PLAUDIT_ADMIN_TOKEN retires the old one.
 * A secret that is already another organization's token is refused, not moved.
 */
export async function seedApiToken(
  db: Database,
  organizationId: number,
  secret: string,
  name: string,
): Promise<Result<ApiToken, AdminRefusalCode>> {
  if (!BEARER_SECRET.test(secret)) {
    return adminRefusal(
      'invalid_token',
      'An API token is 24 to 512 printable characters without spaces.',
    );
  }
  const badName = checkName(name);
  if (badName) return badName;
  const hash = hashOf(secret);
  const actor = systemActor(organizationId);
  try {
    return await db.transaction().execute(async (trx) => {
      // One seeding at a time per organization (web processes start together).
      await sql`select id from organizations where id = ${organizationId} for no key update`.execute(
        trx,
      );
      const existing = await trx
        .selectFrom('api_tokens')
        .selectAll()
        .where('token_hash', '=', hash)
        .executeTakeFirst();
      if (existing && existing.organization_id !== organizationId) return takenElsewhere();
      // A revoked token stays revoked: whoever revoked it meant it, whatever restarts.
      if (existing && existing.revoked_at !== null) {
        return adminRefusal(
          'invalid_token',
          'This secret was an API token that has been revoked; choose a new one.',
        );
      }
      const stale = await trx
        .updateTable('api_tokens')
        .set({ revoked_at: sql<Date>`now()` })
        .where('organization_id', '=', organizationId)
        .where('seeded', '=', true)
        .where('revoked_at', 'is', null)
        .where('token_hash', '<>', hash)
        .returningAll()
        .execute();
      for (const row of stale) {
        const token = toApiToken(row);
        await writeAudit(trx, actor, {
          action: 'token.revoke',
          target: `token:${token.id}`,
          outcome: 'done',
          before: { ...described(token), revoked: false },
          after: { ...described(token), revoked: true, replacedBySeed: true },
        });
      }
      if (existing) return ok(toApiToken(existing));
      const row = await trx
        .insertInto('api_tokens')
        .values({
          organization_id: organizationId,
          name: name.trim(),
          role: 'admin',
          token_hash: hash,
          hint: secret.slice(-4),
          seeded: true,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      const token = toApiToken(row);
      await writeAudit(trx, actor, {
        action: 'token.create',
        target: `token:${token.id}`,
        outcome: 'done',
        after: { ...described(token), seeded: true },
      });
      return ok(token);
    });
  } catch (error) {
    // Another organization's seeding took the same secret at the same moment.
    if (violatedUniqueConstraint(error) === 'api_tokens_token_hash_key') return takenElsewhere();
    throw error;
  }
}

function takenElsewhere() {
  return adminRefusal(
    'invalid_token',
    'This secret is already the API token of another organization in this database; choose another.',
  );
}

/**
 * Revokes every token seeded under this name (PLAUDIT_ADMIN_TOKEN) that is still valid,
 * in whichever organization, each audited as the deployment's. Resolves with the
 * organizations that had one.
 */
export async function retireSeededTokens(db: Database, name: string): Promise<number[]> {
  return db.transaction().execute(async (trx) => {
    const retired = await trx
      .updateTable('api_tokens')
      .set({ revoked_at: sql<Date>`now()` })
      .where('seeded', '=', true)
      .where('name', '=', name)
      .where('revoked_at', 'is', null)
      .returningAll()
      .execute();
    for (const row of retired) {
      const token = toApiToken(row);
      await writeAudit(trx, systemActor(token.organizationId), {
        action: 'token.revoke',
        target: `token:${token.id}`,
        outcome: 'done',
        before: { ...described(token), revoked: false },
        after: { ...described(token), revoked: true, retiredBySeveralOrganizations: true },
      });
    }
    return retired.map((row) => Number(row.organization_id));
  });
}
