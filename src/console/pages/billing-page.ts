import type { Router } from 'express';
import {
  committedThisMonth,
  liability,
  monthlyStatement,
  monthOf,
  parseMonth,
  type StatementCharge,
  type StatementLine,
  statementCharges,
  statementSummary,
} from '../../rewards/billing.ts';
import { formatMoney } from '../../rewards/money.ts';
import { loadRewardSettings } from '../../rewards/reward-settings.ts';
import { statementCsv } from '../../rewards/statement-csv.ts';
import { requireConsoleRole } from '../console-auth.ts';
import type { ConsoleDeps } from '../console-deps.ts';
import { count, pager, when } from '../console-format.ts';
import { html, type SafeHtml } from '../console-html.ts';
import { sendPage } from '../console-layout.ts';
import { viewerOf } from '../console-viewer.ts';
import { budgetLabel, budgetUsed } from '../overview-figures.ts';

const BILLING = '/console/billing';
/** Charges listed on one page of a month's statement (the CSV has them all). */
export const STATEMENT_PAGE_CHARGES = 50;

/** The month after (1) or before (-1) a `YYYY-MM`. */
function shiftMonth(month: string, by: 1 | -1): string {
  const [year, number] = month.split('-').map(Number) as [number, number];
  const index = year * 12 + (number - 1) + by;
  return `${String(Math.floor(index / 12)).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}`;
}

function badMonth(text: string): string {
  return `“${text}” is not a month; pick one as YYYY-MM, like 2026-11.`;
}

function monthPicker(month: string): SafeHtml {
  return html`<form method="get" action="${BILLING}" class="filters">
<label>Month <input type="month" name="month" value="${month}" required pattern="[0-9]{4}-[0-9]{2}"></label>
<button type="submit">Show</button>
<a href="${BILLING}?month=${shiftMonth(month, -1)}">Previous month</a>
<a href="${BILLING}?month=${shiftMonth(month, 1)}">Next month</a>
</form>`;
}

function linesTable(
  caption: string,
  first: string,
  lines: readonly StatementLine[],
  currency: string,
) {
  return html`<div class="table-wrap"><table>
<caption class="muted">${caption}</caption>
<thead><tr><th>${first}</th><th class="number">Redemptions</th><th class="number">Billed</th></tr></thead>
<tbody>${lines.map(
    (line) =>
      html`<tr><td>${line.name}</td><td class="number">${count(line.count)}</td><td class="number">${formatMoney(line.totalMinor, currency)}</td></tr>`,
  )}</tbody></table></div>`;
}

function chargesTable(charges: readonly StatementCharge[], timezone: string): SafeHtml {
  return html`<div class="table-wrap"><table>
<thead><tr><th>Charged</th><th>Redemption</th><th>Reward</th><th>Member</th><th>Groups</th><th class="number">Amount</th></tr></thead>
<tbody>${charges.map(
    (charge) => html`<tr>
<td>${when(charge.chargedAt, timezone, { year: false })}</td>
<td>#${charge.redemptionId}</td>
<td>${charge.itemName}</td>
<td>${charge.memberName}</td>
<td>${charge.groups.length > 0 ? charge.groups.join(', ') : html`<span class="muted">none</span>`}</td>
<td class="number">${formatMoney(charge.amountMinor, charge.currency)}</td>
</tr>`,
  )}</tbody></table></div>`;
}

const pageHref = (month: string, page: number) =>
  `${BILLING}?month=${month}${page > 1 ? `&page=${page}` : ''}`;

/** One page of a month's charges, with where it is among them and links to the others. */
function chargesPage(
  month: string,
  page: number,
  charges: readonly StatementCharge[],
  total: number,
  timezone: string,
): SafeHtml {
  const first = (page - 1) * STATEMENT_PAGE_CHARGES + 1;
  const last = first + charges.length - 1;
  if (charges.length === 0) {
    return html`<p class="muted">There are ${count(total)} charges in ${month}; this page is past the last of them. <a href="${pageHref(month, 1)}">First page</a></p>`;
  }
  const where =
    first === 1 && last === total
      ? ''
      : html`<p class="muted" role="status">Charges ${count(first)}–${count(last)} of ${count(total)}; the CSV lists them all.</p>`;
  const pages = pager('Pages of charges', page, last < total, (n) => pageHref(month, n));
  return html`${where}${chargesTable(charges, timezone)}${pages}`;
}

/**
 * Billing for HR: a month's statement (the current month of the organization's time zone
 * unless another is picked) with its lines and totals and its charges a page at a time
 * (the CSV has them all), what the points people hold are worth, the budget used this
 * month, and the statement as CSV (the API's statement CSV).
 */
export function registerBillingPage(routes: Router, deps: ConsoleDeps): void {
  const { db } = deps.services;

  routes.get(BILLING, requireConsoleRole('hr'), async (req, res) => {
    const { organizationId } = viewerOf(res);
    // The current month by the database's clock, as the budget check reads it.
    const [settings, { now }] = await Promise.all([
      loadRewardSettings(db, organizationId),
      deps.services.settings.load(organizationId),
    ]);
    const current = monthOf(now, settings.timezone);
    const asked = typeof req.query.month === 'string' ? req.query.month.trim() : '';
    const month = asked === '' ? current : parseMonth(asked);
    if (month === undefined) {
      sendPage(req, res, {
        title: 'Billing',
        active: 'billing',
        status: 400,
        body: html`${monthPicker(current)}<p class="notice refused" role="alert">${badMonth(asked)}</p>`,
      });
      return;
    }
    const askedPage = Number(typeof req.query.page === 'string' ? req.query.page : '');
    const page = Number.isSafeInteger(askedPage) && askedPage > 1 ? askedPage : 1;
    const [statement, charges, owed, committed] = await Promise.all([
      statementSummary(db, organizationId, month),
      statementCharges(db, organizationId, month, {
        offset: (page - 1) * STATEMENT_PAGE_CHARGES,
        limit: STATEMENT_PAGE_CHARGES,
      }),
      liability(db, organizationId),
      committedThisMonth(db, organizationId, settings.timezone, now),
    ]);
    const { currency } = statement;
    const money = (minor: number) => formatMoney(minor, currency);
    const budget = settings.monthlyBudgetMinor;
    const body = html`${monthPicker(month)}
<ul class="cards">
<li><span class="figure">${money(statement.totalMinor)}</span><span class="label">billed in ${month} for ${count(statement.count)} redemption${statement.count === 1 ? '' : 's'}</span></li>
<li><span class="figure">${money(owed.valueMinor)}</span><span class="label">liability: ${count(owed.outstandingPoints)} point${owed.outstandingPoints === 1 ? '' : 's'} given and not yet redeemed</span></li>
<li><span class="figure">${budgetUsed(committed, budget, currency)}</span><span class="label">${budgetLabel(current, budget)}</span></li>
</ul>
<p><a href="${BILLING}/${month}.csv" download>Download the ${month} statement as CSV</a></p>
<h2>Statement for ${month}</h2>
${
  statement.count === 0
    ? html`<p>Nothing was billed in ${month}.</p>`
    : html`${linesTable('By reward', 'Reward', statement.byItem, currency)}
${linesTable('By group (a charge counts in each of its member’s groups)', 'Group', statement.byGroup, currency)}
<h2>Charges</h2>
${chargesPage(month, page, charges, statement.count, settings.timezone)}
<p><strong>Total: ${money(statement.totalMinor)}</strong> for ${count(statement.count)} redemption${statement.count === 1 ? '' : 's'}.</p>`
}`;
    sendPage(req, res, { title: 'Billing', active: 'billing', body });
  });

  routes.get(`${BILLING}/:month.csv`, requireConsoleRole('hr'), async (req, res) => {
    const { organizationId } = viewerOf(res);
    const asked = typeof req.params.month === 'string' ? req.params.month : '';
    const month = parseMonth(asked);
    if (month === undefined) {
      sendPage(req, res, {
        title: 'Billing',
        active: 'billing',
        status: 400,
        body: html`<p>${badMonth(asked)} <a href="${BILLING}">Back to billing</a>.</p>`,
      });
      return;
    }
    const statement = await monthlyStatement(db, organizationId, month);
    res
      .type('text/csv; charset=utf-8')
      .set('Content-Disposition', `attachment; filename="plaudit-statement-${month}.csv"`)
      .send(statementCsv(statement));
  });
}
