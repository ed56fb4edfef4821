import { refuse } from '../../core/result.ts';
import type { GiveParseRefusal } from './give-grammar.ts';

/**
 * A number that says points outside the amount's place: `5 points`, `5pts`, `+5`, `x5`.
 * Inside a word (`U123`, `box5`, `#5`) it is no amount.
 */
const SAYS_POINTS =
  /(?<![\p{L}\p{N}_#&:])(?:[+x]\s?\p{Nd}+|\p{Nd}+\s*(?:points?|pts?))(?![\p{L}\p{N}_])/iu;
/** A bare number that ends the text (`@ana #teamwork 10`, `thanks @ana, 5!`). */
const ENDING_NUMBER = /(?<![\p{L}\p{N}_#&.,:/+-])\p{Nd}+[.!]*$/u;

/**
 * The token of `text` (reason words, outside the amount's place and not after `for`) that
 * could be meant as the amount, if any. Moving the default while such a token stands in
 * the reason would be a guess: the caller refuses instead.
 */
export function strayAmount(text: string): string | undefined {
  const says = SAYS_POINTS.exec(text);
  if (says) return says[0];
  const ending = ENDING_NUMBER.exec(text.trim());
  return ending ? ending[0].replace(/[.!]+$/, '') : undefined;
}

/** The refusal of a stray amount: it names the token and where the amount goes. */
export function strayAmountRefusal(token: string, example: string): GiveParseRefusal {
  return refuse(
    'usage',
    `I cannot tell whether '${token}' is the amount: the amount goes right after the names (${example}), and a number after 'for' is part of the reason. Nothing was given.`,
  );
}
