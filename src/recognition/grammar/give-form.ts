import { hashtagValues } from './give-grammar.ts';

/** What a give-kudos form (Slack's modal, Teams' card) sends, as plain strings. */
export interface GiveForm {
  /** The recipients as the grammar reads them: `<@U123>`, `<at>id</at>`. */
  readonly recipients: readonly string[];
  readonly amount: string;
  /** A company value picked from the form's list, without `#`. */
  readonly value: string;
  readonly reason: string;
  /** The form's "private" box was ticked: the command starts with `private`. */
  readonly private?: boolean;
}

/**
 * A form's fields as the text of a give command, so a form goes through the same router,
 * grammar and refusals as a typed command. The picked value becomes a hashtag unless the
 * reason already names it; a reason that starts with "for" is not given a second one. A
 * ticked "private" box is the `private` keyword, as if typed.
 */
export function giveFormText(form: GiveForm): string {
  const reason = form.reason.trim();
  const value = form.value.trim().replace(/^#/, '');
  const tag = value && !hashtagValues(reason).includes(value.toLowerCase()) ? `#${value}` : '';
  const why = [reason, tag].filter((part) => part.length > 0).join(' ');
  return [
    'give',
    ...(form.private ? ['private'] : []),
    ...form.recipients,
    form.amount.trim(),
    why === '' || /^for(?=[\s:]|$)/i.test(why) ? why : `for ${why}`,
  ]
    .filter((part) => part.length > 0)
    .join(' ');
}
