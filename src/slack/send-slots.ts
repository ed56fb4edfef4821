/**
 * A fixed number of slots for the Web API calls that follow answers. While every slot is
 * busy, later sends wait (and the pacers merge what arrives meanwhile), so background
 * notifications never crowd out the answers Slack is waiting for.
 */
export class SendSlots {
  #free: number;
  readonly #waiting: Array<() => void> = [];

  constructor(slots: number) {
    this.#free = slots;
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
