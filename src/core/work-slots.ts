/**
 * A fixed number of slots: work beyond them waits its turn, first come first served. The
 * Slack adapter keeps its background Web API calls to a few at once, so they never crowd
 * out the answers Slack is waiting for; the inline job runner keeps a queue's jobs to its
 * concurrency.
 */
export class WorkSlots {
  #free: number;
  readonly #waiting: Array<() => void> = [];

  constructor(slots: number) {
    this.#free = Math.max(1, slots);
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free -= 1;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      return await work();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free += 1;
    }
  }
}
