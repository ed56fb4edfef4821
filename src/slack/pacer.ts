import type { WorkSlots } from '../core/work-slots.ts';

/**
 * Sends at most once per interval per key (a Slack channel, a person), merging what
 * arrives in between into the next send. Slack accepts about one message per second per
 * channel; a burst of kudos becomes one message instead of a queue of rejected ones.
 */
export class Pacer<Item> {
  readonly #keys = new Map<
    string,
    { items: Item[]; lastSent: number; running: Promise<void> | null }
  >();

  constructor(
    private readonly intervalMs: number,
    private readonly send: (key: string, items: Item[]) => Promise<void>,
    private readonly now: () => number = () => performance.now(),
    /** Shared with other pacers: how many of their sends may run at once. */
    private readonly slots?: WorkSlots,
  ) {}

  /** Queues an item; resolves once a send that includes it has finished (or failed). */
  push(key: string, item: Item): Promise<void> {
    let state = this.#keys.get(key);
    if (!state) {
      state = { items: [], lastSent: Number.NEGATIVE_INFINITY, running: null };
      this.#keys.set(key, state);
    }
    state.items.push(item);
    if (!state.running) state.running = this.#run(key, state);
    return state.running;
  }

  async #run(
    key: string,
    state: { items: Item[]; lastSent: number; running: Promise<void> | null },
  ) {
    try {
      while (state.items.length > 0) {
        const wait = state.lastSent + this.intervalMs - this.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        // Waiting for a slot lets more items arrive, and they go out in this same send.
        if (this.slots) await this.slots.run(() => this.#sendBatch(key, state));
        else await this.#sendBatch(key, state);
      }
    } finally {
      state.running = null;
      // Remember when the key last sent until its interval has passed, then forget it.
      setTimeout(() => {
        if (!state.running && state.items.length === 0 && this.#keys.get(key) === state) {
          this.#keys.delete(key);
        }
      }, this.intervalMs).unref();
    }
  }

  async #sendBatch(key: string, state: { items: Item[]; lastSent: number }): Promise<void> {
    const items = state.items.splice(0);
    state.lastSent = this.now();
    try {
      await this.send(key, items);
    } catch {
      // The sender reports its own failures; the next items still go out.
    }
  }
}
