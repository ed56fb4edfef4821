import { afterEach, describe, expect, it } from 'vitest';
import { expectReconciled, FaultStage } from '../support/fault-stage.ts';
import { until } from '../support/until.ts';

const RATE = 20;

/**
 * Redis going away, a web process stopped under load, and a burst past what a process
 * takes: each reconciled as the Postgres faults are.
 */
describe('process faults under load', () => {
  let stage: FaultStage | undefined;
  afterEach(async () => {
    await stage?.stop();
    stage = undefined;
  });

  it('survives Redis stopped mid-stream and restarted', async () => {
    stage = await new FaultStage().start({ worker: true });
    stage.startLoad(RATE);
    await until(() => (stage as FaultStage).commands.size >= RATE);
    await stage.redis?.cut();
    const cutAt = performance.now();
    // Gives need no Redis: one is answered as given while it is away.
    await stage.untilGiven();
    // Away for 5 s: past the job locks (JOBS_LOCK_MS, 2 s, in fault-stage.ts) twice over,
    // so every lock the worker held lapses while it cannot renew it.
    await stage.lasts(5_000 - (performance.now() - cutAt));
    await stage.redis?.start();
    await stage.stopLoad();
    await stage.untilGiven();
    const result = await stage.reconcile();
    expect(stage.alive(), stage.lastWords()).toEqual({ web: true, worker: true });
    expectReconciled(result);
  }, 120_000);

  it('answers every command sent before a SIGTERM under load, and exits 0', async () => {
    stage = await new FaultStage().start();
    const web = stage.web;
    if (!web) throw new Error('no web process');
    stage.startLoad(RATE * 2);
    await until(() => (stage as FaultStage).commands.size >= RATE);
    web.child.kill('SIGTERM');
    const exit = await web.exited;
    const result = await stage.reconcile();
    expect(exit, web.output()).toEqual({ code: 0, signal: null });
    expectReconciled(result);
    // The ones refused at the door came after the port closed; none of them committed.
    const refused = [...stage.commands.values()].filter((command) => command.status === 0);
    expect(result.committed).toBeGreaterThan(0);
    console.info(
      `SIGTERM under load: ${result.sent} sent, ${result.sent - refused.length} taken and answered, ${refused.length} refused at the door, ${result.committed} committed`,
    );
  }, 120_000);

  it('sheds a burst past what it takes, and commits nothing it did not answer', async () => {
    stage = await new FaultStage({ CHAT_COMMANDS_IN_FLIGHT: '4' }).start();
    await stage.untilGiven();
    await Promise.all(Array.from({ length: 120 }, () => (stage as FaultStage).give()));
    const result = await stage.reconcile();
    expectReconciled(result);
    expect(result.shed).toBeGreaterThan(0);
    expect(result.committed).toBeGreaterThan(1);
    console.info(
      `burst: ${result.sent} sent at once, ${result.shed} shed, ${result.committed} committed`,
    );
  }, 120_000);
});
