import type { Router } from 'express';
import { requireConsoleRole } from '../console-auth.ts';
import type { ConsoleDeps } from '../console-deps.ts';
import { html, type SafeHtml } from '../console-html.ts';
import { sendBadQuery, sendPage } from '../console-layout.ts';
import { viewerOf } from '../console-viewer.ts';
import { readInsights } from '../insights/insight-queries.ts';
import { localDate, MAX_QUIET_DAYS, parseInsightQuery } from '../insights/insight-range.ts';
import {
  groupsSection,
  networkSection,
  overTimeSection,
  pairsSection,
  peopleSection,
  quietSection,
  rangeLabel,
  valuesSection,
} from '../insights/insight-sections.ts';

const INSIGHTS = '/console/insights';

/** What the form shows: the values asked for, as typed, or the ones in use. */
interface FormValues {
  readonly from: string;
  readonly to: string;
  readonly quiet: string;
}

function rangeForm(values: FormValues): SafeHtml {
  return html`<form method="get" action="${INSIGHTS}" class="filters">
<label>From <input type="date" name="from" value="${values.from}"></label>
<label>To <input type="date" name="to" value="${values.to}"></label>
<label>Quiet for (days) <input type="number" name="quiet" value="${values.quiet}" min="1" max="${MAX_QUIET_DAYS}" step="1" inputmode="numeric"></label>
<button type="submit">Show</button>
<a href="${INSIGHTS}">Last 90 days</a>
</form>`;
}

const asTyped = (value: unknown) => (typeof value === 'string' ? value : '');

/**
 * Insights for admins and HR: recognitions over time, by value and by group, top givers
 * and receivers, who has not been recognised lately, pairs who mostly recognise each
 * other, and kudos between groups, over a range of days in the organization's time zone.
 */
export function registerInsightsPage(routes: Router, deps: ConsoleDeps): void {
  const { db } = deps.services;

  routes.get(INSIGHTS, requireConsoleRole('admin-or-hr'), async (req, res) => {
    const { organizationId } = viewerOf(res);
    const { settings, now } = await deps.services.settings.load(organizationId);
    const query = req.query as Record<string, unknown>;
    const asked = parseInsightQuery(query, localDate(now, settings.timezone));
    if (!asked.ok) {
      const typed = {
        from: asTyped(query.from),
        to: asTyped(query.to),
        quiet: asTyped(query.quiet),
      };
      sendBadQuery(req, res, {
        title: 'Insights',
        active: 'insights',
        form: rangeForm(typed),
        text: asked.message,
      });
      return;
    }
    const { range, quietDays } = asked.value;
    const { time, values, groups, receivers, givers, quiet, pairs, network } = await readInsights(
      db,
      organizationId,
      range,
      { days: quietDays, asOf: now },
    );
    const recognitions = time.buckets.reduce((sum, b) => sum + b.recognitions, 0);
    const points = time.buckets.reduce((sum, b) => sum + b.points, 0);
    const body = html`${rangeForm({ ...range, quiet: String(quietDays) })}
<p>${recognitions.toLocaleString('en')} recognition${recognitions === 1 ? '' : 's'} giving ${points.toLocaleString('en')} point${points === 1 ? '' : 's'}, ${rangeLabel(range)} (days in ${settings.timezone} time). Reversed recognitions are left out.</p>
${overTimeSection(time)}
${valuesSection(values)}
${groupsSection(groups)}
${peopleSection('Top receivers', receivers)}
${peopleSection('Top givers', givers)}
${quietSection(quiet, quietDays, settings.timezone)}
${pairsSection(pairs)}
${networkSection(network)}`;
    sendPage(req, res, { title: 'Insights', active: 'insights', body });
  });
}
