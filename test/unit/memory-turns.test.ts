import { describe, expect, it } from 'vitest';
import { MemoryTurns } from '../../src/jobs/turns.ts';

describe('MemoryTurns, turns on a key for one process', () => {
  function clocked() {
    const clock = { now: 0 };
    return { clock, turns: new MemoryTurns(() => clock.now) };
  }

  it('gives the first holder its turn now and keeps later ones, one interval apart, in order', async () => {
    const { clock, turns } = clocked();
    expect(await turns.take('C1', 'a', 300)).toBe(0);
    expect(await turns.take('C1', 'b', 300)).toBe(300);
    expect(await turns.take('C1', 'c', 300)).toBe(600);
    // Another key does not wait for C1's turns.
    expect(await turns.take('C2', 'd', 300)).toBe(0);
    // Coming back early, a holder is told how long is left of its kept turn.
    clock.now = 100;
    expect(await turns.take('C1', 'b', 300)).toBe(200);
    clock.now = 300;
    expect(await turns.take('C1', 'b', 300)).toBe(0);
    clock.now = 600;
    expect(await turns.take('C1', 'c', 300)).toBe(0);
  });

  it('spaces the next turn from when a late holder used its own, not from when it was kept', async () => {
    const { clock, turns } = clocked();
    expect(await turns.take('C1', 'a', 300)).toBe(0);
    expect(await turns.take('C1', 'b', 300)).toBe(300);
    expect(await turns.take('C1', 'c', 300)).toBe(600);
    // b comes back 150 ms after its turn and sends then.
    clock.now = 450;
    expect(await turns.take('C1', 'b', 300)).toBe(0);
    // c, on time for its kept turn, would send 150 ms after b: it waits the rest.
    clock.now = 600;
    expect(await turns.take('C1', 'c', 300)).toBe(150);
    clock.now = 750;
    expect(await turns.take('C1', 'c', 300)).toBe(0);
  });

  it('gives a newcomer a turn no sooner than an interval after the last one used', async () => {
    const { clock, turns } = clocked();
    expect(await turns.take('C1', 'a', 300)).toBe(0);
    expect(await turns.take('C1', 'b', 300)).toBe(300);
    clock.now = 400;
    expect(await turns.take('C1', 'b', 300)).toBe(0);
    // The next free turn was booked for 600; b used its own at 400, so the next is at 700.
    clock.now = 500;
    expect(await turns.take('C1', 'd', 300)).toBe(200);
    clock.now = 700;
    expect(await turns.take('C1', 'd', 300)).toBe(0);
  });

  it('gives a newcomer no turn that a holder pushed back by a late use already has', async () => {
    const { clock, turns } = clocked();
    expect(await turns.take('C1', 'a', 300)).toBe(0);
    expect(await turns.take('C1', 'b', 300)).toBe(300);
    expect(await turns.take('C1', 'c', 300)).toBe(600);
    clock.now = 800;
    expect(await turns.take('C1', 'b', 300)).toBe(0);
    // c is pushed from 600 to 1100; the next free turn was 900, and is now 1400.
    clock.now = 810;
    expect(await turns.take('C1', 'c', 300)).toBe(290);
    expect(await turns.take('C1', 'd', 300)).toBe(590);
  });
});
