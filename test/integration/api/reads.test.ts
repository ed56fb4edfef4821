import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../../support/csv.ts';
import { EXAMPLES } from './api-examples.ts';
import { type ApiOrganization, createApiOrganization } from './api-organization.ts';
import { type ApiPlaudit, startApiPlaudit } from './api-plaudit.ts';
import { exampleUrl, type OpenApiDocument, operationsOf } from './api-walk.ts';

interface Page {
  items: Array<Record<string, unknown>>;
  next_cursor: string | null;
}

/** What the API reads: balances, lookups, filters, and pages that add up to the whole list. */
describe('reading through the HTTP API', () => {
  let running: ApiPlaudit;
  let org: ApiOrganization;
  let base: string;
  const get = async (path: string, role: 'admin' | 'hr' = 'admin') => {
    const response = await fetch(`${base}${path}`, {
      headers: { authorization: `Bearer ${org.tokens[role].secret}` },
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    running = await startApiPlaudit();
    org = await createApiOrganization(running.plaudit.db);
    base = `${running.plaudit.url}/api/v1`;
  });
  afterAll(async () => {
    await running?.close();
  });

  it("shows a member's points and allowance as the ledger has them", async () => {
    // Li received 30 and redeemed twice for 2: one fulfilled, one still held.
    const li = await get(`/members/${org.members.member.id}`, 'hr');
    expect(li.status).toBe(200);
    expect(li.body).toMatchObject({
      id: org.members.member.id,
      displayName: org.members.member.displayName,
      roles: ['member'],
      points: { earned: 30, available: 26, held: 2 },
      allowance: { perPeriod: 100 },
      identities: [{ platform: 'slack', tenantId: `T${org.tag}`, userId: org.slackUserId }],
    });
    // Ana gave 30 of her 100.
    const ana = await get(`/members/${org.members.admin.id}`);
    expect(ana.body).toMatchObject({ allowance: { left: 70, perPeriod: 100 } });
  });

  it('finds a member by Slack id, by Teams id (29:… or Azure AD object id) or by email', async () => {
    const bySlack = await get(`/members/lookup?slack=${org.slackUserId}`);
    expect(bySlack.body.id).toBe(org.members.member.id);
    const byTeams = await get(`/members/lookup?teams=${encodeURIComponent(org.teamsUserId)}`);
    expect(byTeams.status).toBe(200);
    expect(byTeams.body.id).toBe(org.members.other.id);
    const [identity] = byTeams.body.identities as Array<{ userId: string }>;
    const byAad = await get(`/members/lookup?teams=${identity?.userId.toUpperCase()}`);
    expect(byAad.body.id).toBe(org.members.other.id);

    await running.plaudit.db
      .updateTable('members')
      .set({ email: `hana.${org.tag}@example.com` })
      .where('id', '=', org.members.hr.id)
      .execute();
    const byEmail = await get(`/members/lookup?email=Hana.${org.tag}@Example.com`);
    expect(byEmail.body.id).toBe(org.members.hr.id);

    expect((await get('/members/lookup?slack=UNOBODY')).status).toBe(404);
    const both = await get(`/members/lookup?slack=${org.slackUserId}&email=a@b.c`);
    expect(both.status).toBe(400);
    expect(both.body.message).toContain('exactly one of slack, teams or email');
  });

  it('filters recognitions by giver, recipient, value and time', async () => {
    const ids = async (query: string) =>
      ((await get(`/recognitions?${query}`)).body.items as Array<{ id: number }>).map(
        (item) => item.id,
      );
    const { admin, member, other } = org.members;
    expect(await ids(`giver=${admin.id}`)).toEqual([org.recognitionId]);
    expect(await ids(`recipient=${member.id}`)).toEqual([org.recognitionId]);
    expect(await ids(`giver=${member.id}`)).toEqual([]);
    expect(await ids(`recipient=${other.id}`)).toEqual([]);
    expect(await ids('value=TeamWork')).toEqual([org.recognitionId]);
    expect(await ids('value=kindness')).toEqual([]);
    expect(await ids('since=2000-01-01T00:00:00Z&until=2000-02-01T00:00:00Z')).toEqual([]);
    const later = await org.fresh.recognition();
    expect(
      await ids(`since=${encodeURIComponent(new Date(Date.now() - 60_000).toISOString())}`),
    ).toEqual([later, org.recognitionId]);
    const bad = await get('/recognitions?since=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('bad_request');
  });

  it('marks a private kudos for admins, and leaves it off the leaderboard', async () => {
    const id = await org.fresh.privateRecognition(40);
    const one = await get(`/recognitions/${id}`);
    expect(one.body).toMatchObject({
      id,
      private: true,
      recipients: [{ memberId: org.members.other.id, amount: 40 }],
    });
    expect((await get(`/recognitions/${org.recognitionId}`)).body.private).toBe(false);
    const board = await get('/leaderboard?window=all');
    expect(JSON.stringify(board.body)).not.toContain(org.members.other.displayName);
    const received = board.body.received as Array<{ name: string }>;
    expect(received.map((standing) => standing.name)).toEqual([org.members.member.displayName]);
  });

  it('exports a reason typed as a formula as text that a spreadsheet does not run', async () => {
    const csvOf = async (reason: string) => {
      const id = await org.fresh.recognition(reason);
      const response = await fetch(`${base}/recognitions?format=csv&limit=100`, {
        headers: { authorization: `Bearer ${org.tokens.admin.secret}` },
      });
      const [header, ...rows] = parseCsv(await response.text());
      const row = rows.find((cells) => cells[0] === String(id));
      return row?.[header?.indexOf('message') ?? -1];
    };
    expect(await csvOf('=HYPERLINK("https://evil.example","click")')).toBe(
      `'=HYPERLINK("https://evil.example","click")`,
    );
    expect(await csvOf('+1+cmd|x')).toBe(`'+1+cmd|x`);
    expect(await csvOf('@SUM(1)')).toBe(`'@SUM(1)`);
  });

  it('pages every list with cursors: the pages add up to the whole list, once each', async () => {
    const document = (await (await fetch(`${base}/openapi.json`)).json()) as OpenApiDocument;
    const lists = operationsOf(document).filter(
      (operation) =>
        operation.method === 'get' &&
        operation.parameters.some((parameter) => parameter.name === 'cursor'),
    );
    expect(lists.length).toBeGreaterThanOrEqual(10);
    for (const operation of lists) {
      // More of each, so there are pages to turn.
      await org.fresh.recognition();
      await org.fresh.token();
      const role = operation.roles[0] as 'admin' | 'hr';
      const example = await (
        EXAMPLES[operation.operationId] as NonNullable<(typeof EXAMPLES)[string]>
      )(org);
      const idOf = (item: Record<string, unknown>) => item.id ?? item.memberId;
      const whole = await get(exampleUrl(operation, example, { limit: '1000' }), role);
      expect(whole.status, operation.operationId).toBe(200);
      const all = (whole.body as unknown as Page).items.map(idOf);
      const paged: unknown[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const extra: Record<string, string> = { limit: '2', ...(cursor && { cursor }) };
        const page = (await get(exampleUrl(operation, example, extra), role))
          .body as unknown as Page;
        expect(page.items.length, operation.operationId).toBeLessThanOrEqual(2);
        paged.push(...page.items.map(idOf));
        cursor = page.next_cursor;
        pages += 1;
      } while (cursor && pages < 200);
      expect(paged, operation.operationId).toEqual(all);
      if (all.length > 2) expect(pages, operation.operationId).toBeGreaterThan(1);
    }
    const bad = await get(`/members?cursor=${randomUUID()}`);
    expect(bad).toEqual({
      status: 400,
      body: {
        error: 'bad_request',
        message: 'The query is not right — cursor: not a cursor this API gave out.',
      },
    });
  });

  it('reads ids in paths and queries as digits only: 1e3 or 0x10 is no id', async () => {
    for (const path of ['/members/1e3', '/members/0x10', '/members/0', '/recognitions?giver=1e3']) {
      const answer = await get(path);
      expect(answer.status, path).toBe(400);
      expect(answer.body.error, path).toBe('bad_request');
      expect(answer.body.message, path).toContain('a positive whole number, in digits');
    }
  });
});
