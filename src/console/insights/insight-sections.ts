import { count } from '../console-format.ts';
import { html, type SafeHtml } from '../console-html.ts';
import {
  type GroupActivity,
  type GroupNetwork,
  type MutualPair,
  PAIR_MIN_EACH_WAY,
  PAIR_MIN_SHARE_PERCENT,
  type PersonTotal,
  type QuietMember,
  type RecognitionsOverTime,
  type ValueCount,
} from './insight-queries.ts';
import type { InsightRange } from './insight-range.ts';
import { groupMatrixChart, horizontalBarChart, timeSeriesChart } from './svg-charts.ts';

/** The groups the between-groups matrix shows at most: the busiest ones. */
export const MATRIX_GROUPS = 12;
/** The quiet people listed at most, the longest quiet first. */
export const QUIET_LISTED = 100;

const plural = (n: number, one: string, many: string) => `${count(n)} ${n === 1 ? one : many}`;
const percent = (share: number) => `${Math.round(share * 100)}%`;

/** `2024-03-01` as "1 Mar 2024" (or "1 Mar" without the year). */
export function dayLabel(date: string, withYear = true): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone: 'UTC',
    day: 'numeric',
    month: 'short',
    ...(withYear ? { year: 'numeric' } : {}),
  }).format(new Date(`${date}T00:00:00Z`));
}

export function rangeLabel(range: InsightRange): string {
  return range.from === range.to
    ? dayLabel(range.from)
    : `${dayLabel(range.from)} to ${dayLabel(range.to)}`;
}

export function overTimeSection(time: RecognitionsOverTime): SafeHtml {
  const week = time.bucket === 'week';
  const label = (start: string) => (week ? `Week of ${dayLabel(start)}` : dayLabel(start));
  return html`<h2>Recognitions over time</h2>
${timeSeriesChart({
  title: week ? 'Recognitions per week (weeks start on Monday)' : 'Recognitions per day',
  unit: 'recognitions',
  points: time.buckets.map((b) => ({
    label: label(b.start),
    axisLabel: dayLabel(b.start, false),
    value: b.recognitions,
  })),
  table: {
    headers: [week ? 'Week of' : 'Day', 'Recognitions', 'Points'],
    rows: time.buckets.map((b) => [dayLabel(b.start), b.recognitions, b.points]),
  },
})}`;
}

export function valuesSection(values: readonly ValueCount[]): SafeHtml {
  return html`<h2>By company value</h2>
${horizontalBarChart({
  title: 'Recognitions naming each value (one may name several)',
  unit: 'recognitions',
  labelHeading: 'Value',
  bars: values.map((v) => ({ label: `#${v.value}`, value: v.recognitions })),
  empty: 'No recognition named a company value in this range.',
})}`;
}

export function groupsSection(groups: readonly GroupActivity[]): SafeHtml {
  return html`<h2>By group</h2>
${horizontalBarChart({
  title: 'Kudos received by each group’s members',
  unit: 'kudos',
  bars: groups.map((g) => ({ label: g.name, value: g.received })),
  table: {
    headers: ['Group', 'Kudos given', 'Kudos received'],
    rows: groups.map((g) => [g.name, g.given, g.received]),
  },
  empty: 'No kudos in this range.',
})}
<p class="muted">Someone in two groups counts in both.</p>`;
}

export function peopleSection(heading: string, people: readonly PersonTotal[]): SafeHtml {
  return html`<h2>${heading}</h2>
${horizontalBarChart({
  title: `${heading}, by points`,
  unit: 'points',
  bars: people.map((p) => ({ label: p.name, value: p.points })),
  table: {
    headers: ['Person', 'Points', 'Kudos'],
    rows: people.map((p) => [p.name, p.points, p.kudos]),
  },
  empty: 'No kudos in this range.',
})}`;
}

export function quietSection(quiet: readonly QuietMember[], days: number, timezone: string) {
  const heading = `Not recognised in ${plural(days, 'day', 'days')}`;
  if (quiet.length === 0) {
    return html`<h2>${heading}</h2>
<p>Everyone who may receive kudos has had some in the last ${plural(days, 'day', 'days')}.</p>`;
  }
  const day = new Intl.DateTimeFormat('en-GB', {
    timeZone: timezone,
    day: 'numeric',
    month: 'short',
    year: 'numeric',
  });
  return html`<h2>${heading}</h2>
<p class="muted">Active people who may receive kudos, counted up to today; bots, people who have left and those who joined since are not listed.</p>
<div class="table-wrap"><table>
<thead><tr><th scope="col">Person</th><th scope="col">Last recognised</th><th scope="col" class="number">Quiet for</th></tr></thead>
<tbody>${quiet.slice(0, QUIET_LISTED).map(
    (q) => html`<tr><th scope="row"><a href="/console/people/${q.memberId}">${q.name}</a></th>
<td>${q.lastRecognizedAt ? html`<time datetime="${q.lastRecognizedAt.toISOString()}">${day.format(q.lastRecognizedAt)}</time>` : 'Never'}</td>
<td class="number">${plural(q.quietDays, 'day', 'days')}${q.lastRecognizedAt ? '' : ' (since joining)'}</td></tr>`,
  )}</tbody></table></div>${
    quiet.length > QUIET_LISTED
      ? html`<p>${plural(quiet.length, 'person', 'people')} in all; the ${QUIET_LISTED} quiet longest are listed.</p>`
      : ''
  }`;
}

export function pairsSection(pairs: readonly MutualPair[]): SafeHtml {
  const rule = `each gives the other at least ${PAIR_MIN_EACH_WAY} kudos, and at least ${PAIR_MIN_SHARE_PERCENT}% of all the kudos they give`;
  if (pairs.length === 0) {
    return html`<h2>Pairs who mostly recognise each other</h2>
<p>No pair in this range: none where ${rule}.</p>`;
  }
  const side = (from: MutualPair['a'], to: MutualPair['a']) =>
    html`<td>${from.name} → ${to.name}: ${plural(from.toOther, 'kudos', 'kudos')} of ${count(from.given)} given (${percent(from.share)})</td>`;
  return html`<h2>Pairs who mostly recognise each other</h2>
<p class="muted">A sign of a popularity contest: ${rule}.</p>
<div class="table-wrap"><table>
<thead><tr><th scope="col">Pair</th><th scope="col">One way</th><th scope="col">The other way</th></tr></thead>
<tbody>${pairs.map(
    (p) =>
      html`<tr><th scope="row">${p.a.name} and ${p.b.name}</th>${side(p.a, p.b)}${side(p.b, p.a)}</tr>`,
  )}</tbody></table></div>`;
}

/** The busiest groups (kudos given plus received), in the network's own order. */
function busiest(network: GroupNetwork, most: number): number[] {
  // Kudos given (row i) plus received (column i).
  const volume = network.groups.map((_, i) =>
    network.kudos.reduce((sum, row, j) => sum + (row[i] ?? 0) + (network.kudos[i]?.[j] ?? 0), 0),
  );
  return network.groups
    .map((_, i) => i)
    .sort((x, y) => (volume[y] as number) - (volume[x] as number) || x - y)
    .slice(0, most)
    .sort((x, y) => x - y);
}

export function networkSection(network: GroupNetwork): SafeHtml {
  const shown = busiest(network, MATRIX_GROUPS);
  const cut = network.groups.length - shown.length;
  return html`<h2>Between groups</h2>
${groupMatrixChart({
  title: 'Kudos from each group (rows) to each group (columns)',
  unit: 'kudos',
  groups: shown.map((i) => network.groups[i]?.name ?? ''),
  values: shown.map((i) => shown.map((j) => network.kudos[i]?.[j] ?? 0)),
  empty: 'No kudos between groups in this range.',
})}
<p class="muted">The diagonal is kudos within a group; someone in two groups counts in both.${
    cut > 0
      ? ` Showing the ${MATRIX_GROUPS} busiest groups; ${plural(cut, 'other is', 'others are')} left out.`
      : ''
  }</p>`;
}
