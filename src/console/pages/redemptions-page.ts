import type { Request, Response, Router } from 'express';
import { sql } from 'kysely';
import type { Database } from '../../db/database.ts';
import type { RedemptionStatus } from '../../db/tables.ts';
import { points } from '../../recognition/wording.ts';
import { formatMoney } from '../../rewards/money.ts';
import { decisionAction, type Redemption, toRedemption } from '../../rewards/redemptions.ts';
import { loadRewardSettings } from '../../rewards/reward-settings.ts';
import { refusedUnlessHr, requireConsoleRole } from '../console-auth.ts';
import { isIsoDate, withinLocalDays } from '../console-dates.ts';
import type { ConsoleDeps } from '../console-deps.ts';
import { redirectWithNotice } from '../console-flash.ts';
import { fieldOf, option, parseId, pathIdOf, queryText } from '../console-form.ts';
import { when } from '../console-format.ts';
import { html, type SafeHtml } from '../console-html.ts';
import { csrfField, sendBadQuery, sendPage } from '../console-layout.ts';
import { type ConsoleViewer, viewerOf } from '../console-viewer.ts';
import { PICK_LIST_MOST } from './permissions-page.ts';

const QUEUE = '/console/redemptions';
const PAGE_SIZE = 50;
const REASON_MAX = 500;
/** Longest name or email searched for in the member filter. */
const WHO_MAX = 200;

const STATUS_LABELS: Record<RedemptionStatus, string> = {
  held: 'Waiting for HR',
  fulfilling: 'Being delivered by webhook',
  fulfilled: 'Fulfilled',
  rejected: 'Rejected',
  cancelled: 'Cancelled',
  expired: 'Expired',
};

const STATUSES = Object.keys(STATUS_LABELS) as RedemptionStatus[];

/** The queue's filters, as the query string holds them. */
interface Filters {
  /** `all` for every status; the queue shows those waiting for HR unless asked. */
  readonly status: RedemptionStatus | 'all';
  readonly member?: number;
  /** Part of the member's name or email (any case), where the form asks it typed. */
  readonly who?: string;
  readonly item?: number;
  /** `YYYY-MM-DD`, days of the organization's time zone, both included. */
  readonly from?: string;
  readonly to?: string;
  /** Redemptions older than this id (the “older” link). */
  readonly before?: number;
}

interface Row extends Redemption {
  readonly memberName: string;
  readonly requesterName: string;
  readonly deciderName: string | null;
}

/** The filters of the query string, or a sentence saying which one cannot be read. */
function readFilters(req: Request): Filters | string {
  const status = queryText(req, 'status') || 'held';
  if (status !== 'all' && !STATUSES.includes(status as RedemptionStatus)) {
    return `There is no status “${status}”; choose one from the list.`;
  }
  const id = (name: string, what: string): number | string | undefined => {
    const text = queryText(req, name);
    if (text === '') return undefined;
    return parseId(text) ?? `“${text}” is not ${what}; choose one from the list.`;
  };
  const member = id('member', 'a member');
  if (typeof member === 'string') return member;
  const who = queryText(req, 'who').slice(0, WHO_MAX);
  const item = id('item', 'a reward');
  if (typeof item === 'string') return item;
  const before = id('before', 'a place in the list');
  if (typeof before === 'string') return before;
  const from = queryText(req, 'from');
  const to = queryText(req, 'to');
  for (const day of [from, to]) {
    if (day !== '' && !isIsoDate(day)) return `“${day}” is not a date; write it as YYYY-MM-DD.`;
  }
  if (from !== '' && to !== '' && from > to) {
    return `The range starts on ${from}, after it ends on ${to}; swap the dates.`;
  }
  return {
    status: status as Filters['status'],
    ...(member !== undefined && { member }),
    ...(who !== '' && { who }),
    ...(item !== undefined && { item }),
    ...(from !== '' && { from }),
    ...(to !== '' && { to }),
    ...(before !== undefined && { before }),
  };
}

/** The query string of filters (without the page), for links and for coming back. */
function filterQuery(filters: Filters, before?: number): string {
  const params = new URLSearchParams({ status: filters.status });
  if (filters.member !== undefined) params.set('member', String(filters.member));
  if (filters.who !== undefined) params.set('who', filters.who);
  if (filters.item !== undefined) params.set('item', String(filters.item));
  if (filters.from !== undefined) params.set('from', filters.from);
  if (filters.to !== undefined) params.set('to', filters.to);
  if (before !== undefined) params.set('before', String(before));
  return `${QUEUE}?${params}`;
}

/** Where a form goes back to: the queue as the viewer was filtering it, and nowhere else. */
function backTo(req: Request): string {
  const back = fieldOf(req, 'back');
  return back !== undefined && /^\/console\/redemptions(\?[A-Za-z0-9=&%._+-]*)?$/.test(back)
    ? back
    : QUEUE;
}

async function queue(db: Database, organizationId: number, timezone: string, filters: Filters) {
  let select = db
    .selectFrom('redemptions as r')
    .innerJoin('reward_items as i', 'i.id', 'r.item_id')
    .innerJoin('members as m', 'm.id', 'r.member_id')
    .innerJoin('members as q', 'q.id', 'r.requested_by')
    .leftJoin('members as d', 'd.id', 'r.resolved_by')
    .selectAll('r')
    .select([
      'i.name as item_name',
      'm.display_name as member_name',
      'q.display_name as requester_name',
      'd.display_name as decider_name',
    ])
    .where('r.organization_id', '=', organizationId)
    .orderBy('r.id', 'desc')
    .limit(PAGE_SIZE + 1);
  if (filters.status !== 'all') select = select.where('r.status', '=', filters.status);
  if (filters.member !== undefined) select = select.where('r.member_id', '=', filters.member);
  if (filters.who !== undefined) {
    const pattern = `%${filters.who.replace(/[\\%_]/g, '\\$&')}%`;
    select = select.where('r.member_id', 'in', (eb) =>
      eb
        .selectFrom('members as w')
        .select('w.id')
        .where('w.organization_id', '=', organizationId)
        .where((w) =>
          w.or([w('w.display_name', 'ilike', pattern), w('w.email', 'ilike', pattern)]),
        ),
    );
  }
  if (filters.item !== undefined) select = select.where('r.item_id', '=', filters.item);
  if (filters.before !== undefined) select = select.where('r.id', '<', filters.before);
  if (filters.from !== undefined || filters.to !== undefined) {
    select = select.where(withinLocalDays(sql.ref('r.requested_at'), filters, timezone));
  }
  const rows = await select.execute();
  const page: Row[] = rows.slice(0, PAGE_SIZE).map((row) => ({
    ...toRedemption(row),
    memberName: row.member_name,
    requesterName: row.requester_name,
    deciderName: row.decider_name,
  }));
  return { page, older: rows.length > PAGE_SIZE ? page.at(-1)?.id : undefined };
}

/**
 * The members and rewards that have redemptions, for the filters' lists. Members are
 * listed only while there are at most {@link PICK_LIST_MOST} of them (`members`
 * undefined past that: the form asks for a name or email typed instead, as a list of
 * thousands is no way to pick); the member the filters name is read on its own, so the
 * form can show who it is.
 */
async function choices(db: Database, organizationId: number, member: number | undefined) {
  const [someMembers, items, named] = await Promise.all([
    // One past the most listed, in member order: the index by member is read only that far.
    db
      .selectFrom('members as m')
      .select(['m.id', 'm.display_name as name'])
      .where('m.organization_id', '=', organizationId)
      .where('m.id', 'in', (eb) =>
        eb
          .selectFrom('redemptions as r')
          .select('r.member_id')
          .distinct()
          .where('r.organization_id', '=', organizationId)
          .orderBy('r.member_id')
          .limit(PICK_LIST_MOST + 1),
      )
      .orderBy('m.display_name')
      .execute(),
    db
      .selectFrom('reward_items as i')
      .select(['i.id', 'i.name'])
      .where('i.organization_id', '=', organizationId)
      .where((eb) =>
        eb.exists(
          eb.selectFrom('redemptions as r').select('r.id').whereRef('r.item_id', '=', 'i.id'),
        ),
      )
      .orderBy('i.name')
      .execute(),
    member === undefined
      ? undefined
      : db
          .selectFrom('members')
          .select(['id', 'display_name as name'])
          .where('organization_id', '=', organizationId)
          .where('id', '=', member)
          .executeTakeFirst(),
  ]);
  const members = someMembers.length <= PICK_LIST_MOST ? someMembers : undefined;
  return { members, items, named };
}

function filterForm(
  filters: Partial<Filters>,
  lists: Awaited<ReturnType<typeof choices>>,
): SafeHtml {
  const status = filters.status ?? 'held';
  return html`<form method="get" action="${QUEUE}" class="filters" role="search">
<label>Status <select name="status">${STATUSES.map((s) => option(s, STATUS_LABELS[s], s === status))}${option('all', 'Any status', status === 'all')}</select></label>
${memberFilter(filters, lists)}
<label>Reward <select name="item">${option('', 'Any reward', filters.item === undefined)}${lists.items.map((i) => option(String(i.id), i.name, i.id === filters.item))}</select></label>
<label>Asked from <input type="date" name="from" value="${filters.from ?? ''}"></label>
<label>to <input type="date" name="to" value="${filters.to ?? ''}"></label>
<button type="submit">Filter</button> <a href="${QUEUE}">Clear</a>
</form>`;
}

/**
 * The member filter: a list of those with redemptions, or, with too many to list, a
 * search by name or email (and the member a link named, to keep or drop).
 */
function memberFilter(
  filters: Partial<Filters>,
  lists: Awaited<ReturnType<typeof choices>>,
): SafeHtml {
  if (lists.members !== undefined) {
    return html`<label>Member <select name="member">${option('', 'Anyone', filters.member === undefined)}${lists.members.map((m) => option(String(m.id), m.name, m.id === filters.member))}</select></label>`;
  }
  const named =
    filters.member === undefined
      ? ''
      : html`<label>Member <select name="member">${option('', 'Anyone', false)}${option(String(filters.member), lists.named?.name ?? `#${filters.member}`, true)}</select></label>`;
  return html`${named}<label>Member’s name or email <input type="search" name="who" value="${filters.who ?? ''}" maxlength="${WHO_MAX}"></label>`;
}

/** Who ended a redemption and when, in words. */
function decision(row: Row, timezone: string): SafeHtml {
  const at = row.resolvedAt ? when(row.resolvedAt, timezone) : '';
  const label = STATUS_LABELS[row.status];
  let who: SafeHtml;
  if (row.status === 'expired') who = html`Expired ${at}: nobody decided in time`;
  else if (row.deciderName !== null) who = html`${label} by ${row.deciderName}, ${at}`;
  else if (row.fulfilment === 'webhook' && row.status === 'fulfilled') {
    who = html`${label} by the webhook, ${at}`;
  } else who = html`${label} through the API, ${at}`;
  return html`${who}${row.reason ? html`<br><span class="muted">Reason: ${row.reason}</span>` : ''}`;
}

function actions(viewer: ConsoleViewer, row: Row, back: string, timezone: string): SafeHtml {
  if (row.status === 'fulfilling') {
    return html`Being sent to the fulfilment webhook; it comes back here if that fails.`;
  }
  if (row.status !== 'held') return decision(row, timezone);
  return html`<form method="post" action="${QUEUE}/${row.id}/fulfil" class="inline">${csrfField(viewer)}<input type="hidden" name="back" value="${back}"><button type="submit">Fulfil #${row.id}</button></form>
<form method="post" action="${QUEUE}/${row.id}/reject" class="filters">${csrfField(viewer)}<input type="hidden" name="back" value="${back}">
<label>Reason to reject #${row.id} <input name="reason" required maxlength="${REASON_MAX}"></label>
<button type="submit" class="danger">Reject</button></form>
<span class="muted">Hold ends ${when(row.expiresAt, timezone)}.</span>`;
}

function table(viewer: ConsoleViewer, rows: readonly Row[], back: string, timezone: string) {
  return html`<div class="table-wrap"><table>
<thead><tr><th>#</th><th>Reward</th><th>Member</th><th class="number">Points</th><th class="number">Price</th><th>Asked</th><th>Status</th><th>Decision</th></tr></thead>
<tbody>${rows.map(
    (row) => html`<tr>
<td>${row.id}</td>
<td>${row.itemName}</td>
<td>${row.memberName}${row.requestedBy === row.memberId ? '' : html`<br><span class="muted">asked by ${row.requesterName}</span>`}</td>
<td class="number">${row.points.toLocaleString('en')}</td>
<td class="number">${formatMoney(row.priceMinor, row.currency)}</td>
<td>${when(row.requestedAt, timezone)}</td>
<td>${STATUS_LABELS[row.status]}</td>
<td>${actions(viewer, row, back, timezone)}</td>
</tr>`,
  )}</tbody></table></div>`;
}

/**
 * The redemptions queue: filtered by status (those waiting for HR unless asked), member,
 * reward and the days they were asked; each waiting one with a fulfil button and a reject
 * form that needs a reason. Decisions go through the reward desk with the viewer as
 * actor, so they are checked, audited and told to the member as in chat and the API.
 */
export function registerRedemptionsPage(routes: Router, deps: ConsoleDeps): void {
  const { db, desk } = deps.services;

  routes.get(QUEUE, requireConsoleRole('hr'), async (req, res) => {
    const viewer = viewerOf(res);
    const filters = readFilters(req);
    const [{ timezone }, lists] = await Promise.all([
      loadRewardSettings(db, viewer.organizationId),
      choices(db, viewer.organizationId, typeof filters === 'string' ? undefined : filters.member),
    ]);
    if (typeof filters === 'string') {
      sendBadQuery(req, res, {
        title: 'Redemptions',
        active: 'redemptions',
        form: filterForm({}, lists),
        text: filters,
      });
      return;
    }
    const { page, older } = await queue(db, viewer.organizationId, timezone, filters);
    const back = filterQuery(filters, filters.before);
    const empty =
      filters.status === 'held' && Object.keys(filters).length === 1
        ? 'No redemption is waiting for a decision.'
        : 'No redemption matches these filters.';
    const body = html`${filterForm(filters, lists)}
${page.length === 0 ? html`<p>${empty}</p>` : table(viewer, page, back, timezone)}
${older === undefined ? '' : html`<p><a href="${filterQuery(filters, older)}" rel="next">Older redemptions</a></p>`}`;
    sendPage(req, res, { title: 'Redemptions', active: 'redemptions', body });
  });

  /** Fulfils or rejects one redemption, as `hr fulfil` and `hr reject` do in chat. */
  const decide = (outcome: 'fulfilled' | 'rejected') => async (req: Request, res: Response) => {
    const { actor, organizationId, memberId } = viewerOf(res);
    const back = backTo(req);
    const id = pathIdOf(req);
    const reason = fieldOf(req, 'reason')?.trim() ?? '';
    const attempt = {
      action: decisionAction(outcome),
      target: id === undefined ? null : `redemption:${id}`,
      wanted: reason === '' ? undefined : { reason },
    };
    if (await refusedUnlessHr(db, req, res, 'decide redemptions', attempt)) return;
    if (id === undefined) {
      return redirectWithNotice(res, back, 'refused', `There is no redemption “${req.params.id}”.`);
    }
    if (outcome === 'rejected' && reason === '') {
      return redirectWithNotice(
        res,
        back,
        'refused',
        `Say why you reject redemption #${id}; the member is told the reason. Nothing changed.`,
      );
    }
    if (reason.length > REASON_MAX) {
      return redirectWithNotice(
        res,
        back,
        'refused',
        `Keep the reason under ${REASON_MAX} characters.`,
      );
    }
    const result = await desk.resolve(
      organizationId,
      id,
      outcome,
      { memberId, ...(reason !== '' && { reason }) },
      actor,
    );
    if (!result.ok) return redirectWithNotice(res, back, 'refused', result.message);
    const done = result.value;
    redirectWithNotice(
      res,
      back,
      'done',
      outcome === 'fulfilled'
        ? `Redemption #${done.id} (“${done.itemName}”) is fulfilled; ${formatMoney(done.priceMinor, done.currency)} is billed.`
        : `Redemption #${done.id} (“${done.itemName}”) is rejected; ${points(done.points)} went back to the member.`,
    );
  };

  routes.post(`${QUEUE}/:id/fulfil`, decide('fulfilled'));
  routes.post(`${QUEUE}/:id/reject`, decide('rejected'));
}
