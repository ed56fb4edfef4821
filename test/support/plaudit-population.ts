import type { Database } from '../../src/db/database.ts';
import { createAdminFixture } from './admin-fixture.ts';
import { populatedOrganization } from './ledger-corruption.ts';

/**
 * Several organizations written through Plaudit's own commands: two with allowance, a
 * give, a redemption fulfilled (billed), one rejected and one still held; a third where an
 * admin reversed a give and another give stands. Returns their ids.
 */
export async function populateOrganizations(db: Database): Promise<number[]> {
  const first = await populatedOrganization(db);
  const second = await populatedOrganization(db);
  const f = await createAdminFixture(db, {
    members: { Ada: { roles: ['member', 'admin'] }, Bo: {}, Ana: {}, Li: {} },
  });
  try {
    const give = await f.command('Bo', '@Ana @Li 10 for the launch');
    const recognitionId = give.events[0]?.recognitionId;
    if (give.outcome !== 'ok' || recognitionId === undefined) throw new Error(give.text);
    const kept = await f.command('Bo', '@Ana 3 for the coffee');
    if (kept.outcome !== 'ok') throw new Error(kept.text);
    const reversal = await f.command('Ada', `admin reverse #${recognitionId} given by mistake`);
    if (reversal.outcome !== 'ok') throw new Error(reversal.text);
  } finally {
    await f.close();
  }
  return [first.organizationId, second.organizationId, f.organizationId];
}
