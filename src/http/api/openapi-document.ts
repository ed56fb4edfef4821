import { z } from 'zod/v4';
import { apiErrorSchema } from './api-errors.ts';
import { queryOf } from './api-query.ts';
import type { ApiRoute } from './api-route.ts';

export const API_BASE = '/api/v1';

type JsonSchema = Record<string, unknown>;

/** A zod schema as an OpenAPI 3.1 schema object (JSON Schema 2020-12, its `$schema` dropped). */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
  }) as JsonSchema;
  return rest;
}

/** The parameters of an object schema, one per property, each with its own schema. */
function parameters(where: 'path' | 'query', schema: z.ZodType | undefined) {
  if (!schema) return [];
  const object = jsonSchema(schema, 'input') as {
    properties?: Record<string, JsonSchema>;
    required?: string[];
  };
  return Object.entries(object.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: where,
      required: where === 'path' || (object.required ?? []).includes(name),
      ...(typeof description === 'string' && { description }),
      schema: rest,
    };
  });
}

/** The error statuses a route may answer with, beyond 401, 403 and 429 that every route may. */
function errorStatuses(route: ApiRoute): number[] {
  const statuses = [401, 403, 429];
  if (route.params || route.query || route.body || route.idempotent) statuses.push(400);
  if (route.params || route.body || route.notFound) statuses.push(404);
  if (route.body) statuses.push(413);
  if (route.method !== 'get') statuses.push(409, 422);
  return statuses.sort((a, b) => a - b);
}

const ERROR_WORDS: Record<number, string> = {
  400: 'The request is not right: a parameter or the body, in words.',
  401: 'No API token, or one that is malformed, unknown or revoked.',
  403: "The token's role may not do this; the attempt is in the audit log.",
  404: 'Nothing with this id in the token’s organization.',
  409: 'It conflicts with what is there: already done, a name taken, or an Idempotency-Key reused for another request.',
  413: 'The body is larger than 64 kB.',
  422: 'Understood and refused by the rules of the program; the message says why.',
  429: 'Too many requests for this token, or too many failed authentications from this address; wait for the seconds in Retry-After.',
};

function operation(route: ApiRoute) {
  const status = String(route.status ?? 200);
  const success = {
    description: route.summary,
    content: {
      'application/json': { schema: jsonSchema(route.response, 'output') },
      ...(route.csv && { 'text/csv': { schema: { type: 'string' } } }),
    },
    ...(route.csv && {
      headers: {
        'X-Next-Cursor': {
          description: 'With `format=csv`: the cursor of the next page, when there is one.',
          schema: { type: 'string' },
        },
      },
    }),
  };
  const errors = Object.fromEntries(
    errorStatuses(route).map((code) => [
      String(code),
      {
        description: ERROR_WORDS[code],
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        ...(code === 429 && {
          headers: {
            'Retry-After': {
              description: 'Seconds until the token may call again.',
              schema: { type: 'integer' },
            },
          },
        }),
      },
    ]),
  );
  return {
    operationId: route.operationId,
    tags: [route.tag],
    /** The token roles that may call it, for programs (the description says it in words). */
    'x-roles': [...route.roles],
    summary: route.summary,
    description: [
      route.description,
      `Token role: ${route.roles.join(' or ')}.`,
      route.idempotent
        ? 'Send an `Idempotency-Key` header: the same key with the same request answers as the first time and changes nothing again.'
        : undefined,
    ]
      .filter(Boolean)
      .join('\n\n'),
    parameters: [
      ...parameters('path', route.params),
      ...parameters('query', queryOf(route)),
      ...(route.idempotent
        ? [
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: true,
              description: 'Unique per intended change, 1 to 200 characters.',
              schema: { type: 'string', minLength: 1, maxLength: 200 },
            },
          ]
        : []),
    ],
    ...(route.body && {
      requestBody: {
        required: true,
        content: { 'application/json': { schema: jsonSchema(route.body, 'input') } },
      },
    }),
    responses: { [status]: success, ...errors },
  };
}

/** The OpenAPI 3.1 document of the API, built from its routes. */
export function openApiDocument(routes: readonly ApiRoute[]) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const item = paths[route.path] ?? {};
    if (item[route.method]) throw new Error(`${route.method} ${route.path} is declared twice`);
    item[route.method] = operation(route);
    paths[route.path] = item;
  }
  const tags = [...new Set(routes.map((route) => route.tag))].map((name) => ({ name }));
  return {
    openapi: '3.1.0',
    info: {
      title: 'Plaudit admin API',
      version: '1.0.0',
      description: [
        'Everything admins and HR do in chat, for other systems: members and their balances, groups, recognitions, the leaderboard, settings and rules, roles, point adjustments, rewards and redemptions, charges and statements, the audit log, and API tokens.',
        'Authenticate with a bearer token (`Authorization: Bearer plaudit_…`) that an admin made; it acts in its own organization with its one role, `admin` or `hr`.',
        'Errors are JSON: `{"error": code, "message": sentence}`. Lists are pages: `{"items": [...], "next_cursor": ...}`; pass `next_cursor` as `cursor` for the next page. Routes that offer CSV answer `format=csv` with `text/csv`. Each token may make a limited number of requests a minute (429 with Retry-After beyond).',
      ].join('\n\n'),
    },
    servers: [{ url: API_BASE }],
    tags,
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description:
            'An API token: `plaudit_` and 43 characters, or the PLAUDIT_ADMIN_TOKEN while the database holds one organization.',
        },
      },
      schemas: { Error: jsonSchema(apiErrorSchema, 'output') },
    },
  };
}
