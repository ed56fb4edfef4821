import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../src/db/database.ts';
import { openMigratedDataFolder } from '../support/databases.ts';
import { createFreshDatabase, type FreshDatabase } from '../support/fresh-database.ts';
import { nudgeBalanceRow, populatedOrganization } from '../support/ledger-corruption.ts';
import { runNpmScript } from '../support/npm-script.ts';

/** Runs `npm run ledger:verify` as an operator would, with only this environment. */
const ledgerVerify = (env: Record<string, string>) => runNpmScript('ledger:verify', env);

/** A populated organization, then Ana's earned balance row nudged by 5 past the triggers. */
async function populateAndCorrupt(db: Database) {
  const clean = await populatedOrganization(db);
  return {
    clean,
    corrupt: async () => {
      await nudgeBalanceRow(db, clean.ana.earned, 5);
      return `organization ${clean.organizationId}: balance_row_mismatch at ledger_accounts ${clean.ana.earned} (earned of member ${clean.f.members.Ana?.id}): expected debits 100 posted + 100 pending, credits 240 posted + 0 pending (its transfers), found debits 100 posted + 100 pending, credits 245 posted + 0 pending (its balance row)`;
    },
  };
}

describe('npm run ledger:verify on postgres', () => {
  let fresh: FreshDatabase;
  let db: Database;
  beforeAll(async () => {
    fresh = await createFreshDatabase('verify_cli', { migrated: true });
    db = await openDatabase({ url: fresh.url, poolSize: 2 });
  });
  afterAll(async () => {
    await db?.destroy();
    await fresh?.drop();
  });

  it('exits 0 on a clean populated database, and 1 naming the row once one is corrupted', async () => {
    const { corrupt } = await populateAndCorrupt(db);
    const clean = await ledgerVerify({ DATABASE_URL: fresh.url });
    expect(clean.stderr).toBe('');
    expect(clean.stdout).toMatch(/^ledger verified: 1 organizations, 0 violations in \d+\.\d s\n$/);
    expect(clean.code).toBe(0);

    const line = await corrupt();
    const broken = await ledgerVerify({ DATABASE_URL: fresh.url });
    const lines = broken.stdout.trim().split('\n');
    expect(lines).toContain(line);
    expect(lines.at(-1)).toMatch(/^ledger verified: 1 organizations, 3 violations in \d+\.\d s$/);
    expect(broken.code).toBe(1);
  });
});

describe('npm run ledger:verify on the embedded database', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = path.join(await mkdtemp(path.join(tmpdir(), 'plaudit-verify-')), 'data');
  });
  afterAll(async () => {
    await rm(path.dirname(dataDir), { recursive: true, force: true });
  });

  it('reads PLAUDIT_DATA_DIR when no DATABASE_URL is set', async () => {
    const db = await openMigratedDataFolder(dataDir);
    let line: string;
    try {
      line = await (await populateAndCorrupt(db)).corrupt();
    } finally {
      await db.destroy();
    }
    const broken = await ledgerVerify({ PLAUDIT_DATA_DIR: dataDir });
    expect(broken.stdout.trim().split('\n')).toContain(line);
    expect(broken.code).toBe(1);
  });
});
