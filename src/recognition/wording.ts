/** "Ana", "Ana and Li", "Ana, Li and José". */
export function listNames(names: readonly string[]): string {
  if (names.length <= 1) return names[0] ?? '';
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** The refusal of a command that names people from outside the organization. */
export function outsidersSentence(names: readonly string[]): string {
  const verb = names.length === 1 ? 'is' : 'are';
  return `${listNames(names)} ${verb} from outside this organization (another workspace or company), so Plaudit cannot count them here; nothing changed.`;
}

/**
 * What someone typed, in quotes, as a refusal says it back: cut short when it is long, so
 * a sentence about a wrong value never grows into a copy of it.
 */
export function quoted(typed: unknown, most = 40): string {
  const characters = [...String(typed)];
  const shown =
    characters.length > most ? `${characters.slice(0, most - 1).join('')}…` : String(typed);
  return `“${shown}”`;
}

export function points(amount: number): string {
  return `${amount} ${amount === 1 ? 'point' : 'points'}`;
}

const shortDateFormats = new Map<string, Intl.DateTimeFormat>();

/** "Mon 1 Dec", in the organization's time zone. (Formats are costly to build: kept per zone.) */
export function shortDate(instant: Date, timezone: string): string {
  let format = shortDateFormats.get(timezone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', {
      timeZone: timezone,
      weekday: 'short',
      day: 'numeric',
      month: 'short',
    });
    shortDateFormats.set(timezone, format);
  }
  return format.format(instant);
}

/** Ends a sentence with a full stop unless it already ends with punctuation. */
export function sentence(text: string): string {
  return /[.!?…]["')\]]?$/u.test(text) ? text : `${text}.`;
}
