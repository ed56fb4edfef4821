import { z } from 'zod/v4';
import { type AuditEntry, auditCsv, readAudit } from '../../../admin/audit-log.ts';
import { ok } from '../../../core/result.ts';
import { apiRoute } from '../api-route.ts';
import { id, instant, instantQuery, iso } from '../api-schemas.ts';
import { encodeCursor, pageOf, pageQuery } from '../pagination.ts';

const auditEntrySchema = z
  .object({
    id,
    at: instant,
    actorName: z.string().nullable().describe("The member's or the token's name, as it is now."),
    actorMemberId: id.nullable(),
    actorTokenId: id.nullable(),
    via: z.enum(['slack', 'teams', 'local', 'api', 'console', 'system']),
    action: z.string().describe('`area.verb`, e.g. `settings.change`, `role.grant`.'),
    target: z.string().nullable().describe('What it was done to, e.g. `member:12`.'),
    outcome: z.enum(['done', 'refused']),
    refusalCode: z.string().nullable(),
    before: z.unknown().describe('The state before, as JSON; null when none.'),
    after: z.unknown().describe('The state after (or what was wanted, when refused).'),
  })
  .meta({ title: 'AuditEntry' });

const view = (entry: AuditEntry) => ({
  id: entry.id,
  at: iso(new Date(entry.at)),
  actorName: entry.actorName,
  actorMemberId: entry.actorMemberId,
  actorTokenId: entry.actorTokenId,
  via: entry.via,
  action: entry.action,
  target: entry.target,
  outcome: entry.outcome,
  refusalCode: entry.refusalCode,
  before: entry.before ?? null,
  after: entry.after ?? null,
});

const read = apiRoute({
  method: 'get',
  path: '/audit',
  operationId: 'readAuditLog',
  tag: 'Audit log',
  summary: 'Every admin and HR action, done or refused, newest first',
  roles: ['admin'],
  what: 'read the audit log',
  query: z.object({
    ...pageQuery,
    action: z.string().min(1).max(100).optional().describe('Only this action, e.g. `role.grant`.'),
    outcome: z.enum(['done', 'refused']).optional(),
    since: instantQuery.optional().describe('At or after this instant (ISO 8601).'),
    until: instantQuery.optional().describe('Before this instant (ISO 8601).'),
  }),
  response: pageOf(auditEntrySchema),
  csv: (page) => ({
    csv: auditCsv(
      page.items.map((item) => ({
        ...item,
        organizationId: 0,
        at: new Date(item.at),
      })),
    ),
    filename: 'plaudit-audit-log.csv',
  }),
  handler: async ({ services, actor, query }) => {
    const page = await readAudit(services.db, actor.organizationId, {
      limit: query.limit,
      ...(query.cursor !== undefined && { before: query.cursor }),
      ...(query.action !== undefined && { action: query.action }),
      ...(query.outcome !== undefined && { outcome: query.outcome }),
      ...(query.since !== undefined && { since: query.since }),
      ...(query.until !== undefined && { until: query.until }),
    });
    return ok({
      items: page.entries.map(view),
      next_cursor: page.nextBefore === null ? null : encodeCursor(page.nextBefore),
    });
  },
});

export const AUDIT_ROUTES = [read];
