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

/**
 * Previous and next links between the pages of a list, or nothing when it fits on one:
 * `href(n)` is page n's address.
 */
export function pager(
  label: string,
  page: number,
  hasNext: boolean,
  href: (page: number) => string,
): SafeHtml | '' {
  if (page <= 1 && !hasNext) return '';
  return html`<nav class="pager" aria-label="${label}">${
    page > 1 ? html`<a href="${href(page - 1)}" rel="prev">Previous page</a>` : ''
  }${hasNext ? html`<a href="${href(page + 1)}" rel="next">Next page</a>` : ''}</nav>`;
}
