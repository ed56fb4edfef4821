import type { Router } from 'express';
import { periodNoun } from '../../recognition/allowance-period.ts';
import { formatMoney } from '../../rewards/money.ts';
import { requireConsoleRole } from '../console-auth.ts';
import type { ConsoleDeps } from '../console-deps.ts';
import { count, when } from '../console-format.ts';
import { html, type SafeHtml } from '../console-html.ts';
import { sendPage } from '../console-layout.ts';
import { viewerOf } from '../console-viewer.ts';
import {
  budgetLabel,
  budgetUsed,
  type OverviewFigures,
  overviewFigures,
} from '../overview-figures.ts';

function card(figure: string, label: string, link?: { href: string; text: string }): SafeHtml {
  return html`<li><span class="figure">${figure}</span><span class="label">${label}</span>${
    link ? html`<br><a href="${link.href}">${link.text}</a>` : ''
  }</li>`;
}

const plural = (n: number, one: string, many: string) => `${count(n)} ${n === 1 ? one : many}`;

/** What the last scheduled ledger verification found in this organization. */
function ledgerLine(ledger: OverviewFigures['ledger'], timezone: string): SafeHtml {
  if (!ledger) {
    return html`<p class="muted" id="ledger-verified">The ledger has not been verified yet: it is checked on a schedule.</p>`;
  }
  const at = when(ledger.verifiedAt, timezone);
  return ledger.problems === 0
    ? html`<p class="muted" id="ledger-verified">Ledger verified ${at}: no problems.</p>`
    : html`<div class="notice refused" id="ledger-verified">Ledger verified ${at}: ${plural(ledger.problems, 'problem', 'problems')} found. Your operators can list them with npm run ledger:verify.</div>`;
}

/** The overview: this period at a glance, with links to where each figure is worked on. */
export function registerOverviewPage(routes: Router, deps: ConsoleDeps): void {
  routes.get('/console', requireConsoleRole('admin-or-hr'), async (req, res) => {
    const viewer = viewerOf(res);
    const f = await overviewFigures(deps.services, viewer.organizationId);
    const hr = viewer.roles.includes('hr');
    const share = f.people === 0 ? 0 : Math.round((f.participants / f.people) * 100);
    const noun = periodNoun(f.period.cadence);
    const body = html`<p class="muted">This ${noun}, since ${f.period.firstDay}. Hello, ${viewer.displayName}.</p>
<ul class="cards" aria-label="This ${noun}">
${card(`${share}%`, `took part: ${count(f.participants)} of ${count(f.people)} people gave or received kudos`)}
${card(count(f.pointsGiven), `points given in ${plural(f.recognitions, 'recognition', 'recognitions')}`)}
${card(
  count(f.redemptions),
  `redemptions asked for; ${count(f.waiting)} waiting for HR`,
  hr ? { href: '/console/redemptions?status=held', text: 'Open the queue' } : undefined,
)}
${card(
  formatMoney(f.liability.valueMinor, f.liability.currency),
  `liability: ${plural(f.liability.outstandingPoints, 'point', 'points')} given and not yet redeemed`,
)}
${card(
  budgetUsed(f, f.budgetMinor, f.currency),
  budgetLabel(f.month, f.budgetMinor),
  hr ? { href: '/console/billing', text: 'Billing' } : undefined,
)}
</ul>
${ledgerLine(f.ledger, f.timezone)}
<p><a href="/console/insights">Insights</a> show who recognises whom over time.</p>`;
    sendPage(req, res, { title: 'Overview', active: 'overview', body });
  });
}
