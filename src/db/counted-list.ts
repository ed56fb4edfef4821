import { CompiledQuery } from 'kysely';
import { PREPARE_MARKER } from './preparing-pool.ts';

/**
 * Lists of up to this many values (a command's people, a notification's) get a prepared
 * statement per length, here and in `anyOf` (compiled-query.ts); longer ones (rare: a
 * kudos naming many people) share one, planned on each run, so that the set of prepared
 * texts stays small.
 */
export const MOST_COUNTED = 8;

/**
 * A statement that reads a short list of texts (a command's people) with `unnest`, after
 * its other values (`before`, always as many). `build` gets what to unnest: the list as
 * parameters of their own, `array[$2::text, $3::text]`, or `'{}'::text[]` when it is
 * empty, in a prepared statement whose text is built once per length of the list. Postgres
 * counts such an array's rows exactly in the plan it keeps for every run; `unnest($2::text[])`
 * it counts as ten rows there, which made that kept plan look dearer than one made for the
 * values, so it planned every run afresh (0.1-0.3 ms in psql, against 0.002). A list longer
 * than {@link MOST_COUNTED} is passed as one array parameter in a statement that is not
 * prepared.
 */
export function countedListStatement(
  build: (list: string) => string,
): (before: readonly unknown[], list: readonly string[]) => CompiledQuery {
  const texts = new Map<number, string>();
  let long: string | undefined;
  return (before, list) => {
    const first = before.length + 1;
    if (list.length > MOST_COUNTED) {
      long ??= build(`$${first}::text[]`);
      return CompiledQuery.raw(long, [...before, [...list]]);
    }
    let text = texts.get(list.length);
    if (text === undefined) {
      const listed =
        list.length === 0
          ? `'{}'::text[]`
          : `array[${list.map((_, index) => `$${first + index}::text`).join(', ')}]`;
      text = `${PREPARE_MARKER} ${build(listed)}`;
      texts.set(list.length, text);
    }
    return CompiledQuery.raw(text, [...before, ...list]);
  };
}
