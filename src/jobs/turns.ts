/**
 * Turns on a key, one per interval, shared by whoever takes them: how jobs pace their
 * sends to one Slack channel or one person. A holder that must wait is given a turn of
 * its own (later than everyone's before it), and finds it kept when it comes back, so
 * waiting jobs go in order instead of all retrying at once.
 *
 * A turn is used when its holder comes back, which may be later than the turn (a delayed
 * job is promoted late, a process is busy). The next turn is then never less than the
 * interval after that use: what Slack or Teams counts is when sends arrive, not when
 * they were booked.
 */
export interface Turns {
  /**
   * Takes `holder`'s turn on `key`: resolves with 0 when it is now (and the turn is
   * used), or with the milliseconds until the turn kept for `holder`.
   */
  take(key: string, holder: string, everyMs: number): Promise<number>;
}

/** Turns kept in this process: the inline runner's, for one process of local mode. */
export class MemoryTurns implements Turns {
  /** When the next turn nobody holds begins, by key. */
  readonly #nextFree = new Map<string, number>();
  /** When each key's last turn was used. */
  readonly #lastUsed = new Map<string, number>();
  /** Turns kept for holders that had to wait. */
  readonly #kept = new Map<string, number>();

  constructor(private readonly now: () => number = () => Date.now()) {}

  async take(key: string, holder: string, everyMs: number): Promise<number> {
    const now = this.now();
    const held = `${key}\u0000${holder}`;
    const earliest = (this.#lastUsed.get(key) ?? Number.NEGATIVE_INFINITY) + everyMs;
    const kept = this.#kept.get(held);
    if (kept !== undefined) {
      const at = Math.max(kept, earliest);
      if (at > now) {
        // Pushed back by a late use: no newcomer is given the same instant.
        if (at > kept) this.#book(key, at, everyMs);
        this.#kept.set(held, at);
        return at - now;
      }
      this.#kept.delete(held);
      this.#lastUsed.set(key, now);
      return 0;
    }
    const at = Math.max(now, this.#nextFree.get(key) ?? 0, earliest);
    this.#book(key, at, everyMs);
    if (at === now) {
      this.#lastUsed.set(key, now);
      return 0;
    }
    this.#kept.set(held, at);
    return at - now;
  }

  /** Books the turn at `at`: the next free one is an interval later, never earlier than before. */
  #book(key: string, at: number, everyMs: number): void {
    this.#nextFree.set(key, Math.max(this.#nextFree.get(key) ?? 0, at + everyMs));
  }
}
