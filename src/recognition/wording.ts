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

/**
 * A count with its noun agreeing: "1 point", "2 points", "1 person", "3 people". `shown`
 * is the count as written, when it is formatted ("1,000").
 */
export function counted(
  count: number,
  singular: string,
  plural = `${singular}s`,
  shown = String(count),
): string {
  return `${shown} ${count === 1 ? singular : plural}`;
}

export function points(amount: number): string {
  return counted(amount, 'point');
}

/** "1 day", "30 days". */
export function days(count: number): string {
  return counted(count, 'day');
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
