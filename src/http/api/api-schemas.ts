import { z } from 'zod/v4';

/** Schemas that several routes share. */

/** A row id in a body or a response: a positive whole number. */
export const id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

/**
 * A row id in a path or a query string, where everything is text: digits only, so `1e3`,
 * `0x10` or ` 7` are not read as some other id.
 */
export const idText = z
  .string()
  .regex(/^[1-9]\d{0,14}$/, { message: 'a positive whole number, in digits' })
  .transform(Number);

export const idParams = z.object({ id: idText.describe('The id.') });

/** An instant in a response: ISO 8601 in UTC. */
export const instant = z.iso.datetime();

export const iso = (date: Date) => date.toISOString();
export const isoOrNull = (date: Date | null) => (date === null ? null : date.toISOString());

/** An instant in a query: ISO 8601 with a time zone, as a Date. */
export const instantQuery = z.iso
  .datetime({ offset: true })
  .transform((text) => new Date(text))
  .describe('An ISO 8601 instant, e.g. 2026-11-01T00:00:00Z.');

export const role = z.enum(['member', 'admin', 'hr']);
export const tokenRole = z.enum(['admin', 'hr']);

/** The member ids a body names: every one must be of the token's organization. */
export const memberIds = z.array(id).max(1000);

export const reason = z.string().trim().min(1).max(500);
