import { sql } from 'kysely';
import { csvDocument } from '../core/csv.ts';
import type { Database } from '../db/database.ts';
import type { AuditOutcome, AuditVia } from '../db/tables.ts';
import type { AdminActor } from './admin-actor.ts';

/** One admin or HR action, done or refused, as it is written to the audit log. */
export interface AuditRecord {
  /** `area.verb`: `settings.change`, `role.grant`, `rule.set`, `redemption.fulfil`. */
  readonly action: string;
  /** What it was done to: `member:12`, `reward:3`; omitted for the organization itself. */
  readonly target?: string | null;
  readonly outcome: AuditOutcome;
  readonly refusalCode?: string;
  /** The state before and after; JSON-serializable. */
  readonly before?: unknown;
  readonly after?: unknown;
}

export interface AuditEntry {
  readonly id: number;
  readonly organizationId: number;
  readonly actorMemberId: number | null;
  readonly actorTokenId: number | null;
  /** The member's name or the token's name, as it is now. */
  readonly actorName: string | null;
  readonly via: AuditVia;
  readonly action: string;
  readonly target: string | null;
  readonly outcome: AuditOutcome;
  readonly refusalCode: string | null;
  readonly before: unknown;
  readonly after: unknown;
  readonly at: Date;
}

const json = (value: unknown) => (value === undefined ? null : JSON.stringify(value));

/**
 * Appends an entry. Given the transaction that made the change, the entry commits or
 * rolls back with it, so the log never tells of a change that did not happen.
 */
export async function writeAudit(
  executor: Database,
  actor: AdminActor,
  record: AuditRecord,
): Promise<void> {
  await executor
    .insertInto('audit_log')
    .values({
      organization_id: actor.organizationId,
      actor_member_id: actor.memberId,
      actor_token_id: actor.tokenId,
      via: actor.via,
      action: record.action,
      target: record.target ?? null,
      outcome: record.outcome,
      refusal_code: record.refusalCode ?? null,
      before: json(record.before),
      after: json(record.after),
    })
    .execute();
}

export interface AuditQuery {
  /** Entries older than this id (the previous page's cursor). */
  readonly before?: number;
  /** @defaultValue 50 */
  readonly limit?: number;
  readonly action?: string;
  readonly outcome?: AuditOutcome;
  readonly since?: Date;
  readonly until?: Date;
}

/** An organization's audit log, newest first, a page at a time. */
export async function readAudit(
  db: Database,
  organizationId: number,
  query: AuditQuery = {},
): Promise<{ entries: AuditEntry[]; nextBefore: number | null }> {
  const limit = query.limit ?? 50;
  let select = db
    .selectFrom('audit_log as a')
    .leftJoin('members as m', 'm.id', 'a.actor_member_id')
    .leftJoin('api_tokens as t', 't.id', 'a.actor_token_id')
    .select([
      'a.id',
      'a.organization_id',
      'a.actor_member_id',
      'a.actor_token_id',
      sql<string | null>`coalesce(m.display_name, t.name)`.as('actor_name'),
      'a.via',
      'a.action',
      'a.target',
      'a.outcome',
      'a.refusal_code',
      'a.before',
      'a.after',
      'a.created_at',
    ])
    .where('a.organization_id', '=', organizationId)
    .orderBy('a.id', 'desc')
    .limit(limit + 1);
  if (query.before !== undefined) select = select.where('a.id', '<', query.before);
  if (query.action !== undefined) select = select.where('a.action', '=', query.action);
  if (query.outcome !== undefined) select = select.where('a.outcome', '=', query.outcome);
  if (query.since !== undefined) select = select.where('a.created_at', '>=', query.since);
  if (query.until !== undefined) select = select.where('a.created_at', '<', query.until);
  const rows = await select.execute();
  const page = rows.slice(0, limit);
  return {
    entries: page.map((row) => ({
      id: row.id,
      organizationId: row.organization_id,
      actorMemberId: row.actor_member_id,
      actorTokenId: row.actor_token_id,
      actorName: row.actor_name,
      via: row.via,
      action: row.action,
      target: row.target,
      outcome: row.outcome,
      refusalCode: row.refusal_code,
      before: row.before,
      after: row.after,
      at: row.created_at,
    })),
    nextBefore: rows.length > limit ? (page.at(-1)?.id ?? null) : null,
  };
}

export const AUDIT_CSV_HEADER = [
  'id',
  'at',
  'actor',
  'actor_member_id',
  'actor_token_id',
  'via',
  'action',
  'target',
  'outcome',
  'refusal_code',
  'before',
  'after',
] as const;

/** Audit entries as CSV; `before` and `after` as JSON text. */
export function auditCsv(entries: readonly AuditEntry[]): string {
  return csvDocument(
    AUDIT_CSV_HEADER,
    entries.map((entry) => [
      String(entry.id),
      entry.at.toISOString(),
      entry.actorName ?? '',
      entry.actorMemberId === null ? '' : String(entry.actorMemberId),
      entry.actorTokenId === null ? '' : String(entry.actorTokenId),
      entry.via,
      entry.action,
      entry.target ?? '',
      entry.outcome,
      entry.refusalCode ?? '',
      entry.before === null ? '' : JSON.stringify(entry.before),
      entry.after === null ? '' : JSON.stringify(entry.after),
    ]),
  );
}
