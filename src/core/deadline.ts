/** What a deadline rejects with: the work did not settle in time (it keeps going). */
export class DeadlineExceeded extends Error {
  constructor(what: string, ms: number) {
    super(`${what} did not answer within ${ms} ms`);
    this.name = 'DeadlineExceeded';
  }
}

/**
 * The work's result, or a `DeadlineExceeded` rejection once `ms` have passed; with a
 * signal, an abort rejects too. The work itself is not cancelled.
 */
export async function deadline<T>(
  work: Promise<T>,
  ms: number,
  what: string,
  signal?: AbortSignal,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const cut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceeded(what, ms)), ms);
    onAbort = () => reject(new Error(`${what}: stopped`));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work, cut]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}

/** Whether the work settled (either way) within `ms`. */
export function settlesWithin(work: Promise<unknown>, ms: number, what: string): Promise<boolean> {
  return deadline(
    work.then(
      () => true,
      () => true,
    ),
    ms,
    what,
  ).catch(() => false);
}
