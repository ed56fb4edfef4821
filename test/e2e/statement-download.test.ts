import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RunningPlaudit, startPlaudit } from '../../src/app.ts';
import { parseConfig } from '../../src/config.ts';
import { monthlyStatement, monthOf } from '../../src/rewards/billing.ts';
import { STATEMENT_CSV_HEADER, statementCsv } from '../../src/rewards/statement-csv.ts';
import { parseCsv } from '../support/csv.ts';

const TOKEN = 'statement-test-admin-token-0123456789';

/**
 * The month's billing statement as a CSV download, for the organization the deployment
 * serves, behind the admin token: a redemption made and fulfilled through the console
 * shows up in it, field for field.
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
    expect((await download(`${month}.csv`)).status).toBe(401);
    expect((await download(`${month}.csv`, 'Bearer not-the-admin-token-at-all-000')).status).toBe(
      401,
    );
    const bad = await download('2026-13.csv', `Bearer ${TOKEN}`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      error: 'bad_month',
      message: 'Ask for a month as YYYY-MM.csv, like /admin/statements/2026-11.csv.',
    });
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
    const response = await download(
      `${month}.csv`,
      `Basic ${Buffer.from(`hr:${TOKEN}`).toString('base64')}`,
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toBe(
      `attachment; filename="plaudit-statement-${month}.csv"`,
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
});
