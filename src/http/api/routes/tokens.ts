import { z } from 'zod/v4';
import {
  type ApiToken,
  createApiToken,
  listApiTokens,
  revokeApiToken,
} from '../../../admin/api-tokens.ts';
import { ok } from '../../../core/result.ts';
import { notFound } from '../api-errors.ts';
import { apiRoute } from '../api-route.ts';
import { id, idParams, instant, iso, isoOrNull, tokenRole } from '../api-schemas.ts';
import { pageOf, pageOfList, pageQuery } from '../pagination.ts';

const TAG = 'API tokens';

const tokenSchema = z
  .object({
    id,
    name: z.string(),
    role: tokenRole,
    hint: z.string().describe("The secret's last four characters, to tell tokens apart."),
    createdAt: instant,
    lastUsedAt: instant.nullable().describe('To within a minute.'),
    revokedAt: instant.nullable(),
  })
  .meta({ title: 'ApiToken' });

const view = (token: ApiToken) => ({
  id: token.id,
  name: token.name,
  role: token.role,
  hint: token.hint,
  createdAt: iso(token.createdAt),
  lastUsedAt: isoOrNull(token.lastUsedAt),
  revokedAt: isoOrNull(token.revokedAt),
});

const list = apiRoute({
  method: 'get',
  path: '/tokens',
  operationId: 'listTokens',
  tag: TAG,
  summary: 'API tokens, revoked ones too, without their secrets',
  roles: ['admin'],
  what: 'read API tokens',
  query: z.object(pageQuery),
  response: pageOf(tokenSchema),
  handler: async ({ services, actor, query }) => {
    const tokens = await listApiTokens(services.db, actor.organizationId);
    return ok(pageOfList(tokens.map(view), query, (token) => token.id));
  },
});

const get = apiRoute({
  method: 'get',
  path: '/tokens/{id}',
  operationId: 'getToken',
  tag: TAG,
  summary: 'An API token, without its secret',
  roles: ['admin'],
  what: 'read API tokens',
  params: idParams,
  response: tokenSchema,
  handler: async ({ services, actor, params }) => {
    const tokens = await listApiTokens(services.db, actor.organizationId);
    const token = tokens.find((candidate) => candidate.id === params.id);
    return token ? ok(view(token)) : notFound(`There is no API token ${params.id} here.`);
  },
});

const create = apiRoute({
  method: 'post',
  path: '/tokens',
  operationId: 'createToken',
  tag: TAG,
  summary: 'Makes an API token; its secret is in this response and never again',
  roles: ['admin'],
  what: 'create API tokens',
  action: 'token.create',
  status: 201,
  body: z.object({ name: z.string().trim().min(1).max(100), role: tokenRole }),
  response: z
    .object({
      token: tokenSchema,
      secret: z.string().describe('The bearer token. Store it now: Plaudit keeps only its hash.'),
    })
    .meta({ title: 'CreatedApiToken' }),
  handler: async ({ services, actor, body }) => {
    const created = await createApiToken(services.db, actor, body);
    if (!created.ok) return created;
    return ok({ token: view(created.value.token), secret: created.value.secret });
  },
});

const revoke = apiRoute({
  method: 'delete',
  path: '/tokens/{id}',
  operationId: 'revokeToken',
  tag: TAG,
  summary: 'Revokes an API token for good (a token may revoke itself)',
  roles: ['admin'],
  what: 'revoke API tokens',
  action: 'token.revoke',
  target: ({ params }) => `token:${params.id}`,
  params: idParams,
  response: tokenSchema,
  handler: async ({ services, actor, params }) => {
    const revoked = await revokeApiToken(services.db, actor, params.id);
    return revoked.ok ? ok(view(revoked.value)) : revoked;
  },
});

export const TOKEN_ROUTES = [list, get, create, revoke];
