import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/database.ts';
import { RecognitionSettingsCache } from '../../../src/recognition/settings-cache.ts';
import { openTestDatabase } from '../../support/databases.ts';
import { createRecognitionFixture } from '../../support/recognition-fixture.ts';

describe('the settings cache on postgres', () => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase('postgres');
  });
  afterAll(async () => {
    await db?.destroy();
  });

  it('keeps settings for its time to live, advances the database clock, and forgets on request', async () => {
    const f = await createRecognitionFixture(db, { members: { Ana: {} } });
    let monotonic = 0;
    const cache = new RecognitionSettingsCache(db, 1000, () => monotonic);
    const setDefault = (amount: number) =>
      db
        .updateTable('recognition_settings')
        .set({ default_amount: amount })
        .where('organization_id', '=', f.organizationId)
        .execute();

    const first = await cache.load(f.organizationId);
    expect(first.settings.defaultAmount).toBe(10);
    await setDefault(12);
    monotonic = 999;
    const cached = await cache.load(f.organizationId);
    expect(cached.settings.defaultAmount).toBe(10);
    expect(cached.now.getTime() - first.now.getTime()).toBe(999);

    monotonic = 1000;
    const expired = await cache.load(f.organizationId);
    expect(expired.settings.defaultAmount).toBe(12);
    expect(expired.now.getTime()).toBeGreaterThanOrEqual(first.now.getTime());

    await setDefault(15);
    cache.invalidate(f.organizationId);
    expect((await cache.load(f.organizationId)).settings.defaultAmount).toBe(15);
  });

  it('shares one read between concurrent commands', async () => {
    const f = await createRecognitionFixture(db, { members: { Ana: {} } });
    const cache = new RecognitionSettingsCache(db, 1000, () => 0);
    const loads = await Promise.all(Array.from({ length: 20 }, () => cache.load(f.organizationId)));
    expect(new Set(loads.map((load) => load.settings)).size).toBe(1);
  });
});
