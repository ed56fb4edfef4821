/**
 * The rule for what a kudos says. The *people* of a kudos (giver and recipients) are
 * members: every surface renders them itself, from member ids (a Slack `<@U…>` it builds,
 * a name). The *reason* is text a person typed, and every surface shows it as text,
 * escaped for that surface: it never pings, links or mentions anyone.
 *
 * A chat client turns some of what people type into markup before Plaudit sees it: Slack
 * sends a typed `@channel` as `<!channel>`, `@ana` as `<@U123|ana>`, `#general` as
 * `<#C123|general>`; Teams sends `@Ana` as `<at>Ana</at>`. In a reason that markup is
 * stored as the words the writer saw (`@channel`, `@ana`, `#general`, `Ana`), so the reason
 * reads the same on every surface. A Slack reference without a label (`<@U123>`,
 * `<#C123>`) carries no words: it is kept as typed and, like the rest, shown as text.
 */
const SLACK_REFERENCE = /<([@#!][^<>|]*)\|([^<>]*)>|<(!(?:channel|here|everyone))>/g;
const TEAMS_MENTION = /<at>([^<]*)<\/at>/g;
const SLACK_LINK = /<((?:https?|mailto):[^<>|\s]+)(?:\|([^<>]*))?>/g;

export function reasonAsTyped(reason: string): string {
  return reason
    .replace(TEAMS_MENTION, '$1')
    .replace(SLACK_REFERENCE, (_whole, target: string, label: string, special: string) =>
      special ? `@${special.slice(1)}` : shownLabel(target, label),
    )
    .replace(SLACK_LINK, (_whole, url: string, label: string | undefined) =>
      label && label !== url ? `${label} (${url})` : url,
    );
}

/** What Slack shows for a labelled reference: `@ana`, `@eng`, `#general`, a date's fallback. */
function shownLabel(target: string, label: string): string {
  if (target.startsWith('#')) return `#${label.replace(/^#/, '')}`;
  if (target.startsWith('!date')) return label;
  return `@${label.replace(/^@/, '')}`;
}
