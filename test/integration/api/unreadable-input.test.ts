import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningPlaudit } from '../../../src/app.ts';
import { organizationSnapshot } from '../../support/organization-snapshot.ts';
import { EXAMPLES, type Example } from './api-examples.ts';
import { type ApiOrganization, createApiOrganization } from './api-organization.ts';
import { type ApiPlaudit, startApiPlaudit } from './api-plaudit.ts';
import { type OpenApiDocument, type Operation, operationsOf, sendExample } from './api-walk.ts';

const NUL = '\u0000';

/** Each way of putting a NUL into one text an example sends: a query value, or a body string. */
function withNul(example: Example): Array<{ where: string; example: Example }> {
  const variants: Array<{ where: string; example: Example }> = [];
  for (const [name, value] of Object.entries(example.query ?? {})) {
    variants.push({
      where: `query ${name}`,
      example: { ...example, query: { ...example.query, [name]: `${value}${NUL}` } },
    });
  }
  const body = example.body as Record<string, unknown> | undefined;
  for (const [name, value] of Object.entries(body ?? {})) {
    if (typeof value !== 'string') continue;
    variants.push({
      where: `body ${name}`,
      example: { ...example, body: { ...body, [name]: `${value.slice(0, 3)}${NUL}${value}` } },
    });
  }
  return variants;
}

/**
 * Postgres cannot store a NUL: every text the API takes (query values, body strings, a
 * body key) that holds one is refused with 400 and a sentence, by the token's own role
 * and by the other one alike (a refusal is audited with what was asked), and nothing
 * of the organization changes. It reached Postgres as a 500. A body over the limit is a
 * 413, as the standard status says.
 */
describe('the HTTP API, sent what it cannot read', () => {
  let running: ApiPlaudit;
  let plaudit: RunningPlaudit;
  let org: ApiOrganization;
  let document: OpenApiDocument;
  let base: string;

  beforeAll(async () => {
    running = await startApiPlaudit();
    plaudit = running.plaudit;
    org = await createApiOrganization(plaudit.db);
    document = (await (
      await fetch(`${plaudit.url}/api/v1/openapi.json`)
    ).json()) as OpenApiDocument;
    base = `${plaudit.url}${document.servers[0]?.url}`;
  });
  afterAll(async () => {
    await running?.close();
  });

  const snapshot = () =>
    organizationSnapshot(plaudit.db, org.organizationId, {
      without: { api_tokens: ['last_used_at'] },
    });

  it('refuses it in any query value or body string with 400, whoever asks, and changes nothing', async () => {
    const requests: Array<{ operation: Operation; where: string; example: Example }> = [];
    for (const operation of operationsOf(document)) {
      const build = EXAMPLES[operation.operationId];
      if (!build) throw new Error(`no example for ${operation.operationId}`);
      for (const variant of withNul(await build(org))) requests.push({ operation, ...variant });
    }
    // Enough of both kinds that a route that slips through is among them.
    expect(requests.filter((request) => request.where.startsWith('query')).length).toBeGreaterThan(
      8,
    );
    expect(requests.filter((request) => request.where.startsWith('body')).length).toBeGreaterThan(
      6,
    );

    const before = await snapshot();
    for (const { operation, where, example } of requests) {
      for (const role of ['admin', 'hr'] as const) {
        const sent = await sendExample(base, operation, example, org.tokens[role].secret);
        const label = `${role} → ${operation.method.toUpperCase()} ${operation.path}, NUL in ${where}: ${sent.text.slice(0, 200)}`;
        expect(sent.status, label).toBe(400);
        const { error, message } = JSON.parse(sent.text) as { error: string; message: string };
        expect(error, label).toBe('bad_request');
        expect(message, label).toMatch(/^The (query|body) holds a NUL character \(\\u0000\) at /);
      }
    }
    expect(await snapshot()).toEqual(before);
  });

  it('names where the NUL is, a key of the body too', async () => {
    const groups = operationsOf(document).find((op) => op.operationId === 'createGroup');
    if (!groups) throw new Error('no createGroup');
    const before = await snapshot();
    const key = await sendExample(
      base,
      groups,
      { body: { [`na${NUL}me`]: 'Night shift' } },
      org.tokens.admin.secret,
    );
    expect([key.status, JSON.parse(key.text)]).toEqual([
      400,
      {
        error: 'bad_request',
        message:
          'The body holds a NUL character (\\u0000) at na\\0me, which Plaudit cannot store; nothing was done.',
      },
    ]);
    const members = await sendExample(
      base,
      groups,
      {
        body: { name: 'Night shift', memberIds: [org.members.member.id], notes: ['a', `b${NUL}`] },
      },
      org.tokens.admin.secret,
    );
    expect(JSON.parse(members.text).message).toBe(
      'The body holds a NUL character (\\u0000) at notes.1, which Plaudit cannot store; nothing was done.',
    );
    expect(await snapshot()).toEqual(before);
  });

  it('answers a body over 64 kB with 413, as its document says, and changes nothing', async () => {
    const groups = operationsOf(document).find((op) => op.operationId === 'createGroup');
    if (!groups) throw new Error('no createGroup');
    expect(Object.keys(groups.responses)).toContain('413');
    const before = await snapshot();
    const sent = await sendExample(
      base,
      groups,
      { body: { name: 'x'.repeat(70_000) } },
      org.tokens.admin.secret,
    );
    expect([sent.status, JSON.parse(sent.text)]).toEqual([
      413,
      { error: 'too_large', message: 'The body is larger than 64 kB.' },
    ]);
    expect(await snapshot()).toEqual(before);
  });
});
