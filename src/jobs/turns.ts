/**
 * Turns on a key, one per interval, shared by whoever takes them: how jobs pace their
 * sends to one Slack channel or one person. A holder that must wait is given a turn of
 * its own (later than everyone's before it), and finds it kept when it comes back, so
 * waiting jobs go in order instead of all retrying at once.
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
  readonly #nextFree = new Map<string, number>();
  readonly #kept = new Map<string, number>();

  constructor(private readonly now: () => number = () => Date.now()) {}

  async take(key: string, holder: string, everyMs: number): Promise<number> {
    const now = this.now();
    const held = `${key}\u0000${holder}`;
    const kept = this.#kept.get(held);
    if (kept !== undefined) {
      if (kept > now) return kept - now;
      this.#kept.delete(held);
      return 0;
    }
    const at = Math.max(now, this.#nextFree.get(key) ?? 0);
    this.#nextFree.set(key, at + everyMs);
    if (at === now) return 0;
    this.#kept.set(held, at);
    return at - now;
  }
}
