import { randomUUID } from 'node:crypto';
import type { Request, Response, Router } from 'express';
import { type ExpressionBuilder, sql } from 'kysely';
import { adjustPoints, listAdjustments } from '../../admin/adjustments.ts';
import { changeRole } from '../../admin/roles.ts';
import type { MemberRole, Tables } from '../../db/tables.ts';
import { type MemberView, readMembers } from '../../http/api/routes/member-reads.ts';
import { ACCOUNT_CODES } from '../../ledger/account-codes.ts';
import { readHistory } from '../../recognition/history.ts';
import { points, shortDate } from '../../recognition/wording.ts';
import type { RewardItem } from '../../rewards/catalog.ts';
import { requireHrActor } from '../../rewards/hr-access.ts';
import { formatMoney } from '../../rewards/money.ts';
import { REDEMPTION_STATUS_WORDS, type Redemption } from '../../rewards/redemptions.ts';
import { loadRewardSettings } from '../../rewards/reward-settings.ts';
import { requireConsoleRole } from '../console-auth.ts';
import type { ConsoleDeps } from '../console-deps.ts';
import { redirectWithNotice } from '../console-flash.ts';
import { textOf as formText, parseId } from '../console-form.ts';
import { count, pager } from '../console-format.ts';
import { html, type SafeHtml } from '../console-html.ts';
import { csrfField, sendPage } from '../console-layout.ts';
import { viewerOf } from '../console-viewer.ts';

/** People listed on one page of the search. */
export const PEOPLE_PAGE_SIZE = 50;
/** Recognitions, adjustments and redemptions shown on a person's page. */
const HISTORY_LIMIT = 20;

/** A form or query field as one string: the last of repeated ones, '' when absent. */
const textOf = (value: unknown): string => formText(value) ?? '';

/** A member id from a path, or undefined when it is none (a 404, not an error). */
const idOf = (text: string | undefined): number | undefined => {
  const id = parseId(text);
  return id !== undefined && id > 0 ? id : undefined;
};

const ROLE_NAMES: Readonly<Record<MemberRole, string>> = {
  member: 'member',
  admin: 'admin',
  hr: 'HR',
};

const rolesText = (roles: readonly MemberRole[]) =>
  roles
    .filter((role) => role !== 'member')
    .map((role) => ROLE_NAMES[role])
    .join(', ') || 'member';

const statusText = (status: string, guest: boolean, bot: boolean) =>
  [status, ...(guest ? ['guest'] : []), ...(bot ? ['bot'] : [])].join(', ');

interface PersonRow {
  id: number;
  display_name: string;
  email: string | null;
  roles: MemberRole[];
  status: string;
  is_guest: boolean;
  is_bot: boolean;
  available: number;
  allowance_left: number;
}

/**
 * What a listed person (`m`) may still spend of one of their accounts, looked up by the
 * account's key: a lateral read, so only the page's people are read, never everyone's.
 */
function availableOf(
  eb: ExpressionBuilder<Tables & { m: { id: number } }, 'm'>,
  organizationId: number,
  code: 'earned' | 'allowance',
) {
  return eb
    .selectFrom('ledger_accounts as a')
    .innerJoin('ledger_balances as b', 'b.account_id', 'a.id')
    .select(sql<number>`b.credits_posted - b.debits_posted - b.debits_pending`.as('available'))
    .where('a.organization_id', '=', organizationId)
    .where('a.asset', '=', ACCOUNT_CODES[code].asset)
    .where('a.code', '=', code)
    .whereRef('a.member_id', '=', 'm.id');
}

/**
 * A page of the organization's people whose name or email holds `q` (any case), by
 * name, with the points they may spend and the allowance they may still give, and how
 * many match in all. Balances are read from the ledger's rows; no account is made.
 */
async function searchPeople(
  deps: ConsoleDeps,
  organizationId: number,
  q: string,
  page: number,
): Promise<{ rows: PersonRow[]; total: number }> {
  const { db } = deps.services;
  const pattern = `%${q.replace(/[\\%_]/g, '\\$&')}%`;
  let matching = db.selectFrom('members as m').where('m.organization_id', '=', organizationId);
  if (q.length > 0) {
    matching = matching.where((eb) =>
      eb.or([eb('m.display_name', 'ilike', pattern), eb('m.email', 'ilike', pattern)]),
    );
  }
  // The page of people first, then their two balances each: joining everyone's accounts
  // before the page is cut read every member's (at 50,000 people, 100,000 rows a search).
  const onPage = matching
    .select(['m.id', 'm.display_name', 'm.email', 'm.roles', 'm.status', 'm.is_guest', 'm.is_bot'])
    .orderBy(sql`lower(m.display_name)`)
    .orderBy('m.id')
    .limit(PEOPLE_PAGE_SIZE)
    .offset((page - 1) * PEOPLE_PAGE_SIZE);
  const [total, rows] = await Promise.all([
    matching.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
    db
      .selectFrom(onPage.as('m'))
      .leftJoinLateral(
        (eb) => availableOf(eb, organizationId, 'earned').as('eb'),
        (join) => join.onTrue(),
      )
      .leftJoinLateral(
        (eb) => availableOf(eb, organizationId, 'allowance').as('ab'),
        (join) => join.onTrue(),
      )
      .select([
        'm.id',
        'm.display_name',
        'm.email',
        'm.roles',
        'm.status',
        'm.is_guest',
        'm.is_bot',
        sql<number>`coalesce(eb.available, 0)`.as('available'),
        sql<number>`coalesce(ab.available, 0)`.as('allowance_left'),
      ])
      .orderBy(sql`lower(m.display_name)`)
      .orderBy('m.id')
      .execute(),
  ]);
  return {
    total: Number(total.n),
    rows: rows.map((row) => ({
      ...row,
      available: Number(row.available),
      allowance_left: Number(row.allowance_left),
    })),
  };
}

const peopleHref = (q: string, page: number) => {
  const query = new URLSearchParams();
  if (q) query.set('q', q);
  if (page > 1) query.set('page', String(page));
  const text = query.toString();
  return text ? `/console/people?${text}` : '/console/people';
};

function peopleTable(rows: readonly PersonRow[]): SafeHtml {
  return html`<div class="table-wrap"><table>
<caption class="visually-hidden">People, with the points they may spend and the allowance they may still give</caption>
<thead><tr><th scope="col">Name</th><th scope="col">Email</th><th scope="col">Roles</th><th scope="col">Status</th><th scope="col" class="number">Points available</th><th scope="col" class="number">Allowance left</th></tr></thead>
<tbody>${rows.map(
    (row) =>
      html`<tr><td><a href="/console/people/${row.id}">${row.display_name}</a></td><td>${row.email ?? ''}</td><td>${rolesText(row.roles)}</td><td>${statusText(row.status, row.is_guest, row.is_bot)}</td><td class="number">${count(row.available)}</td><td class="number">${count(row.allowance_left)}</td></tr>`,
  )}</tbody></table></div>`;
}

async function listPage(deps: ConsoleDeps, req: Request, res: Response): Promise<void> {
  const viewer = viewerOf(res);
  const q = textOf(req.query.q).trim().slice(0, 200);
  const asked = Number(textOf(req.query.page));
  const page = Number.isSafeInteger(asked) && asked > 1 ? asked : 1;
  const { rows, total } = await searchPeople(deps, viewer.organizationId, q, page);
  const first = (page - 1) * PEOPLE_PAGE_SIZE + 1;
  const last = first + rows.length - 1;
  const matching = q ? html` matching “${q}”` : '';
  const summary =
    total === 0
      ? q
        ? html`Nobody’s name or email holds “${q}”.`
        : html`Nobody is here yet.`
      : rows.length === 0
        ? html`There are ${count(total)} people${matching}; this page is past the last of them.`
        : html`Showing ${count(first)}–${count(last)} of ${count(total)} ${total === 1 ? 'person' : 'people'}${matching}.`;
  const pages = pager('Pages of people', page, last < total, (n) => peopleHref(q, n));
  sendPage(req, res, {
    title: 'People',
    active: 'people',
    body: html`<form method="get" action="/console/people" class="filters" role="search">
<label>Search by name or email <input type="search" name="q" value="${q}" maxlength="200"></label>
<button type="submit">Search</button>${q ? html` <a href="/console/people">Show everyone</a>` : ''}
</form>
<p class="muted" role="status">${summary}</p>
${rows.length > 0 ? peopleTable(rows) : ''}
${pages}`,
  });
}

function notFound(req: Request, res: Response, id: string | undefined): void {
  sendPage(req, res, {
    title: 'Nobody by that id',
    active: 'people',
    status: 404,
    body: html`<p>No one in your organization has the id “${id ?? ''}”.</p>
<p><a href="/console/people">Back to people</a></p>`,
  });
}

const ROLE_BUTTONS: Readonly<Record<'admin' | 'hr', { grant: string; revoke: string }>> = {
  admin: { grant: 'Make admin', revoke: 'Remove admin role' },
  hr: { grant: 'Give HR role', revoke: 'Remove HR role' },
};

function rolesSection(res: Response, person: MemberView, admin: boolean): SafeHtml {
  const viewer = viewerOf(res);
  const held = html`<p>Roles: ${rolesText(person.roles)}.</p>`;
  if (!admin) return html`${held}<p class="muted">Only admins can change roles.</p>`;
  const forms = (['admin', 'hr'] as const).map((role) => {
    const has = person.roles.includes(role);
    const change = has ? 'revoke' : 'grant';
    return html`<form method="post" action="/console/people/${person.id}/roles" class="inline">${csrfField(viewer)}<input type="hidden" name="role" value="${role}"><input type="hidden" name="change" value="${change}"><button type="submit"${has ? html` class="secondary"` : ''}>${ROLE_BUTTONS[role][change]}</button></form> `;
  });
  return html`${held}<div class="actions">${forms}</div>`;
}

function adjustSection(res: Response, person: MemberView, admin: boolean): SafeHtml {
  if (!admin) return html`<p class="muted">Only admins can grant or deduct points.</p>`;
  const viewer = viewerOf(res);
  // A fresh key each time the page is drawn: the form sent twice adjusts once.
  return html`<form method="post" action="/console/people/${person.id}/adjust" class="stack">${csrfField(viewer)}
<input type="hidden" name="key" value="${randomUUID()}">
<label>Points <input type="text" name="amount" inputmode="numeric" required aria-describedby="amount-hint"></label>
<small id="amount-hint" class="muted">A positive number grants points; a negative one, like -20, deducts them.</small>
<label>Reason <input type="text" name="reason" required maxlength="500"></label>
<button type="submit">Adjust ${person.displayName}’s points</button>
</form>`;
}

function redeemSection(
  res: Response,
  person: MemberView,
  hr: boolean,
  rewards: readonly RewardItem[],
  currency: string,
): SafeHtml {
  if (!hr) return html`<p class="muted">Only HR can redeem rewards on someone’s behalf.</p>`;
  if (rewards.length === 0) {
    return html`<p class="muted">The catalog has no active reward to redeem. <a href="/console/catalog">Open the catalog</a></p>`;
  }
  const viewer = viewerOf(res);
  // A fresh key each time the page is drawn: the form sent twice redeems once.
  return html`<form method="post" action="/console/people/${person.id}/redeem" class="stack">${csrfField(viewer)}
<input type="hidden" name="key" value="${randomUUID()}">
<label>Reward <select name="reward" required>${rewards.map(
    (item) =>
      html`<option value="${item.id}">${item.name} — ${points(item.pointsCost)} (${formatMoney(item.priceMinor, currency)})</option>`,
  )}</select></label>
<small class="muted">Their points are held until HR fulfils or rejects it in the redemptions queue.</small>
<button type="submit">Redeem for ${person.displayName}</button>
</form>`;
}

function redemptionsTable(
  redemptions: readonly Redemption[],
  when: (at: Date) => SafeHtml,
): SafeHtml {
  if (redemptions.length === 0) return html`<p class="muted">No rewards redeemed yet.</p>`;
  return html`<div class="table-wrap"><table>
<thead><tr><th scope="col">When</th><th scope="col">Reward</th><th scope="col" class="number">Points</th><th scope="col">Status</th></tr></thead>
<tbody>${redemptions.map(
    (redemption) =>
      html`<tr><td>${when(redemption.requestedAt)}</td><td>${redemption.itemName} <span class="muted">#${redemption.id}</span></td><td class="number">${count(redemption.points)}</td><td>${REDEMPTION_STATUS_WORDS[redemption.status]}${
        redemption.status === 'rejected' && redemption.reason ? `: ${redemption.reason}` : ''
      }</td></tr>`,
  )}</tbody></table></div>`;
}

async function personPage(deps: ConsoleDeps, req: Request, res: Response): Promise<void> {
  const viewer = viewerOf(res);
  const param = textOf(req.params.id);
  const id = idOf(param);
  const [person] =
    id === undefined
      ? []
      : await readMembers(deps.services, viewer.organizationId, { kind: 'id', id });
  if (!person) {
    notFound(req, res, param);
    return;
  }
  const { db, desk } = deps.services;
  const hr = viewer.roles.includes('hr');
  const admin = viewer.roles.includes('admin');
  const [{ settings }, history, { adjustments }, redemptions, rewards, rewardSettings] =
    await Promise.all([
      deps.services.settings.load(viewer.organizationId),
      // Admins see private kudos (marked); HR alone sees the public ones only.
      readHistory(db, person.id, HISTORY_LIMIT, admin),
      listAdjustments(db, viewer.organizationId, { memberId: person.id, limit: HISTORY_LIMIT }),
      desk.redemptions.ofMember(viewer.organizationId, person.id, HISTORY_LIMIT),
      hr ? desk.catalog.list(viewer.organizationId) : [],
      loadRewardSettings(db, viewer.organizationId),
    ]);
  const when = (at: Date) =>
    html`<time datetime="${at.toISOString()}">${shortDate(at, settings.timezone)}</time>`;
  const kudos =
    history.length === 0
      ? html`<p class="muted">No kudos given or received yet.</p>`
      : html`<div class="table-wrap"><table>
<thead><tr><th scope="col">When</th><th scope="col">What</th><th scope="col" class="number">Points</th><th scope="col">Message</th></tr></thead>
<tbody>${history.map(
          (entry) =>
            html`<tr${entry.reversed ? html` class="reversed"` : ''}><td>${when(entry.createdAt)}</td><td>${
              entry.boostedFrom !== null
                ? entry.direction === 'given'
                  ? html`Boosted ${entry.boostedFrom}’s kudos to ${entry.counterpart}`
                  : html`Boosted by ${entry.counterpart} (${entry.boostedFrom}’s kudos)`
                : entry.direction === 'given'
                  ? html`Gave ${entry.counterpart}`
                  : html`Received from ${entry.counterpart}`
            }${entry.private ? html` <strong class="badge">Private</strong>` : ''}${entry.reversed ? html` <strong class="badge">Reversed</strong>` : ''}</td><td class="number">${count(entry.amount)}</td><td>${entry.message}</td></tr>`,
        )}</tbody></table></div>`;
  const adjusted =
    adjustments.length === 0
      ? html`<p class="muted">No points granted or deducted by hand.</p>`
      : html`<div class="table-wrap"><table>
<thead><tr><th scope="col">When</th><th scope="col" class="number">Points</th><th scope="col">Reason</th><th scope="col">By</th></tr></thead>
<tbody>${adjustments.map(
          (adjustment) =>
            html`<tr><td>${when(adjustment.at)}</td><td class="number">${adjustment.amount > 0 ? '+' : '−'}${count(Math.abs(adjustment.amount))}</td><td>${adjustment.reason}</td><td>${adjustment.actorName ?? 'unknown'}</td></tr>`,
        )}</tbody></table></div>`;
  sendPage(req, res, {
    title: person.displayName,
    active: 'people',
    body: html`<p><a href="/console/people">All people</a></p>
<dl class="facts">
<dt>Email</dt><dd>${person.email ?? 'none'}</dd>
<dt>Status</dt><dd>${statusText(person.status, person.isGuest, person.isBot)}</dd>
<dt>Joined</dt><dd>${when(new Date(person.joinedAt))}</dd>
</dl>
<h2>Balances</h2>
<ul class="cards">
<li><span class="figure">${count(person.points.available)}</span> <span class="label">points available to spend</span></li>
<li><span class="figure">${count(person.points.held)}</span> <span class="label">points held for redemptions</span></li>
<li><span class="figure">${count(person.points.earned)}</span> <span class="label">points earned in all</span></li>
<li><span class="figure">${count(person.allowance.left)}</span> <span class="label">allowance left to give, of ${count(person.allowance.perPeriod)} a period</span></li>
</ul>
<h2>Roles</h2>
${rolesSection(res, person, admin)}
<h2>Grant or deduct points</h2>
${adjustSection(res, person, admin)}
<h2>Redeem for this person</h2>
${redeemSection(res, person, hr, rewards, rewardSettings.currency)}
<h2>Recent kudos</h2>
${kudos}
<h2>Points adjusted by hand</h2>
${adjusted}
<h2>Redemptions</h2>
${redemptionsTable(redemptions, when)}`,
  });
}

const ROLE_DONE: Readonly<Record<'admin' | 'hr', { grant: string; revoke: string }>> = {
  admin: { grant: 'is now an admin', revoke: 'is no longer an admin' },
  hr: { grant: 'is now in HR', revoke: 'is no longer in HR' },
};

/** The person a form's path names, or undefined after answering 404 for one it does not. */
function personIdOf(req: Request, res: Response): number | undefined {
  const param = textOf(req.params.id);
  const id = idOf(param);
  if (id === undefined) notFound(req, res, param);
  return id;
}

async function roleForm(deps: ConsoleDeps, req: Request, res: Response): Promise<void> {
  const viewer = viewerOf(res);
  const id = personIdOf(req, res);
  if (id === undefined) return;
  const back = `/console/people/${id}`;
  const body = (req.body ?? {}) as Record<string, unknown>;
  const role = textOf(body.role);
  const change = textOf(body.change);
  if ((role !== 'admin' && role !== 'hr') || (change !== 'grant' && change !== 'revoke')) {
    redirectWithNotice(res, back, 'refused', 'Grant or revoke admin or HR; nothing changed.');
    return;
  }
  const changed = await changeRole(deps.services.db, viewer.actor, { memberId: id, role, change });
  if (!changed.ok) {
    redirectWithNotice(res, back, 'refused', changed.message);
    return;
  }
  redirectWithNotice(res, back, 'done', `${changed.value.displayName} ${ROLE_DONE[role][change]}.`);
}

async function adjustForm(deps: ConsoleDeps, req: Request, res: Response): Promise<void> {
  const viewer = viewerOf(res);
  const id = personIdOf(req, res);
  if (id === undefined) return;
  const back = `/console/people/${id}`;
  const body = (req.body ?? {}) as Record<string, unknown>;
  // A minus sign typed as the typographic one counts as one.
  const amountText = textOf(body.amount)
    .trim()
    .replace(/^\u2212/, '-');
  const amount = /^[+-]?\d{1,15}$/.test(amountText) ? Number(amountText) : Number.NaN;
  const key = textOf(body.key);
  const adjusted = await adjustPoints(deps.services, viewer.actor, {
    memberId: id,
    amount,
    reason: textOf(body.reason),
    idempotencyKey: /^[A-Za-z0-9-]{16,64}$/.test(key) ? `console:${key}` : '',
  });
  if (!adjusted.ok) {
    redirectWithNotice(res, back, 'refused', adjusted.message);
    return;
  }
  const [person] = await readMembers(deps.services, viewer.organizationId, { kind: 'id', id });
  const name = person?.displayName ?? `member ${id}`;
  const moved = Math.abs(adjusted.value.amount);
  redirectWithNotice(
    res,
    back,
    'done',
    adjusted.value.amount > 0
      ? `Added ${points(moved)} to ${name}’s balance.`
      : `Deducted ${points(moved)} from ${name}’s balance.`,
  );
}

async function redeemForm(deps: ConsoleDeps, req: Request, res: Response): Promise<void> {
  const viewer = viewerOf(res);
  const id = personIdOf(req, res);
  if (id === undefined) return;
  const back = `/console/people/${id}`;
  const body = (req.body ?? {}) as Record<string, unknown>;
  const itemId = idOf(textOf(body.reward));
  // The role first, as the API checks it: anyone but HR is refused (and audited) whatever
  // the form held. Redeeming for oneself is a member's own redemption.
  if (id !== viewer.memberId) {
    const denied = await requireHrActor(
      deps.services.db,
      viewer.actor,
      'redeem on someone’s behalf',
      {
        action: 'redemption.redeem_for',
        target: `member:${id}`,
        wanted: itemId === undefined ? undefined : { itemId },
      },
    );
    if (denied) {
      redirectWithNotice(res, back, 'refused', denied.message);
      return;
    }
  }
  const [person] = await readMembers(deps.services, viewer.organizationId, { kind: 'id', id });
  if (!person) {
    redirectWithNotice(
      res,
      back,
      'refused',
      `There is no member ${id} here; nothing was redeemed.`,
    );
    return;
  }
  if (itemId === undefined) {
    redirectWithNotice(res, back, 'refused', 'Pick a reward to redeem; nothing changed.');
    return;
  }
  const key = textOf(body.key);
  if (!/^[A-Za-z0-9-]{16,64}$/.test(key)) {
    redirectWithNotice(
      res,
      back,
      'refused',
      'This form has no valid key; open the page again and redeem from there. Nothing changed.',
    );
    return;
  }
  const redeemed = await deps.services.desk.redeem(
    {
      organizationId: viewer.organizationId,
      memberId: person.id,
      requestedBy: viewer.memberId,
      itemId,
      requestKey: `console:${key}`,
    },
    viewer.actor,
  );
  if (!redeemed.ok) {
    redirectWithNotice(res, back, 'refused', redeemed.message);
    return;
  }
  const { redemption } = redeemed.value;
  const whose = person.id === viewer.memberId ? 'of yours' : 'of theirs';
  redirectWithNotice(
    res,
    back,
    'done',
    `You redeemed “${redemption.itemName}” for ${person.displayName} (redemption #${redemption.id}); ${points(redemption.points)} ${whose} are held until it is fulfilled.`,
  );
}

/**
 * People: search with balances, and one person's balances, roles, recent kudos,
 * adjustments and redemptions. Admins grant and revoke roles and adjust points here, and
 * HR redeems rewards on someone's behalf, through the same services as chat and the API,
 * so each is checked and audited as there (via `console`).
 */
export function registerPeoplePage(routes: Router, deps: ConsoleDeps): void {
  routes.get('/console/people', requireConsoleRole('admin-or-hr'), (req, res) =>
    listPage(deps, req, res),
  );
  routes.get('/console/people/:id', requireConsoleRole('admin-or-hr'), (req, res) =>
    personPage(deps, req, res),
  );
  // The forms are admins' own: HR who post them are refused (and audited) by the service.
  routes.post('/console/people/:id/roles', requireConsoleRole('admin-or-hr'), (req, res) =>
    roleForm(deps, req, res),
  );
  routes.post('/console/people/:id/adjust', requireConsoleRole('admin-or-hr'), (req, res) =>
    adjustForm(deps, req, res),
  );
  routes.post('/console/people/:id/redeem', requireConsoleRole('admin-or-hr'), (req, res) =>
    redeemForm(deps, req, res),
  );
}
