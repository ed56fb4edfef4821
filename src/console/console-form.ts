import express, { type Request, type RequestHandler } from 'express';
import { nulPath } from '../core/nul-text.ts';
import { html, type SafeHtml } from './console-html.ts';
import { renderPage } from './console-layout.ts';

/*
 * Reading what a console page was sent (form fields, query values, ids) and drawing the
 * `<option>`s of its selects. Forms are `application/x-www-form-urlencoded`, so every
 * value is a string, or a list of them when a field is repeated.
 */

/** A field's name as a refusal quotes it: a name nobody chose may be long. */
const quotedName = (name: string) => `“${name.length > 60 ? `${name.slice(0, 59)}…` : name}”`;

/** The field of a form or a query string that holds a NUL (Postgres cannot store one). */
function nulField(where: 'form' | 'address', fields: unknown): string | undefined {
  for (const [name, value] of Object.entries((fields ?? {}) as Record<string, unknown>)) {
    if (nulPath(name) !== undefined || nulPath(value) !== undefined) {
      const shown = quotedName(name.replaceAll('\u0000', '\\0'));
      return `The ${where} holds a NUL character (\\0) in ${shown}, which Plaudit cannot store; nothing changed.`;
    }
  }
  return undefined;
}

/**
 * A form field sent more than once that takes one value, in a sentence: a browser never
 * sends one, and reading either value would be a guess. (Pages read a repeated filter in
 * a query string themselves, and say what is wrong with it beside their filters.)
 */
function repeatedField(fields: unknown, lists: ReadonlySet<string>): string | undefined {
  for (const [name, value] of Object.entries((fields ?? {}) as Record<string, unknown>)) {
    if (Array.isArray(value) && !lists.has(name)) {
      return `The form sent ${quotedName(name)} ${value.length} times, and it takes one value; nothing changed.`;
    }
  }
  return undefined;
}

/**
 * Parses a console form (up to `limit`) and refuses, with 400 and a sentence, a form or a
 * query string that holds a NUL, or a form that repeats a field that takes one value,
 * before any page reads it. `lists` names the fields some form sends several of on
 * purpose: ticked boxes, and a switch's hidden "no" before its "yes".
 */
export function readableForm(options: {
  limit: string;
  lists?: ReadonlySet<string>;
}): RequestHandler[] {
  const lists = options.lists ?? new Set<string>();
  return [
    express.urlencoded({ extended: false, limit: options.limit }),
    (req, res, next) => {
      const problem =
        nulField('address', req.query) ??
        nulField('form', req.body) ??
        repeatedField(req.body, lists);
      if (!problem) {
        next();
        return;
      }
      res
        .status(400)
        .type('html')
        .send(renderPage({ title: 'Not sent', body: html`<p>${problem}</p>` }));
    },
  ];
}

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
