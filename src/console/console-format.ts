import { html, type SafeHtml } from './console-html.ts';

/** A whole number as people read it: 12,345. */
export const count = (n: number): string => n.toLocaleString('en');

export interface WhenOptions {
  /** @defaultValue true */
  readonly year?: boolean;
  /** @defaultValue false */
  readonly seconds?: boolean;
}

/** An instant in the organization's time zone, as a `<time>` element: "3 Nov 2026, 14:05". */
export function when(instant: Date, timezone: string, options: WhenOptions = {}): SafeHtml {
  const text = new Intl.DateTimeFormat('en-GB', {
    timeZone: timezone,
    day: 'numeric',
    month: 'short',
    ...(options.year === false ? {} : { year: 'numeric' }),
    hour: '2-digit',
    minute: '2-digit',
    ...(options.seconds ? { second: '2-digit' } : {}),
  }).format(instant);
  return html`<time datetime="${instant.toISOString()}">${text}</time>`;
}
