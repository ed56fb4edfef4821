import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectReconciled, FaultStage } from '../support/fault-stage.ts';
import { until } from '../support/until.ts';

/** Gives a second while a fault is on. */
const RATE = 20;
/**
 * The limits a fault outlasts: production's 5 s to connect (which includes waiting for a
 * pool connection, kept for a busy machine), and statement and idle-in-transaction limits
 * of 4 s instead of 10 s, so that outlasting them all takes 6 s less: what is tested is
 * what happens past them, not their values (test/integration/db/connection-faults.test.ts
 * gives up within limits of 1 s; test/unit/config.test.ts checks the defaults).
 */
const LIMITS = {
  DATABASE_STATEMENT_TIMEOUT_MS: '4000',
  DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: '4000',
};

/**
 * What Postgres does to a production deployment, under a steady load of signed Slack gives
 * to a web process with a worker beside it: each fault, then a reconciliation. Both
 * processes live through each; every command taken is answered exactly once, a give
 * answered as given committed and one that committed was answered so; the ledger sums to
 * zero with its balance rows equal to its transfers.
 */
describe('Postgres faults under load', () => {
  const stage = new FaultStage(LIMITS);

  beforeAll(async () => {
    await stage.start({ worker: true });
  }, 120_000);
  afterAll(() => stage.stop());

  /** Runs the load around a fault, then checks what it left. */
  async function underLoad(fault: () => Promise<void>) {
    stage.startLoad(RATE);
    await until(() => stage.commands.size >= RATE);
    await fault();
    const mark = stage.commands.size;
    await until(() => stage.commands.size >= mark + RATE * 2);
    await stage.stopLoad();
    // Service is back: gives after the fault are taken and answered as given.
    await stage.untilGiven();
    const result = await stage.reconcile();
    expect(stage.alive(), stage.lastWords()).toEqual({ web: true, worker: true });
    expectReconciled(result);
    return result;
  }

  it('survives its idle connections being terminated', async () => {
    const result = await underLoad(async () => {
      expect(await stage.terminateSessions('idle')).toBeGreaterThan(0);
    });
    expect(result.committed).toBeGreaterThan(0);
  }, 120_000);

  it('survives every connection being terminated mid-stream', async () => {
    await underLoad(async () => {
      expect(await stage.terminateSessions()).toBeGreaterThan(0);
    });
  }, 120_000);

  it('survives Postgres frozen past every limit, then thawed', async () => {
    await underLoad(async () => {
      stage.postgres?.freeze();
      // Longer than the connect (5 s), statement and idle-in-transaction limits (4 s, and 2 s
      // more for an answer), by as much as production's 15 s outlasts its own 12.
      await stage.lasts(9_000);
      stage.postgres?.thaw();
    });
  }, 120_000);

  it('survives Postgres restarting: sessions ended, refused for a while, then back', async () => {
    await underLoad(async () => {
      await stage.terminateSessions();
      await stage.postgres?.cut();
      await stage.lasts(3_000);
      await stage.postgres?.start();
    });
  }, 120_000);
});
