import type { Request } from 'express';
import { html, type SafeHtml } from './console-html.ts';

/*
 * Reading what a console page was sent (form fields, query values, ids) and drawing the
 * `<option>`s of its selects. Forms are `application/x-www-form-urlencoded`, so every
 * value is a string, or a list of them when a field is repeated.
 */

const ID = /^\d{1,15}$/;

/** Text that is an id (1 to 15 digits) as its number; undefined when it is not one. */
export function parseId(text: string | undefined): number | undefined {
  return text !== undefined && ID.test(text) ? Number(text) : undefined;
}

/** The id a path parameter (`:id` unless named) holds, when it is one. */
export function pathIdOf(req: Request, name = 'id'): number | undefined {
  const value = req.params[name];
  return typeof value === 'string' ? parseId(value) : undefined;
}

/** A query string value, trimmed; '' when it is missing or not one string. */
export function queryText(req: Request, name: string): string {
  const value = req.query[name];
  return typeof value === 'string' ? value.trim() : '';
}

/** A posted form field, when it is one string. */
export function fieldOf(req: Request, name: string): string | undefined {
  const value = (req.body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : undefined;
}

/** A form value as one string: the last of repeated ones (a switch's box after its "no"). */
export function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return textOf(value.at(-1));
  return undefined;
}

/** Every value a form field was sent with, in order (a lone one as a list of one). */
export function valuesOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((item) => typeof item === 'string');
  return [];
}

/** One `<option>` of a select, marked selected when it is the one chosen. */
export function option(value: string, label: string, selected: boolean): SafeHtml {
  return html`<option value="${value}"${selected ? html` selected` : ''}>${label}</option>`;
}
