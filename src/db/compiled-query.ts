import { type Compilable, CompiledQuery, type Kysely, type RawBuilder, sql } from 'kysely';
import { MOST_COUNTED } from './counted-list.ts';
import { PREPARE_MARKER } from './preparing-pool.ts';
import type { Tables } from './tables.ts';

/** What runs a query: the database or a transaction of it. */
type Executor = Pick<Kysely<Tables>, 'executeQuery'>;

/**
 * Where each value of the compiled statement comes from: an argument, one value of a list
 * argument ({@link anyOf}), or a constant.
 */
type Slot =
  | { readonly argument: number; readonly element?: number }
  | { readonly constant: unknown };

/** A statement compiled for one shape of its arguments (the counts of its lists). */
interface Compiled {
  readonly sql: string;
  readonly slots: readonly Slot[];
}

/**
 * `any(…)` of a list argument of a {@link compiledQuery}, counted: up to
 * {@link MOST_COUNTED} values each a parameter of its own (`any(array[$2::bigint,
 * $3::bigint])`, or `any('{}'::bigint[])` for none), so that Postgres counts the list
 * exactly in the plan it keeps for every run. A list passed as one array value
 * (`any($2)`) it does not count there: it plans every run afresh (7 of 7 runs of a
 * notification's look-up, in psql), and where its table has no statistics yet the plan
 * it keeps may scan the whole table (0.75 ms, where the member index takes 0.03). A longer
 * list is one array value, in a statement that is not prepared, so that the set of
 * prepared texts stays small.
 */
export function anyOf<T extends number | string>(
  list: readonly T[],
  type: 'bigint' | 'text',
): RawBuilder<T> {
  const cast = sql.raw(type);
  if (list.length > MOST_COUNTED) return sql<T>`any(${list}::${cast}[])`;
  if (list.length === 0) return sql<T>`any('{}'::${cast}[])`;
  return sql<T>`any(array[${sql.join(list.map((value) => sql`${value}::${cast}`))}])`;
}

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
 * exactly once (an argument read by the builder's own code). A list is read with
 * {@link anyOf} (`where(col, '=', anyOf(arg, 'bigint'))`), each of its values then one
 * value of the statement: the statement is compiled once per count of the list up to
 * {@link MOST_COUNTED}, and once for every longer one, where the list must be one value
 * (a long list spread into an `in` list is refused). A list may also be one array value,
 * `any(${arg})`, which Postgres plans on every run.
 */
export function compiledQuery<Args extends readonly unknown[], Row>(
  build: (db: Kysely<Tables>, ...args: Args) => Compilable<Row>,
): (executor: Executor, ...args: Args) => Promise<Row[]> {
  const shapes = new Map<string, Compiled>();
  const compile = (executor: Executor, args: Args, long: boolean): Compiled => {
    // Each its own object, so that each is found where the builder put it; a list's is a
    // list of as many, each its own (a longer list's, one more than are counted).
    const standIns: unknown[] = args.map((arg) =>
      Array.isArray(arg)
        ? Array.from({ length: Math.min(arg.length, MOST_COUNTED + 1) }, () => ({}))
        : {},
    );
    const query = build(executor as Kysely<Tables>, ...(standIns as unknown as Args)).compile();
    const slots = query.parameters.map((value): Slot => {
      for (const [argument, standIn] of standIns.entries()) {
        if (value === standIn) return { argument };
        const element = Array.isArray(standIn) ? standIn.indexOf(value) : -1;
        if (element !== -1) return { argument, element };
      }
      return { constant: value };
    });
    for (const [index, standIn] of standIns.entries()) {
      const uses = (element?: number) =>
        slots.filter(
          (slot) => 'argument' in slot && slot.argument === index && slot.element === element,
        ).length;
      const whole = uses();
      const elements = Array.isArray(standIn) ? standIn.map((_, element) => uses(element)) : [];
      // A longer list's stand-in holds fewer values than the lists it stands for: only the
      // list as one value is read whole.
      const counted =
        whole === 0 && elements.length <= MOST_COUNTED && elements.every((n) => n === 1);
      const one = whole === 1 && elements.every((n) => n === 0);
      if (!counted && !one) {
        throw new Error(
          `compiledQuery: argument ${index} is ${whole} values of the statement${elements.length > 0 ? ` (its list's, ${elements.join(', ')})` : ''}, not one: ${query.sql}`,
        );
      }
    }
    return { sql: long ? query.sql : `${PREPARE_MARKER} ${query.sql}`, slots };
  };
  return async (executor, ...args) => {
    const counts = args.map((arg) =>
      Array.isArray(arg) ? Math.min(arg.length, MOST_COUNTED + 1) : -1,
    );
    const shape = counts.join(',');
    let compiled = shapes.get(shape);
    if (compiled === undefined) {
      compiled = compile(executor, args, counts.includes(MOST_COUNTED + 1));
      shapes.set(shape, compiled);
    }
    const parameters = compiled.slots.map((slot) => {
      if ('constant' in slot) return slot.constant;
      const arg = args[slot.argument];
      return slot.element === undefined ? arg : (arg as readonly unknown[])[slot.element];
    });
    const { rows } = await executor.executeQuery<Row>(CompiledQuery.raw(compiled.sql, parameters));
    return rows;
  };
}
