import { Validator } from '@seriousme/openapi-schema-validator';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningPlaudit } from '../../../src/app.ts';
import { API_ROUTES } from '../../../src/http/api/api-routes.ts';
import { parseCsv } from '../../support/csv.ts';
import { EXAMPLES } from './api-examples.ts';
import { type ApiOrganization, createApiOrganization } from './api-organization.ts';
import { type ApiPlaudit, startApiPlaudit } from './api-plaudit.ts';
import {
  documentedSchema,
  type OpenApiDocument,
  type Operation,
  operationsOf,
  sendExample,
  successStatus,
} from './api-walk.ts';

/**
 * The API's OpenAPI document is valid OpenAPI 3.1, and true: a walk through it sends a
 * valid request to every operation it lists, and every answer has the documented status
 * and a body that matches the documented schema.
 */
describe('the OpenAPI document at /api/v1/openapi.json', () => {
  let running: ApiPlaudit;
  let plaudit: RunningPlaudit;
  let org: ApiOrganization;
  let document: OpenApiDocument;
  let base: string;
  const ajv = new Ajv2020.default({ allErrors: true, strict: false });
  addFormats.default(ajv);

  const matches = (schema: unknown, text: string) => {
    const validate = ajv.compile(schema as object);
    const valid = validate(JSON.parse(text));
    return valid ? 'valid' : JSON.stringify(validate.errors);
  };

  beforeAll(async () => {
    running = await startApiPlaudit();
    plaudit = running.plaudit;
    org = await createApiOrganization(plaudit.db);
    const response = await fetch(`${plaudit.url}/api/v1/openapi.json`);
    expect(response.status).toBe(200);
    document = (await response.json()) as OpenApiDocument;
    base = `${plaudit.url}${document.servers[0]?.url}`;
  });
  afterAll(async () => {
    await running?.close();
  });

  it('is a valid OpenAPI 3.1 document, served without a token', async () => {
    const validator = new Validator();
    const result = await validator.validate(document as unknown as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    expect(document.openapi).toBe('3.1.0');
    // Every response schema is a JSON Schema ajv compiles.
    for (const operation of operationsOf(document)) {
      for (const status of Object.keys(operation.responses)) {
        expect(() =>
          ajv.compile(documentedSchema(document, operation, Number(status)) as object),
        ).not.toThrow();
      }
    }
  });

  it('lists every route the API serves, once', () => {
    const documented = operationsOf(document).map((op) => `${op.method} ${op.path}`);
    expect(documented.sort()).toEqual(
      API_ROUTES.map((route) => `${route.method} ${route.path}`).sort(),
    );
    expect(new Set(operationsOf(document).map((op) => op.operationId)).size).toBe(
      documented.length,
    );
  });

  it('answers every operation as documented, with a body that matches its schema', async () => {
    const operations = operationsOf(document);
    expect(operations.length).toBe(API_ROUTES.length);
    for (const operation of operations) {
      const build = EXAMPLES[operation.operationId];
      expect(build, `an example for ${operation.operationId}`).toBeDefined();
      const example = await (build as NonNullable<typeof build>)(org);
      const role = operation.roles[0] as 'admin' | 'hr';
      const sent = await sendExample(base, operation, example, org.tokens[role].secret);
      const label = `${operation.method.toUpperCase()} ${operation.path}: ${sent.text.slice(0, 300)}`;
      expect(sent.status, label).toBe(successStatus(operation));
      expect(sent.contentType, label).toMatch(/^application\/json/);
      expect(matches(documentedSchema(document, operation, sent.status), sent.text), label).toBe(
        'valid',
      );
      if (offersCsv(operation)) {
        const csv = await sendExample(
          base,
          operation,
          await (build as NonNullable<typeof build>)(org),
          org.tokens[role].secret,
          {
            format: 'csv',
          },
        );
        expect(csv.status, operation.operationId).toBe(200);
        expect(csv.contentType).toBe('text/csv; charset=utf-8');
        const rows = parseCsv(csv.text);
        expect(rows.length, csv.text).toBeGreaterThan(1);
      }
    }
  });

  it('answers a request without a token with a documented 401, on every operation', async () => {
    for (const operation of operationsOf(document)) {
      const example = await (
        EXAMPLES[operation.operationId] as NonNullable<(typeof EXAMPLES)[string]>
      )(org);
      const sent = await sendExample(base, operation, example, undefined);
      expect(sent.status, operation.operationId).toBe(401);
      expect(matches(documentedSchema(document, operation, 401), sent.text)).toBe('valid');
    }
  });

  it('answers the other role with a documented 403, and bad ids or no Idempotency-Key with a documented 400', async () => {
    let refused = 0;
    for (const operation of operationsOf(document)) {
      const example = await (
        EXAMPLES[operation.operationId] as NonNullable<(typeof EXAMPLES)[string]>
      )(org);
      if (operation.roles.length === 1) {
        const other = operation.roles[0] === 'admin' ? 'hr' : 'admin';
        const sent = await sendExample(base, operation, example, org.tokens[other].secret);
        expect(sent.status, operation.operationId).toBe(403);
        expect(matches(documentedSchema(document, operation, 403), sent.text)).toBe('valid');
        refused += 1;
      }
      if (operation.parameters.some((parameter) => parameter.name === 'Idempotency-Key')) {
        const role = operation.roles[0] as 'admin' | 'hr';
        const sent = await sendExample(
          base,
          operation,
          { ...example, idempotent: false },
          org.tokens[role].secret,
        );
        expect(sent.status, operation.operationId).toBe(400);
        expect(JSON.parse(sent.text).error).toBe('idempotency_key_required');
        expect(matches(documentedSchema(document, operation, 400), sent.text)).toBe('valid');
      }
      if (operation.parameters.some((parameter) => parameter.name === 'id')) {
        const bad = { ...example, params: { ...example.params, id: 'twelve' } };
        const role = operation.roles[0] as 'admin' | 'hr';
        const sent = await sendExample(base, operation, bad, org.tokens[role].secret);
        expect(sent.status, operation.operationId).toBe(400);
        expect(matches(documentedSchema(document, operation, 400), sent.text)).toBe('valid');
      }
    }
    expect(refused).toBeGreaterThan(20);
  });
});

describe('an Idempotency-Key', () => {
  let running: ApiPlaudit;
  let org: ApiOrganization;
  beforeAll(async () => {
    running = await startApiPlaudit();
    org = await createApiOrganization(running.plaudit.db);
  });
  afterAll(async () => {
    await running?.close();
  });

  it('answers again as the first time and changes nothing again; reused for another request, 409', async () => {
    const adjust = (key: string, amount: number) =>
      fetch(`${running.plaudit.url}/api/v1/adjustments`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${org.tokens.admin.secret}`,
          'content-type': 'application/json',
          'idempotency-key': key,
        },
        body: JSON.stringify({ memberId: org.members.member.id, amount, reason: 'a bonus' }),
      });
    const key = `bonus-${org.tag}`;
    const first = await adjust(key, 7);
    const again = await adjust(key, 7);
    expect([first.status, again.status]).toEqual([201, 201]);
    const firstBody = (await first.json()) as { id: number };
    expect(await again.json()).toEqual(firstBody);
    const other = await adjust(key, 8);
    expect(other.status).toBe(409);
    expect(((await other.json()) as { error: string }).error).toBe('idempotency_conflict');
    const transfers = await running.plaudit.db
      .selectFrom('ledger_transfers')
      .select('id')
      .where('organization_id', '=', org.organizationId)
      .where('kind', '=', 'adjustment')
      .execute();
    expect(transfers.map((transfer) => transfer.id)).toEqual([firstBody.id]);
  });
});

function offersCsv(operation: Operation): boolean {
  return operation.parameters.some((parameter) => parameter.name === 'format');
}
