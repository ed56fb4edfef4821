import { randomUUID } from 'node:crypto';
import type { Example } from './api-examples.ts';

/** The parts of an OpenAPI operation the walking tests read. */
export interface Operation {
  readonly method: string;
  readonly path: string;
  readonly operationId: string;
  readonly roles: readonly ('admin' | 'hr')[];
  readonly responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
  readonly parameters: ReadonlyArray<{ name: string; in: string }>;
}

export interface OpenApiDocument {
  readonly openapi: string;
  readonly servers: ReadonlyArray<{ url: string }>;
  readonly paths: Record<
    string,
    Record<string, Omit<Operation, 'method' | 'path'> & { 'x-roles': Operation['roles'] }>
  >;
  readonly components: { schemas: Record<string, unknown> };
}

/** Every operation of the document, in its order. */
export function operationsOf(document: OpenApiDocument): Operation[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => ({
      method,
      path,
      operationId: operation.operationId,
      roles: operation['x-roles'],
      responses: operation.responses,
      parameters: operation.parameters ?? [],
    })),
  );
}

/** The one success status an operation documents. */
export function successStatus(operation: Operation): number {
  const statuses = Object.keys(operation.responses).filter((status) => status.startsWith('2'));
  if (statuses.length !== 1)
    throw new Error(`${operation.operationId}: ${statuses.length} successes`);
  return Number(statuses[0]);
}

/** The URL path (below the server's base) and query of an example for an operation. */
export function exampleUrl(
  operation: Operation,
  example: Example,
  extraQuery: Record<string, string> = {},
): string {
  const path = operation.path.replaceAll(/\{(\w+)\}/g, (_whole, name: string) => {
    const value = example.params?.[name];
    if (value === undefined) throw new Error(`${operation.operationId}: no value for {${name}}`);
    return encodeURIComponent(String(value));
  });
  const query = new URLSearchParams(
    Object.entries({ ...example.query, ...extraQuery }).map((entry): [string, string] => [
      entry[0],
      String(entry[1]),
    ]),
  ).toString();
  return query ? `${path}?${query}` : path;
}

export interface Sent {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
  readonly headers: Headers;
}

/** Sends an example as the operation's method, with a bearer secret (or none). */
export async function sendExample(
  base: string,
  operation: Operation,
  example: Example,
  secret: string | undefined,
  extraQuery: Record<string, string> = {},
): Promise<Sent> {
  const headers: Record<string, string> = {};
  if (secret !== undefined) headers.authorization = `Bearer ${secret}`;
  if (example.body !== undefined) headers['content-type'] = 'application/json';
  if (example.idempotent) headers['idempotency-key'] = randomUUID();
  const response = await fetch(`${base}${exampleUrl(operation, example, extraQuery)}`, {
    method: operation.method.toUpperCase(),
    headers,
    ...(example.body !== undefined && { body: JSON.stringify(example.body) }),
  });
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    text: await response.text(),
    headers: response.headers,
  };
}

/** The JSON schema a response of this status documents, with `$ref`s to components resolved. */
export function documentedSchema(
  document: OpenApiDocument,
  operation: Operation,
  status: number,
): unknown {
  const response = operation.responses[String(status)];
  if (!response) throw new Error(`${operation.operationId} documents no ${status}`);
  const schema = response.content?.['application/json']?.schema as { $ref?: string } | undefined;
  if (!schema) throw new Error(`${operation.operationId} ${status} has no JSON schema`);
  if (schema.$ref) {
    const name = schema.$ref.replace('#/components/schemas/', '');
    return document.components.schemas[name];
  }
  return schema;
}
