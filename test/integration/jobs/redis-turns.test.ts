import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RedisTurns } from '../../../src/jobs/redis-turns.ts';

/**
 * The turns script on a real Redis, whose clock decides: these tests read that clock and
 * wait for it where a holder must come back late or on time.
 */
describe('RedisTurns, turns on a key shared by every process', () => {
  let redis: Redis;
  const prefix = `test-${randomUUID()}`;
  beforeAll(() => {
    redis = new Redis(inject('redisUrl'));
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  async function redisNow(): Promise<number> {
    const [seconds, micros] = await redis.time();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  }
  async function untilRedisTime(at: number): Promise<number> {
    for (;;) {
      const now = await redisNow();
      if (now >= at) return now;
      await sleep(at - now);
    }
  }

  it('gives the first holder its turn now and keeps later ones in order, one interval apart', async () => {
    const turns = new RedisTurns(redis, prefix);
    const key = `channel-${randomUUID()}`;
    const start = await redisNow();
    expect(await turns.take(key, 'a', 60_000)).toBe(0);
    const b = await turns.take(key, 'b', 60_000);
    const c = await turns.take(key, 'c', 60_000);
    const elapsed = (await redisNow()) - start;
    expect(b).toBeGreaterThan(60_000 - elapsed - 1);
    expect(b).toBeLessThanOrEqual(60_000);
    expect(c - b).toBeGreaterThanOrEqual(60_000 - elapsed);
    expect(c - b).toBeLessThanOrEqual(60_000 + elapsed);
    // Another key does not wait for this one's turns.
    expect(await turns.take(`channel-${randomUUID()}`, 'd', 60_000)).toBe(0);
  });

  it('sends its script once per connection, then by hash', async () => {
    const own = new Redis(inject('redisUrl'));
    try {
      const sent: string[] = [];
      const send = own.sendCommand.bind(own);
      own.sendCommand = (command, ...rest) => {
        sent.push(command.name);
        return send(command, ...rest);
      };
      const turns = new RedisTurns(own, prefix);
      for (const holder of ['a', 'b', 'c'])
        await turns.take(`channel-${randomUUID()}`, holder, 1000);
      // ioredis tries EVALSHA and falls back to EVAL once when Redis does not know the hash.
      expect(sent.filter((name) => name === 'eval').length).toBeLessThanOrEqual(1);
      expect(sent.filter((name) => name === 'evalsha').length).toBeGreaterThanOrEqual(2);
    } finally {
      own.disconnect();
    }
  });

  it('spaces the next turn from when a late holder used its own, not from when it was kept', async () => {
    const turns = new RedisTurns(redis, prefix);
    const key = `channel-${randomUUID()}`;
    const every = 1000;
    expect(await turns.take(key, 'a', every)).toBe(0);
    // Each turn as Redis's clock read just after the call: at or after the turn itself.
    const bTurn = (await turns.take(key, 'b', every)) + (await redisNow());
    const cTurn = (await turns.take(key, 'c', every)) + (await redisNow());
    // b comes back half an interval late and uses its turn then.
    const bUsedAfter = await untilRedisTime(bTurn + every / 2);
    expect(await turns.take(key, 'b', every)).toBe(0);
    // c comes back for its kept turn, less than an interval after b's send: it must wait
    // until an interval after b's, however late b was.
    const cBack = await untilRedisTime(cTurn);
    const wait = await turns.take(key, 'c', every);
    const cAsked = await redisNow();
    expect(wait).toBeGreaterThan(0);
    // The script counted its wait from an instant before cAsked, and b's send came after
    // bUsedAfter: so c's new turn, which is at most cAsked + wait, is at least this.
    expect(cAsked + wait).toBeGreaterThanOrEqual(bUsedAfter + every);
    // A newcomer's turn is an interval after c's new one, not the instant c was given.
    const dWait = await turns.take(key, 'd', every);
    const dAsked = await redisNow();
    expect(dWait + (dAsked - cBack)).toBeGreaterThanOrEqual(wait + every);
    await untilRedisTime(cAsked + wait);
    expect(await turns.take(key, 'c', every)).toBe(0);
  });
});
