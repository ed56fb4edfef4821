/**
 * HTML built from template literals, where every interpolated value is escaped unless it
 * is already `SafeHtml` (made by `html` itself or, for markup the code wrote, `raw`).
 */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => ESCAPES[character] as string);
}

function piece(value: unknown): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(piece).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i += 1) out += piece(values[i]) + (strings[i + 1] ?? '');
  return new SafeHtml(out);
}

/** Markup the code itself wrote (never anything a person typed). */
export function raw(markup: string): SafeHtml {
  return new SafeHtml(markup);
}
