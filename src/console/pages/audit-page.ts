import type { Request, Router } from 'express';
import { type AuditEntry, type AuditQuery, auditCsv, readAudit } from '../../admin/audit-log.ts';
import type { Database } from '../../db/database.ts';
import type { AuditOutcome } from '../../db/tables.ts';
import { requireConsoleRole } from '../console-auth.ts';
import type { ConsoleDeps } from '../console-deps.ts';
import { option, parseId, queryText } from '../console-form.ts';
import { when } from '../console-format.ts';
import { html, type SafeHtml } from '../console-html.ts';
import { sendBadQuery, sendPage } from '../console-layout.ts';
import { viewerOf } from '../console-viewer.ts';

const AUDIT = '/console/audit';
const PAGE_SIZE = 50;
/** A CSV download reads the log this many entries at a time, up to the most it holds. */
const CSV_CHUNK = 1000;
const CSV_MOST = 100_000;

/** The log's filters, as the query string holds them. */
interface Filters {
  readonly action?: string;
  readonly outcome?: AuditOutcome;
  /** Entries older than this id (the “older” link). */
  readonly before?: number;
}

/** The filters of the query string, or a sentence saying which one cannot be read. */
function readFilters(req: Request): Filters | string {
  const action = queryText(req, 'action');
  if (action.length > 100) return 'An action is at most 100 characters, like role.grant.';
  const outcome = queryText(req, 'outcome');
  if (outcome !== '' && outcome !== 'done' && outcome !== 'refused') {
    return `There is no outcome “${outcome}”; choose done or refused.`;
  }
  const beforeText = queryText(req, 'before');
  const before = parseId(beforeText);
  if (beforeText !== '' && before === undefined) {
    return `“${beforeText}” is not a place in the log; follow the “Older entries” link instead.`;
  }
  return {
    ...(action !== '' && { action }),
    ...(outcome !== '' && { outcome }),
    ...(before !== undefined && { before }),
  };
}

function query(filters: Filters): URLSearchParams {
  const params = new URLSearchParams();
  if (filters.action !== undefined) params.set('action', filters.action);
  if (filters.outcome !== undefined) params.set('outcome', filters.outcome);
  if (filters.before !== undefined) params.set('before', String(filters.before));
  return params;
}

function link(path: string, filters: Filters): string {
  const text = query(filters).toString();
  return text === '' ? path : `${path}?${text}`;
}

function auditQuery(filters: Filters): AuditQuery {
  return {
    ...(filters.action !== undefined && { action: filters.action }),
    ...(filters.outcome !== undefined && { outcome: filters.outcome }),
    ...(filters.before !== undefined && { before: filters.before }),
  };
}

/** The actions the organization's log holds, for the filter's list. */
async function actionsOf(db: Database, organizationId: number): Promise<string[]> {
  const rows = await db
    .selectFrom('audit_log')
    .select('action')
    .distinct()
    .where('organization_id', '=', organizationId)
    .orderBy('action')
    .execute();
  return rows.map((row) => row.action);
}

function filterForm(filters: Filters, actions: readonly string[]): SafeHtml {
  const listed = filters.action === undefined || actions.includes(filters.action);
  return html`<form method="get" action="${AUDIT}" class="filters" role="search">
<label>Action <select name="action">${option('', 'Any action', filters.action === undefined)}${actions.map((a) => option(a, a, a === filters.action))}${listed ? '' : option(filters.action ?? '', filters.action ?? '', true)}</select></label>
<label>Outcome <select name="outcome">${option('', 'Done or refused', filters.outcome === undefined)}${option('done', 'Done', filters.outcome === 'done')}${option('refused', 'Refused', filters.outcome === 'refused')}</select></label>
<button type="submit">Filter</button> <a href="${AUDIT}">Clear</a>
</form>`;
}

function who(entry: AuditEntry): SafeHtml {
  const name =
    entry.actorName ??
    (entry.actorTokenId !== null ? `API token #${entry.actorTokenId}` : 'Plaudit');
  return html`${name}<br><span class="muted">via ${entry.via}</span>`;
}

function details(entry: AuditEntry): SafeHtml {
  if (entry.before === null && entry.after === null) return html``;
  const block = (label: string, value: unknown) =>
    value === null
      ? ''
      : html`<p>${label}</p><pre class="json">${JSON.stringify(value, null, 2)}</pre>`;
  return html`<details><summary>Before and after</summary>${block('Before', entry.before)}${block(entry.outcome === 'refused' ? 'Wanted' : 'After', entry.after)}</details>`;
}

function entriesTable(entries: readonly AuditEntry[], timezone: string): SafeHtml {
  return html`<div class="table-wrap"><table>
<thead><tr><th>When</th><th>Who</th><th>Action</th><th>Target</th><th>Outcome</th><th>Details</th></tr></thead>
<tbody>${entries.map((entry) => {
    const at = new Date(entry.at);
    return html`<tr>
<td>${when(at, timezone, { seconds: true })}</td>
<td>${who(entry)}</td>
<td><code>${entry.action}</code></td>
<td>${entry.target ?? html`<span class="muted">the organization</span>`}</td>
<td>${entry.outcome === 'done' ? 'Done' : html`Refused${entry.refusalCode ? html` <span class="muted">(${entry.refusalCode})</span>` : ''}`}</td>
<td>${details(entry)}</td>
</tr>`;
  })}</tbody></table></div>`;
}

/**
 * The audit log for admins: every admin and HR action, done or refused, newest first,
 * filtered by action and outcome, a page at a time; the filtered log as CSV.
 */
export function registerAuditPage(routes: Router, deps: ConsoleDeps): void {
  const { db } = deps.services;

  routes.get(AUDIT, requireConsoleRole('admin'), async (req, res) => {
    const { organizationId } = viewerOf(res);
    const [{ settings }, actions] = await Promise.all([
      deps.services.settings.load(organizationId),
      actionsOf(db, organizationId),
    ]);
    const { timezone } = settings;
    const filters = readFilters(req);
    if (typeof filters === 'string') {
      sendBadQuery(req, res, {
        title: 'Audit log',
        active: 'audit',
        form: filterForm({}, actions),
        text: filters,
      });
      return;
    }
    const page = await readAudit(db, organizationId, { ...auditQuery(filters), limit: PAGE_SIZE });
    const { before: _page, ...shown } = filters;
    const filtered = shown.action !== undefined || shown.outcome !== undefined;
    const body = html`${filterForm(filters, actions)}
<p><a href="${link(`${AUDIT}.csv`, shown)}" download>Download ${filtered ? 'these entries' : 'the whole log'} as CSV</a></p>
${
  page.entries.length === 0
    ? html`<p>${filtered || filters.before !== undefined ? 'No entry matches these filters.' : 'Nothing has been done yet.'}</p>`
    : entriesTable(page.entries, timezone)
}
${page.nextBefore === null ? '' : html`<p><a href="${link(AUDIT, { ...shown, before: page.nextBefore })}" rel="next">Older entries</a></p>`}`;
    sendPage(req, res, { title: 'Audit log', active: 'audit', body });
  });

  routes.get(`${AUDIT}.csv`, requireConsoleRole('admin'), async (req, res) => {
    const { organizationId } = viewerOf(res);
    const filters = readFilters(req);
    if (typeof filters === 'string') {
      sendPage(req, res, {
        title: 'Audit log',
        active: 'audit',
        status: 400,
        body: html`<p>${filters} <a href="${AUDIT}">Back to the audit log</a>.</p>`,
      });
      return;
    }
    const entries: AuditEntry[] = [];
    let before = filters.before;
    do {
      const page = await readAudit(db, organizationId, {
        ...auditQuery({ ...filters, ...(before !== undefined && { before }) }),
        limit: CSV_CHUNK,
      });
      entries.push(...page.entries);
      before = page.nextBefore ?? undefined;
    } while (before !== undefined && entries.length < CSV_MOST);
    res
      .type('text/csv; charset=utf-8')
      .set('Content-Disposition', 'attachment; filename="plaudit-audit-log.csv"')
      .send(auditCsv(entries.map((entry) => ({ ...entry, at: new Date(entry.at) }))));
  });
}
