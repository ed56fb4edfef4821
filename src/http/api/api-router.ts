import express, { type Request, type Response, type Router } from 'express';
import type { Logger } from 'pino';
import type { z } from 'zod/v4';
import { missingRole, requireRole } from '../../admin/access.ts';
import type { AdminActor } from '../../admin/admin-actor.ts';
import type { AdminServices } from '../../admin/admin-services.ts';
import type { ApiToken } from '../../admin/api-tokens.ts';
import { nulPath } from '../../core/nul-text.ts';
import type { Refusal } from '../../core/result.ts';
import type { FailedAuthentications } from '../failed-authentications.ts';
import { type RateDecision, type RateLimiter, retryAfterSeconds } from '../rate-limit.ts';
import { bearerToken, tokenActor } from './api-auth.ts';
import { issuesSentence, sendRefusal } from './api-errors.ts';
import { queryOf } from './api-query.ts';
import type { ApiRoute } from './api-route.ts';
import { API_ROUTES } from './api-routes.ts';
import { API_BASE, openApiDocument } from './openapi-document.ts';

export interface ApiDependencies {
  readonly services: AdminServices;
  /** Requests per minute of each token (API_RATE_LIMIT). */
  readonly rateLimiter: RateLimiter;
  /** Failed guesses per client address, counted with the admin token's (API_AUTH_FAILURE_LIMIT). */
  readonly failedAuthentications: FailedAuthentications;
  readonly logger: Logger;
  /** @defaultValue {@link API_ROUTES} */
  readonly routes?: readonly ApiRoute[];
}

/** `/members/{id}` in Express's words: `/members/:id`. */
const expressPath = (path: string) => path.replaceAll(/\{(\w+)\}/g, ':$1');

const IDEMPOTENCY_KEY = /^[\x20-\x7e]{1,200}$/;

/**
 * The HTTP API at /api/v1: its OpenAPI document (no token needed) and its routes, each
 * behind a bearer token, the token's rate limit and the route's role. JSON bodies are
 * parsed here only: the Slack and Teams endpoints read their raw bodies themselves.
 */
export function apiRouter(dependencies: ApiDependencies): Router {
  const routes = dependencies.routes ?? API_ROUTES;
  const document = openApiDocument(routes);
  const api = express.Router();
  api.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  api.use(express.json({ limit: '64kb' }));
  // Fixed paths before parameters: `/members/lookup` is not member “lookup”.
  const ordered = [...routes].sort(
    (a, b) => (a.path.match(/\{/g)?.length ?? 0) - (b.path.match(/\{/g)?.length ?? 0),
  );
  for (const route of ordered) {
    api[route.method](expressPath(route.path), async (req, res, next) => {
      try {
        await serve(route, dependencies, req, res);
      } catch (error) {
        next(error);
      }
    });
  }
  api.use((req, res) => {
    res.status(404).json({
      error: 'not_found',
      message: `There is no ${req.method} ${API_BASE}${req.path}; see ${API_BASE}/openapi.json.`,
    });
  });
  api.use(((error, _req, res, next) => {
    const type = (error as { type?: string }).type;
    if (type === 'entity.parse.failed') {
      sendRefusal(res, { code: 'bad_request', message: 'The body is not valid JSON.' });
      return;
    }
    if (type === 'entity.too.large') {
      sendRefusal(res, { code: 'too_large', message: 'The body is larger than 64 kB.' });
      return;
    }
    next(error);
  }) as express.ErrorRequestHandler);
  const router = express.Router();
  router.use(API_BASE, api);
  return router;
}

type Parsed = { success: true; data: unknown } | { success: false; error: z.ZodError };

function parse(schema: z.ZodType | undefined, value: unknown): Parsed {
  return schema ? schema.safeParse(value) : { success: true, data: undefined };
}

interface Inputs {
  readonly params: Parsed;
  readonly query: Parsed;
  readonly body: Parsed;
}

async function serve(
  route: ApiRoute,
  dependencies: ApiDependencies,
  req: Request,
  res: Response,
): Promise<void> {
  const { services } = dependencies;
  // Before anything is looked up or audited with it: Postgres cannot store a NUL.
  const nul = nulInput(req);
  if (nul) {
    sendRefusal(res, { code: 'bad_request', message: nul });
    return;
  }
  const token = await admit(dependencies, req, res);
  if (!token) return;
  const actor = tokenActor(token);
  const inputs: Inputs = {
    params: parse(route.params, req.params),
    query: parse(queryOf(route), req.query),
    body: parse(route.body, req.body),
  };
  // The role first: a caller who may not call the route learns nothing of its inputs.
  if (!route.roles.includes(token.role)) {
    sendRefusal(res, await refuseRole(route, services, actor, inputs));
    return;
  }
  const invalid = invalidInput(req, inputs);
  if (invalid) {
    sendRefusal(res, { code: 'bad_request', message: invalid });
    return;
  }
  const idempotencyKey = req.get('idempotency-key') ?? '';
  if (route.idempotent && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
    sendRefusal(res, {
      code: 'idempotency_key_required',
      message:
        'Send an Idempotency-Key header of 1 to 200 characters, unique to this change, so a retry cannot make it twice.',
    });
    return;
  }
  const data = (parsed: Parsed) => (parsed.success ? parsed.data : undefined);
  const outcome = await route.handler({
    services,
    actor,
    token,
    params: data(inputs.params),
    query: data(inputs.query),
    body: data(inputs.body),
    idempotencyKey,
  });
  if (!outcome.ok) {
    sendRefusal(res, outcome);
    return;
  }
  const format = (data(inputs.query) as { format?: string } | undefined)?.format;
  respond(route, res, outcome.value, format);
}

/**
 * The request's token, within its rate limit; otherwise the answer is sent and undefined
 * returned. Past its address's failed-guess limit, a request with a token is refused before
 * the token is looked up (`FailedAuthentications`).
 */
async function admit(
  { services, rateLimiter, failedAuthentications }: ApiDependencies,
  req: Request,
  res: Response,
): Promise<ApiToken | undefined> {
  if (await failedAuthentications.refuseLockedOut(req, res)) return undefined;
  const auth = await bearerToken(services.db, req);
  if (!auth.ok) {
    await failedAuthentications.failed(req);
    res.set('WWW-Authenticate', 'Bearer realm="Plaudit API"');
    sendRefusal(res, auth);
    return undefined;
  }
  const rate = await rateLimiter.take(`token:${auth.token.id}`);
  res.set('RateLimit-Limit', String(rate.limit));
  res.set('RateLimit-Remaining', String(rate.remaining));
  if (!rate.allowed) {
    const seconds = retryAfter(res, rate);
    sendRefusal(res, {
      code: 'rate_limited',
      message: `This token made more than ${rate.limit} requests this minute; try again in ${seconds} seconds.`,
    });
    return undefined;
  }
  return auth.token;
}

/** Sets Retry-After to when the window opens again, in whole seconds, and returns them. */
function retryAfter(res: Response, decision: RateDecision): number {
  const seconds = retryAfterSeconds(decision);
  res.set('Retry-After', String(seconds));
  return seconds;
}

/** The refusal of a token whose role may not call the route, written to the audit log. */
async function refuseRole(
  route: ApiRoute,
  services: AdminServices,
  actor: AdminActor,
  inputs: Inputs,
): Promise<Pick<Refusal, 'code' | 'message'>> {
  const input = {
    params: inputs.params.success ? inputs.params.data : undefined,
    body: inputs.body.success ? inputs.body.data : undefined,
  } as Parameters<NonNullable<ApiRoute['target']>>[0];
  const action =
    typeof route.action === 'function' ? route.action(input) : (route.action ?? 'api.read');
  const role = route.roles[0] ?? 'admin';
  const refusal = await requireRole(services.db, actor, role, route.what, {
    action,
    target: inputs.params.success && route.target ? route.target(input) : null,
    wanted: route.body && inputs.body.success ? inputs.body.data : undefined,
  });
  return refusal ?? missingRole(role, route.what);
}

/** Where the path, the query or the body holds a NUL, in a sentence; undefined when nowhere. */
function nulInput(req: Request): string | undefined {
  const inputs = [
    ['path', req.params],
    ['query', req.query],
    ['body', req.body],
  ] as const;
  for (const [where, value] of inputs) {
    const at = nulPath(value);
    if (at === undefined) continue;
    const field = at === '' ? '' : ` at ${at.length > 100 ? `${at.slice(0, 99)}…` : at}`;
    return `The ${where} holds a NUL character (\\u0000)${field}, which Plaudit cannot store; nothing was done.`;
  }
  return undefined;
}

/** What is wrong with the path, the query or the body, in a sentence; undefined when nothing. */
function invalidInput(req: Request, inputs: Inputs): string | undefined {
  for (const where of ['params', 'query', 'body'] as const) {
    const parsed = inputs[where];
    if (parsed.success) continue;
    if (where === 'body' && !req.is('application/json')) {
      return 'Send the body as JSON, with Content-Type: application/json.';
    }
    return issuesSentence(where === 'params' ? 'path' : where, parsed.error);
  }
  return undefined;
}

/** The answer as JSON, or as CSV where the route offers it and the caller asked. */
function respond(route: ApiRoute, res: Response, value: unknown, format: string | undefined) {
  if (route.csv && format === 'csv') {
    const { csv, filename } = route.csv(value);
    const next = (value as { next_cursor?: string | null }).next_cursor;
    if (next) res.set('X-Next-Cursor', next);
    res
      .status(route.status ?? 200)
      .type('text/csv; charset=utf-8')
      .set('Content-Disposition', `attachment; filename="${filename}"`)
      .send(csv);
    return;
  }
  res.status(route.status ?? 200).json(value);
}
