import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningPlaudit } from '../../../src/app.ts';
import { organizationSnapshot as snapshot } from '../../support/organization-snapshot.ts';
import { EXAMPLES, type Example } from './api-examples.ts';
import { type ApiOrganization, createApiOrganization } from './api-organization.ts';
import { type ApiPlaudit, startApiPlaudit } from './api-plaudit.ts';
import { type OpenApiDocument, type Operation, operationsOf, sendExample } from './api-walk.ts';

/**
 * Operations that name B's things outside their path: a lookup of B's chat account, and
 * writes whose body names B's members or rewards. Those are 404 too.
 */
const NAMES_OTHERS = new Set([
  'lookupMember',
  'createGroup',
  'changeSettings',
  'adjustPoints',
  'redeemForMember',
]);

/**
 * Two organizations: with organization A's tokens, every operation of the OpenAPI
 * document, given organization B's ids, answers with nothing of B and changes nothing of B.
 */
describe('tenant isolation over the HTTP API', () => {
  let running: ApiPlaudit;
  let plaudit: RunningPlaudit;
  let a: ApiOrganization;
  let b: ApiOrganization;
  let document: OpenApiDocument;
  let base: string;

  beforeAll(async () => {
    running = await startApiPlaudit();
    plaudit = running.plaudit;
    [a, b] = await Promise.all([
      createApiOrganization(plaudit.db),
      createApiOrganization(plaudit.db),
    ]);
    document = (await (
      await fetch(`${plaudit.url}/api/v1/openapi.json`)
    ).json()) as OpenApiDocument;
    base = `${plaudit.url}${document.servers[0]?.url}`;
  });
  afterAll(async () => {
    await running?.close();
  });

  it("reads nothing of B and changes nothing of B with A's tokens, on every operation", async () => {
    // Every request is made first (some make fresh things in B to act on), then B is
    // photographed, then A's tokens send them all.
    const requests: Array<{ operation: Operation; example: Example }> = [];
    for (const operation of operationsOf(document)) {
      const build = EXAMPLES[operation.operationId];
      expect(build, `an example for ${operation.operationId}`).toBeDefined();
      requests.push({ operation, example: await (build as NonNullable<typeof build>)(b) });
    }
    const before = await snapshot(plaudit.db, b.organizationId);
    const secretsOfB = [b.tokens.admin.secret, b.tokens.hr.secret];

    for (const { operation, example } of requests) {
      const secret = a.tokens[operation.roles[0] as 'admin' | 'hr'].secret;
      const answers = [await sendExample(base, operation, example, secret)];
      if (operation.parameters.some((parameter) => parameter.name === 'format')) {
        answers.push(await sendExample(base, operation, example, secret, { format: 'csv' }));
      }
      for (const sent of answers) {
        const label = `${operation.method.toUpperCase()} ${operation.path} → ${sent.status} ${sent.text.slice(0, 200)}`;
        expect(sent.text, label).not.toContain(b.tag);
        for (const other of secretsOfB) expect(sent.text, label).not.toContain(other);
        const namesAnId = operation.parameters.some(
          (parameter) => parameter.in === 'path' && parameter.name === 'id',
        );
        if (namesAnId || NAMES_OTHERS.has(operation.operationId)) {
          expect(sent.status, label).toBe(404);
        } else if (operation.method !== 'get') {
          // A write that names none of B's ids may succeed, in A.
          expect([200, 201, 404, 422], label).toContain(sent.status);
        } else {
          expect(sent.status, label).toBe(200);
        }
      }
    }

    expect(await snapshot(plaudit.db, b.organizationId)).toEqual(before);
  });

  it("answers B's own tokens with B's data, so the test above can tell a leak", async () => {
    let read = 0;
    for (const operation of operationsOf(document)) {
      const withId = operation.parameters.some((parameter) => parameter.in === 'path');
      if (operation.method !== 'get' || !withId) continue;
      const build = EXAMPLES[operation.operationId] as NonNullable<(typeof EXAMPLES)[string]>;
      const secret = b.tokens[operation.roles[0] as 'admin' | 'hr'].secret;
      const sent = await sendExample(base, operation, await build(b), secret);
      expect(sent.status, operation.operationId).toBe(200);
      expect(sent.text, operation.operationId).toContain(b.tag);
      read += 1;
    }
    expect(read).toBeGreaterThanOrEqual(7);
  });
});
