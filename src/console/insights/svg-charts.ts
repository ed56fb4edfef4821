import { html, raw, type SafeHtml } from '../console-html.ts';

/*
 * Charts drawn on the server as inline SVG, with no library. Every text goes through `html`,
 * which escapes it. Each chart is a <figure>: an SVG with role="img", an aria-label and a
 * <title>, then its numbers as a table (the text alternative), folded in a <details>.
 */

export interface ChartPoint {
  /** The full label: in the table and the hover title. */
  readonly label: string;
  readonly value: number;
  /** A shorter label for the axis; the full one if not given. */
  readonly axisLabel?: string;
}

/** The text alternative: columns and rows, shown as a table under the chart. */
export interface ChartTable {
  readonly headers: readonly string[];
  readonly rows: readonly (readonly (string | number)[])[];
}

interface ChartBase {
  readonly title: string;
  /** What the values count, plural: "recognitions", "kudos". */
  readonly unit: string;
  /** Replaces the default label/value table. */
  readonly table?: ChartTable;
  /** Said instead of a chart when there is nothing to draw. */
  readonly empty?: string;
  /** The heading of the table's first column. */
  readonly labelHeading?: string;
}

const INK = '#1f2937';
const MUTED = '#6b7280';
const GRID = '#e5e7eb';
const BAR = '#2563eb';

const number = new Intl.NumberFormat('en');
const formatted = (value: number) => number.format(value);

/** A label cut to `max` characters with an ellipsis (before escaping, so no entity is cut). */
export function shorten(label: string, max: number): string {
  const characters = [...label];
  return characters.length <= max ? label : `${characters.slice(0, max - 1).join('')}…`;
}

/** The smallest of 1, 2, 5 × 10ⁿ at or above the value (1 for nothing): the axis's top. */
export function niceCeiling(value: number): number {
  if (value <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

const round = (value: number) => Math.round(value * 10) / 10;

export function dataTable(caption: string, table: ChartTable): SafeHtml {
  return html`<details class="chart-data"><summary>${caption}: the numbers</summary>
<table><thead><tr>${table.headers.map((header, i) => html`<th scope="col"${i > 0 ? raw(' class="number"') : ''}>${header}</th>`)}</tr></thead>
<tbody>${table.rows.map(
    (row) =>
      html`<tr>${row.map((cell, i) =>
        i === 0
          ? html`<th scope="row">${cell}</th>`
          : html`<td class="number">${typeof cell === 'number' ? formatted(cell) : cell}</td>`,
      )}</tr>`,
  )}</tbody></table></details>`;
}

function figure(
  chart: ChartBase,
  hasData: boolean,
  svg: () => SafeHtml,
  table: ChartTable,
): SafeHtml {
  if (!hasData) {
    return html`<figure class="chart"><figcaption>${chart.title}</figcaption>
<p class="chart-empty">${chart.empty ?? `No ${chart.unit} in this range.`}</p></figure>`;
  }
  return html`<figure class="chart"><figcaption>${chart.title}</figcaption>
${svg()}
${dataTable(chart.title, chart.table ?? table)}</figure>`;
}

const svgOpen = (title: string, summary: string, width: number, height: number) =>
  html`<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${title}. ${summary}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-family="system-ui, sans-serif" font-size="12"><title>${title}</title>`;

/** Bars over time, oldest on the left; at most about eight axis labels. */
export function timeSeriesChart(chart: ChartBase & { readonly points: readonly ChartPoint[] }) {
  const { points } = chart;
  const total = points.reduce((sum, point) => sum + point.value, 0);
  const table = {
    headers: [chart.labelHeading ?? 'Period', chart.unit],
    rows: points.map((p) => [p.label, p.value]),
  };
  return figure(
    chart,
    total > 0,
    () => {
      const width = 720;
      const height = 260;
      const left = 44;
      const right = 12;
      const top = 12;
      const bottom = 40;
      const plotWidth = width - left - right;
      const plotHeight = height - top - bottom;
      const ceiling = niceCeiling(Math.max(...points.map((p) => p.value)));
      const slot = plotWidth / points.length;
      const barWidth = Math.max(1, slot * 0.8);
      const labelEvery = Math.ceil(points.length / 8);
      const y = (value: number) => round(top + plotHeight - (value / ceiling) * plotHeight);
      // Counts are whole, so are the grid lines: quarters of the top that are whole numbers.
      const lines = [0, 0.25, 0.5, 0.75, 1]
        .map((fraction) => ceiling * fraction)
        .filter((value) => Number.isInteger(value));
      const grid = lines.map((value) => {
        const at = y(value);
        return html`<line x1="${left}" x2="${width - right}" y1="${at}" y2="${at}" stroke="${GRID}"/><text x="${left - 6}" y="${at + 4}" text-anchor="end" fill="${MUTED}">${formatted(round(value))}</text>`;
      });
      const bars = points.map((point, i) => {
        const x = round(left + i * slot + (slot - barWidth) / 2);
        const barTop = y(point.value);
        const label =
          i % labelEvery === 0
            ? html`<text x="${round(left + i * slot + slot / 2)}" y="${height - bottom + 16}" text-anchor="middle" fill="${MUTED}">${shorten(point.axisLabel ?? point.label, 12)}</text>`
            : '';
        return html`<rect x="${x}" y="${barTop}" width="${round(barWidth)}" height="${round(top + plotHeight - barTop)}" fill="${BAR}"><title>${point.label}: ${formatted(point.value)} ${chart.unit}</title></rect>${label}`;
      });
      const summary = `${formatted(total)} ${chart.unit} over ${points.length} periods, from ${points[0]?.label} to ${points.at(-1)?.label}.`;
      return html`${svgOpen(chart.title, summary, width, height)}${grid}${bars}</svg>`;
    },
    table,
  );
}

/** One bar per label, longest first as given. */
export function horizontalBarChart(chart: ChartBase & { readonly bars: readonly ChartPoint[] }) {
  const { bars } = chart;
  const table = {
    headers: [chart.labelHeading ?? 'Name', chart.unit],
    rows: bars.map((bar) => [bar.label, bar.value]),
  };
  return figure(
    chart,
    bars.some((bar) => bar.value > 0),
    () => {
      const width = 480;
      const rowHeight = 26;
      const labelWidth = 150;
      const valueWidth = 56;
      const height = bars.length * rowHeight + 8;
      const most = Math.max(...bars.map((bar) => bar.value));
      const plotWidth = width - labelWidth - valueWidth;
      const rows = bars.map((bar, i) => {
        const y = 4 + i * rowHeight;
        const length = round((bar.value / most) * plotWidth);
        return html`<g><title>${bar.label}: ${formatted(bar.value)} ${chart.unit}</title><text x="${labelWidth - 8}" y="${y + 17}" text-anchor="end" fill="${INK}">${shorten(bar.axisLabel ?? bar.label, 20)}</text><rect x="${labelWidth}" y="${y + 4}" width="${Math.max(length, 1)}" height="${rowHeight - 8}" fill="${BAR}"/><text x="${labelWidth + length + 6}" y="${y + 17}" fill="${INK}">${formatted(bar.value)}</text></g>`;
      });
      const summary = bars
        .slice(0, 5)
        .map((bar) => `${bar.label} ${formatted(bar.value)}`)
        .join(', ');
      return html`${svgOpen(chart.title, `${summary}${bars.length > 5 ? ', …' : ''} (${chart.unit}).`, width, height)}${rows}</svg>`;
    },
    table,
  );
}

/**
 * Kudos between groups as a heat map: rows give, columns receive; the darker the cell,
 * the more kudos. The table lists every pair with kudos.
 */
export function groupMatrixChart(
  chart: ChartBase & {
    readonly groups: readonly string[];
    readonly values: readonly (readonly number[])[];
  },
) {
  const { groups, values } = chart;
  const cellOf = (i: number, j: number) => values[i]?.[j] ?? 0;
  const pairs = groups.flatMap((from, i) =>
    groups.map((to, j) => ({ from, to, kudos: cellOf(i, j) })).filter((pair) => pair.kudos > 0),
  );
  const table = {
    headers: [chart.labelHeading ?? 'From → to', chart.unit],
    rows: pairs.map((pair) => [`${pair.from} → ${pair.to}`, pair.kudos]),
  };
  return figure(
    chart,
    pairs.length > 0,
    () => {
      const cell = 44;
      const labelWidth = 150;
      const headerHeight = 110;
      // Room on the right for the last column's slanted label.
      const width = labelWidth + groups.length * cell + 90;
      const height = headerHeight + groups.length * cell + 8;
      const most = Math.max(...pairs.map((pair) => pair.kudos));
      const columnLabels = groups.map((name, j) => {
        const x = labelWidth + j * cell + cell / 2;
        return html`<text transform="translate(${x} ${headerHeight - 6}) rotate(-45)" fill="${INK}">${shorten(name, 18)}<title>${name}</title></text>`;
      });
      const rows = groups.map((from, i) => {
        const y = headerHeight + i * cell;
        const cells = groups.map((to, j) => {
          const kudos = cellOf(i, j);
          const strength = kudos / most;
          const x = labelWidth + j * cell;
          return html`<g><title>${from} → ${to}: ${formatted(kudos)} ${chart.unit}</title><rect x="${x + 1}" y="${y + 1}" width="${cell - 2}" height="${cell - 2}" fill="${kudos > 0 ? BAR : GRID}" fill-opacity="${kudos > 0 ? round(0.15 + 0.85 * strength) : 1}"/><text x="${x + cell / 2}" y="${y + cell / 2 + 4}" text-anchor="middle" fill="${strength > 0.5 ? '#ffffff' : INK}">${kudos > 0 ? formatted(kudos) : ''}</text></g>`;
        });
        return html`<text x="${labelWidth - 8}" y="${y + cell / 2 + 4}" text-anchor="end" fill="${INK}">${shorten(from, 22)}<title>${from}</title></text>${cells}`;
      });
      const summary = `Rows give, columns receive; ${pairs.length} pairs of groups with ${chart.unit}.`;
      return html`${svgOpen(chart.title, summary, width, height)}${columnLabels}${rows}</svg>`;
    },
    table,
  );
}
