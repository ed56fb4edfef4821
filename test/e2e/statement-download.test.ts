import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RunningPlaudit, startPlaudit } from '../../src/app.ts';
import { parseConfig } from '../../src/config.ts';
import { monthlyStatement, monthOf } from '../../src/rewards/billing.ts';
import { STATEMENT_CSV_HEADER, statementCsv } from '../../src/rewards/statement-csv.ts';
import {
  type ApiOrganization,
  createApiOrganization,
} from '../integration/api/api-organization.ts';
import { parseCsv } from '../support/csv.ts';

const TOKEN = 'statement-test-admin-token-0123456789';

/**
 * The month's billing statement as a CSV download, one organization's at a time, behind
 * the admin token: a redemption made and fulfilled through the console shows up in it,
 * field for field, and two organizations of one deployment each see only their own.
 */
describe('the statement CSV download', () => {
  let plaudit: RunningPlaudit;
  const reward = `Mug, "big" ${randomUUID().slice(0, 8)}`;
  const run = async (member: string, text: string) => {
    const response = await fetch(`${plaudit.url}/api/console/commands`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ member, text, requestId: randomUUID() }),
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as { reply: { text: string; outcome: string } }).reply;
  };
  const download = (path: string, authorization?: string) =>
    fetch(`${plaudit.url}/admin/statements/${path}`, {
      headers: authorization ? { authorization } : {},
    });
  const bearer = `Bearer ${TOKEN}`;
  /** The organization of the demo members the console commands run as. */
  const demoOrganization = async () =>
    (
      await plaudit.db
        .selectFrom('members')
        .innerJoin('organizations', 'organizations.id', 'members.organization_id')
        .select('organizations.id')
        .where('members.email', '=', 'ana@demo.example')
        .executeTakeFirstOrThrow()
    ).id;

  beforeAll(async () => {
    plaudit = await startPlaudit(
      parseConfig({
        PORT: '0',
        LOG_LEVEL: 'silent',
        DATABASE_URL: inject('databaseUrl'),
        PLAUDIT_ADMIN_TOKEN: TOKEN,
      }),
    );
  });
  afterAll(async () => {
    await plaudit?.close();
  });

  it('refuses a missing or wrong token, and a month it cannot read', async () => {
    const month = monthOf(new Date(), 'Europe/Lisbon');
    const organizationId = await demoOrganization();
    for (const path of ['', `${organizationId}/${month}.csv`, `${month}.csv`]) {
      expect((await download(path)).status, path).toBe(401);
      expect((await download(path, 'Bearer not-the-admin-token-at-all-000')).status).toBe(401);
    }
    const bad = await download(`${organizationId}/2026-13.csv`, bearer);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      error: 'bad_month',
      message: `Ask for a month as YYYY-MM.csv, like /admin/statements/${organizationId}/2026-11.csv.`,
    });
  });

  it('answers the address without an organization with the new one, whatever the month', async () => {
    for (const file of [`${monthOf(new Date(), 'Europe/Lisbon')}.csv`, '2026-13.csv']) {
      const moved = await download(file, bearer);
      expect(moved.status).toBe(400);
      expect(await moved.json()).toEqual({
        error: 'organization_required',
        message:
          'Statements are per organization: ask /admin/statements/<organization id>/YYYY-MM.csv, like /admin/statements/7/2026-11.csv; /admin/statements lists the organizations.',
      });
    }
  });

  it('lists a fulfilled redemption, as the statement has it', async () => {
    const added = await run(
      'jose',
      `hr reward add name="${reward.replaceAll('"', "'")}" cost=5 price=5.50`,
    );
    expect(added.outcome).toBe('ok');
    expect((await run('li', '@ana 5 for the statement test')).outcome).toBe('ok');
    const redeemed = await run('ana', `redeem ${reward.replaceAll('"', "'")}`);
    const id = /redemption #(\d+)/.exec(redeemed.text)?.[1];
    expect(id, redeemed.text).toBeDefined();
    expect((await run('jose', `hr fulfil ${id}`)).text).toContain(
      'is fulfilled; 5.50 EUR is billed',
    );

    const month = monthOf(new Date(), 'Europe/Lisbon');
    const demo = await demoOrganization();
    const response = await download(
      `${demo}/${month}.csv`,
      `Basic ${Buffer.from(`hr:${TOKEN}`).toString('base64')}`,
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toBe(
      `attachment; filename="plaudit-statement-${demo}-${month}.csv"`,
    );
    const rows = parseCsv(await response.text());
    expect(rows[0]).toEqual([...STATEMENT_CSV_HEADER]);
    const ours = rows.find((row) => row[2] === id);
    expect(ours?.slice(4)).toEqual([
      reward.replaceAll('"', "'"),
      expect.any(String),
      'Ana Silva',
      'ana@demo.example',
      'design',
      '5.50',
      'EUR',
    ]);
    const organizationId = await plaudit.db
      .selectFrom('redemptions')
      .select('organization_id')
      .where('id', '=', Number(id))
      .executeTakeFirstOrThrow();
    const expected = statementCsv(
      await monthlyStatement(plaudit.db, organizationId.organization_id, month),
    );
    expect(rows).toEqual(parseCsv(expected));
  });

  describe('two organizations of the deployment', () => {
    let a: ApiOrganization;
    let b: ApiOrganization;
    beforeAll(async () => {
      [a, b] = await Promise.all([
        createApiOrganization(plaudit.db),
        createApiOrganization(plaudit.db),
      ]);
    });
    /** An organization's statement of this month, as rows. */
    const statementOf = async (organization: ApiOrganization) => {
      const response = await download(`${organization.organizationId}/${a.month}.csv`, bearer);
      expect(response.status).toBe(200);
      return parseCsv(await response.text());
    };

    it('holds only its own redemptions in each statement', async () => {
      const [ofA, ofB] = [await statementOf(a), await statementOf(b)];
      const redemptionIds = (rows: string[][]) => rows.slice(1).map((row) => row[2]);
      expect(redemptionIds(ofA)).toEqual([String(a.fulfilledRedemptionId)]);
      expect(redemptionIds(ofB)).toEqual([String(b.fulfilledRedemptionId)]);
      expect(JSON.stringify(ofA)).not.toContain(b.tag);
      expect(JSON.stringify(ofB)).not.toContain(a.tag);
      expect(JSON.stringify(ofA)).toContain(a.tag);
      for (const organization of [a, b]) {
        const expected = statementCsv(
          await monthlyStatement(plaudit.db, organization.organizationId, organization.month),
        );
        expect(await statementOf(organization)).toEqual(parseCsv(expected));
      }
    });

    it('answers 404 for an organization that does not exist', async () => {
      const last = await plaudit.db
        .selectFrom('organizations')
        .select((eb) => eb.fn.max('id').as('id'))
        .executeTakeFirstOrThrow();
      for (const organization of [Number(last.id) + 1000, 0, 'abc', `${a.organizationId}x`]) {
        const response = await download(`${organization}/${a.month}.csv`, bearer);
        expect(response.status, String(organization)).toBe(404);
        expect(await response.json()).toEqual({
          error: 'unknown_organization',
          message: 'There is no organization with that id; /admin/statements lists them.',
        });
      }
    });

    it('lists the organizations, each with the address of its statements', async () => {
      const response = await download('', bearer);
      expect(response.status).toBe(200);
      const { organizations } = (await response.json()) as {
        organizations: Array<{ id: number; name: string; statements: string }>;
      };
      for (const organization of [a, b]) {
        expect(organizations).toContainEqual({
          id: organization.organizationId,
          name: expect.any(String),
          statements: `/admin/statements/${organization.organizationId}/YYYY-MM.csv`,
        });
      }
    });
  });
});
