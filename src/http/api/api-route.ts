import type { z } from 'zod/v4';
import type { AdminActor } from '../../admin/admin-actor.ts';
import type { AdminServices } from '../../admin/admin-services.ts';
import type { ApiToken } from '../../admin/api-tokens.ts';
import type { Refusal } from '../../core/result.ts';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';
export type TokenRole = ApiToken['role'];

/** What a handler works with: the services, and who is asking, always of one organization. */
export interface ApiContext<Params, Query, Body> {
  readonly services: AdminServices;
  /** The token as an admin actor; every read and write is scoped to its organization. */
  readonly actor: AdminActor;
  readonly token: ApiToken;
  readonly params: Params;
  readonly query: Query;
  readonly body: Body;
  /** The `Idempotency-Key` header, on routes that require one. */
  readonly idempotencyKey: string;
}

/** A handler's answer: the response body, or a refusal whose code sets the status. */
export type ApiOutcome<Response> =
  | { readonly ok: true; readonly value: Response }
  | Pick<Refusal, 'ok' | 'code' | 'message'>;

type Infer<T> = T extends z.ZodType ? z.output<T> : undefined;

/** What a refused call asked for, as far as it could be read (its body may be invalid). */
interface RefusedInput<Params, Body> {
  readonly params: Infer<Params>;
  readonly body: Infer<Body> | undefined;
}

/**
 * One operation of the HTTP API. The router serves it and the OpenAPI document describes
 * it from this one declaration, so the two cannot drift apart.
 */
export interface ApiRoute<
  Params extends z.ZodType | undefined = z.ZodType | undefined,
  Query extends z.ZodType | undefined = z.ZodType | undefined,
  Body extends z.ZodType | undefined = z.ZodType | undefined,
  Response extends z.ZodType = z.ZodType,
> {
  readonly method: HttpMethod;
  /** Under /api/v1, in OpenAPI form: `/members/{id}`. */
  readonly path: string;
  readonly operationId: string;
  /** A heading in the document, e.g. `Members`. */
  readonly tag: string;
  readonly summary: string;
  readonly description?: string;
  /** The token roles that may call it; either one when both are named. */
  readonly roles: readonly TokenRole[];
  /** What the caller wants to do, for the refusal: “Only admins can {what}”. */
  readonly what: string;
  /**
   * The audit action a refused call is logged under: the write's own action (`rule.set`),
   * or `api.read` for reads (the default). May depend on the request.
   */
  readonly action?: string | ((input: RefusedInput<Params, Body>) => string);
  /** The audit target of a refused call, e.g. `member:12`. */
  readonly target?: (input: RefusedInput<Params, Body>) => string | null;
  /** Path parameters: an object schema whose keys are the `{names}` in the path. */
  readonly params?: Params;
  /** Query parameters: an object schema; routes with `csv` also take `format`. */
  readonly query?: Query;
  readonly body?: Body;
  /** A write that must not happen twice takes an `Idempotency-Key` header. */
  readonly idempotent?: boolean;
  /** It answers 404 when nothing matches, though no id is in its path or body (a lookup). */
  readonly notFound?: boolean;
  /** @defaultValue 200 */
  readonly status?: 200 | 201;
  readonly response: Response;
  /**
   * The response as CSV, served for `?format=csv`; the cursor of the next page, if any,
   * goes in the `X-Next-Cursor` header.
   */
  readonly csv?: (body: z.output<Response>) => { csv: string; filename: string };
  readonly handler: (
    context: ApiContext<Infer<Params>, Infer<Query>, Infer<Body>>,
  ) => Promise<ApiOutcome<z.input<Response>>>;
}

/** Declares a route with its types inferred from its schemas. */
export function apiRoute<
  Params extends z.ZodType | undefined = undefined,
  Query extends z.ZodType | undefined = undefined,
  Body extends z.ZodType | undefined = undefined,
  Response extends z.ZodType = z.ZodType,
>(route: ApiRoute<Params, Query, Body, Response>): ApiRoute {
  return route as unknown as ApiRoute;
}
