/**
 * The people and tenant of bench:teams, the same in the load generator (which mentions
 * them) and in the fake Bot Connector's process (which tells Plaudit who they are).
 */
import type { FakeTeamsUser } from '../test/support/fake-bot-connector.ts';

export const BENCH_TENANT = '00000000-0000-4000-8000-00000000be9c';
export const BENCH_APP_ID = '00000000-0000-4000-8000-0000000000ab';
export const BENCH_APP_PASSWORD = 'bench-client-secret';

/** Person `index` of the benchmark's tenant; ids fixed, so both processes agree. */
export function benchPerson(index: number): FakeTeamsUser {
  return {
    id: `29:bench-${index}`,
    aadObjectId: `00000000-0000-4000-9000-${String(index).padStart(12, '0')}`,
    name: `User ${index}`,
    email: `u${index}@bench.example`,
  };
}
