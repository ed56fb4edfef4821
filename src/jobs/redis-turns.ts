import type { Redis } from 'ioredis';
import type { Turns } from './turns.ts';

/**
 * One script, so that reading and reserving a turn is one step for every process. Redis's
 * own clock decides, so processes whose clocks differ still space their turns right.
 * KEYS: the key's next free instant, the turns kept for holders, the instant the key's
 * last turn was used. ARGV: interval, holder.
 */
const TAKE_TURN = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local every = tonumber(ARGV[1])
local last = redis.call('GET', KEYS[3])
local earliest = now
if last then earliest = tonumber(last) + every end
local function use()
  redis.call('SET', KEYS[3], string.format('%d', now), 'PX', every + 1000)
  return 0
end
-- Keeps the turn at 'at' for the holder; the hash lives an hour past its latest turn.
local function keep(at)
  redis.call('HSET', KEYS[2], ARGV[2], string.format('%d', at))
  if redis.call('PTTL', KEYS[2]) < at - now + 3600000 then
    redis.call('PEXPIRE', KEYS[2], at - now + 3600000)
  end
  return at - now
end
-- Books the turn at 'at': the next free one is an interval later, never earlier.
local function book(at)
  if at + every > tonumber(redis.call('GET', KEYS[1]) or '0') then
    redis.call('SET', KEYS[1], string.format('%d', at + every), 'PX', at + every - now + 1000)
  end
end
local kept = redis.call('HGET', KEYS[2], ARGV[2])
if kept then
  local at = math.max(tonumber(kept), earliest)
  if at > now then
    -- Pushed back by a late use: no newcomer is given the same instant.
    if at > tonumber(kept) then book(at) end
    return keep(at)
  end
  redis.call('HDEL', KEYS[2], ARGV[2])
  return use()
end
local at = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'), earliest)
book(at)
if at == now then return use() end
return keep(at)
`;

/** The script as a command of the connection (ioredis sends EVALSHA, EVAL only once). */
const TAKE_TURN_COMMAND = 'plauditTakeTurn';

type TurnTaking = Redis & {
  [TAKE_TURN_COMMAND](...keysThenArgs: (string | number)[]): Promise<unknown>;
};

/** Turns kept in Redis, shared by every process that works a queue. */
export class RedisTurns implements Turns {
  readonly #redis: TurnTaking;

  constructor(
    redis: Redis,
    private readonly prefix: string,
  ) {
    // By its hash: each send's pacing would otherwise write the script's 1.7 kB to Redis,
    // and Redis hash it, every time.
    if (!(TAKE_TURN_COMMAND in redis)) {
      redis.defineCommand(TAKE_TURN_COMMAND, { lua: TAKE_TURN, numberOfKeys: 3 });
    }
    this.#redis = redis as TurnTaking;
  }

  async take(key: string, holder: string, everyMs: number): Promise<number> {
    const base = `${this.prefix}:turns:${key}`;
    const wait = await this.#redis[TAKE_TURN_COMMAND](
      base,
      `${base}:kept`,
      `${base}:used`,
      everyMs,
      holder,
    );
    return Number(wait);
  }
}
