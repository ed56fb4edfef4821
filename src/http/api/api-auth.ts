import type { Request } from 'express';
import type { AdminActor } from '../../admin/admin-actor.ts';
import { type ApiToken, authenticateApiToken, isTokenShaped } from '../../admin/api-tokens.ts';
import type { Refusal } from '../../core/result.ts';
import type { Database } from '../../db/database.ts';

type Unauthorized = Refusal<'unauthorized'>;

const unauthorized = (message: string): Unauthorized => ({
  ok: false,
  code: 'unauthorized',
  message,
});

/**
 * The token a request carries as `Authorization: Bearer …`, or why there is none. The
 * answer never repeats what was sent.
 */
export async function bearerToken(
  db: Database,
  req: Request,
): Promise<{ ok: true; token: ApiToken } | Unauthorized> {
  const header = req.get('authorization');
  if (header === undefined || header.trim() === '') {
    return unauthorized('Send an API token: Authorization: Bearer plaudit_….');
  }
  const match = /^Bearer +(\S+)$/i.exec(header.trim());
  if (!match?.[1] || !isTokenShaped(match[1])) {
    return unauthorized(
      'The Authorization header is malformed; send Authorization: Bearer plaudit_….',
    );
  }
  const token = await authenticateApiToken(db, match[1]);
  if (!token) {
    return unauthorized('This API token is not valid: it is unknown or was revoked.');
  }
  return { ok: true, token };
}

/** A token acts as an admin actor of its organization, with its one role. */
export function tokenActor(token: ApiToken): AdminActor {
  return {
    organizationId: token.organizationId,
    memberId: null,
    tokenId: token.id,
    roles: [token.role],
    via: 'api',
    name: `API token “${token.name}”`,
  };
}
