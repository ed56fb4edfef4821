import { type Compilable, CompiledQuery, type Kysely } from 'kysely';
import { PREPARE_MARKER } from './preparing-pool.ts';
import type { Tables } from './tables.ts';

/** What runs a query: the database or a transaction of it. */
type Executor = Pick<Kysely<Tables>, 'executeQuery'>;

/** Where each value of the compiled statement comes from: an argument, or a constant. */
type Slot = { readonly argument: number } | { readonly constant: unknown };

/**
 * A statement written with kysely's builder but built and compiled once, on its first
 * run, then run with new values: building and compiling a query costs about as much
 * CPU as its round trip to Postgres, and the statements every chat command runs (the
 * workspace, the member, the notification) have one shape whatever their values. Marked
 * {@link PREPARE_MARKER}, so Postgres also parses and plans it once per connection.
 *
 * `build` must use each argument as exactly one value of the statement (`where(col, '=',
 * arg)`), never to choose the statement's shape: the first run builds it with a stand-in
 * for each argument and refuses, throwing, a statement where a stand-in is not found
 * exactly once (an array spread into an `in` list, an argument read by the builder's
 * own code). A list is passed as one array value (`= any(arg)`).
 */
export function compiledQuery<Args extends readonly unknown[], Row>(
  build: (db: Kysely<Tables>, ...args: Args) => Compilable<Row>,
): (executor: Executor, ...args: Args) => Promise<Row[]> {
  let compiled: { sql: string; slots: readonly Slot[] } | undefined;
  const compile = (executor: Executor, args: Args) => {
    // Each its own object, an array where the argument is one (so that the builder treats
    // it as it treats a list: spreading it is found out).
    const standIns: unknown[] = args.map((arg) => (Array.isArray(arg) ? [] : {}));
    const query = build(executor as Kysely<Tables>, ...(standIns as unknown as Args)).compile();
    const slots = query.parameters.map((value): Slot => {
      const argument = standIns.indexOf(value);
      return argument === -1 ? { constant: value } : { argument };
    });
    for (const index of standIns.keys()) {
      const uses = slots.filter((slot) => 'argument' in slot && slot.argument === index).length;
      if (uses !== 1) {
        throw new Error(
          `compiledQuery: argument ${index} is ${uses} values of the statement, not one: ${query.sql}`,
        );
      }
    }
    return { sql: `${PREPARE_MARKER} ${query.sql}`, slots };
  };
  return async (executor, ...args) => {
    compiled ??= compile(executor, args);
    const parameters = compiled.slots.map((slot) =>
      'argument' in slot ? args[slot.argument] : slot.constant,
    );
    const { rows } = await executor.executeQuery<Row>(CompiledQuery.raw(compiled.sql, parameters));
    return rows;
  };
}
