/**
 * Work on one key runs one piece after another, in the order it was asked for; work on
 * other keys runs alongside. A mirror of one Slack user group or Teams team reads it and
 * writes it: two at once could write the older read last.
 */
export class InSequence {
  readonly #tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    // A failure before does not stop what comes after; its caller has it.
    const next = previous.catch(() => undefined).then(work);
    this.#tails.set(key, next);
    const forget = () => {
      if (this.#tails.get(key) === next) this.#tails.delete(key);
    };
    next.then(forget, forget);
    return next;
  }
}
