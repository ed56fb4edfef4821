import { describe, expect, it } from 'vitest';
import {
  groupMatrixChart,
  horizontalBarChart,
  niceCeiling,
  shorten,
  timeSeriesChart,
} from '../../src/console/insights/svg-charts.ts';

const HOSTILE = `<script>alert("x")</script>&'"`;

/** The markup with every tag removed: what a person reads. */
const textOf = (markup: string) => markup.replace(/<[^>]*>/g, '');

/** Every tag name, opening and closing, in order. */
const tagsOf = (markup: string) => [...markup.matchAll(/<\/?([a-z]+)/g)].map((match) => match[0]);

describe('svg charts', () => {
  it('escape every label, in text, titles, aria-labels and the data table', () => {
    const charts = [
      timeSeriesChart({
        title: HOSTILE,
        unit: HOSTILE,
        points: [
          { label: HOSTILE, value: 3 },
          { label: 'b', value: 1, axisLabel: HOSTILE },
        ],
      }),
      horizontalBarChart({ title: 'People', unit: 'kudos', bars: [{ label: HOSTILE, value: 2 }] }),
      groupMatrixChart({
        title: 'Groups',
        unit: 'kudos',
        groups: [HOSTILE, 'Eng'],
        values: [
          [1, 2],
          [0, 4],
        ],
      }),
    ].map(String);
    for (const markup of charts) {
      expect(markup).not.toContain('<script');
      expect(markup).not.toMatch(/"x"\)/);
      // Every attribute value is quoted and holds no stray quote or bracket.
      for (const [, value] of markup.matchAll(/=("[^"]*")/g)) expect(value).not.toMatch(/[<>]/);
      expect(markup).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    }
    // The label is cut on the axis (an entity is never cut in half) but whole in titles.
    expect(charts[2]).toContain('&lt;script&gt;alert(&quot;x&quot;…<title>');
    expect(charts[2]).toContain(
      '<title>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;&quot; → Eng: 2 kudos</title>',
    );
  });

  it('say so in words, with no SVG, when there is nothing to draw', () => {
    const empty = [
      timeSeriesChart({
        title: 'Over time',
        unit: 'recognitions',
        points: [
          { label: '2024-03-01', value: 0 },
          { label: '2024-03-02', value: 0 },
        ],
      }),
      horizontalBarChart({ title: 'Values', unit: 'recognitions', bars: [] }),
      groupMatrixChart({
        title: 'Network',
        unit: 'kudos',
        groups: ['Eng'],
        values: [[0]],
        empty: 'No kudos between groups.',
      }),
      timeSeriesChart({ title: 'Nothing', unit: 'recognitions', points: [] }),
    ].map(String);
    expect(empty.map(textOf)).toEqual([
      'Over time\nNo recognitions in this range.',
      'Values\nNo recognitions in this range.',
      'Network\nNo kudos between groups.',
      'Nothing\nNo recognitions in this range.',
    ]);
    for (const markup of empty) expect(markup).not.toContain('<svg');
  });

  it('draw a labelled SVG image and its numbers as a table', () => {
    const markup = String(
      timeSeriesChart({
        title: 'Recognitions per day',
        unit: 'recognitions',
        points: [
          { label: '2024-03-01', value: 1200 },
          { label: '2024-03-02', value: 0 },
          { label: '2024-03-03', value: 3 },
        ],
      }),
    );
    expect(markup).toMatch(
      /^<figure class="chart"><figcaption>Recognitions per day<\/figcaption>\n<svg [^>]*role="img" aria-label="Recognitions per day\. 1,203 recognitions over 3 periods, from 2024-03-01 to 2024-03-03\."[^>]*><title>Recognitions per day<\/title>/,
    );
    expect(markup).toContain(
      'viewBox="0 0 720 260" width="720" height="260" font-family="system-ui, sans-serif" font-size="12">',
    );
    expect(markup.match(/<rect /g)).toHaveLength(3);
    // The axis goes up to 2,000 (the next 1, 2 or 5 × 10ⁿ above 1,200), in five lines.
    expect(markup.match(/<line /g)).toHaveLength(5);
    expect(markup).toContain('>2,000</text>');
    const table = markup.slice(markup.indexOf('<details'));
    expect(textOf(table).split('\n')).toEqual([
      'Recognitions per day: the numbers',
      'Periodrecognitions',
      '2024-03-011,2002024-03-0202024-03-033',
    ]);
    expect(table).toContain('<th scope="row">2024-03-01</th><td class="number">1,200</td>');
    // Tags are balanced: each one opened is closed, or closes itself.
    const open: string[] = [];
    for (const tag of tagsOf(markup.replace(/<[a-z]+[^>]*\/>/g, ''))) {
      if (tag.startsWith('</')) expect(open.pop()).toBe(tag.slice(2));
      else open.push(tag.slice(1));
    }
    expect(open).toEqual([]);
  });

  it('label the axis with whole counts only, even when the most is 1', () => {
    const markup = String(
      timeSeriesChart({
        title: 'Recognitions per week',
        unit: 'recognitions',
        points: [
          { label: '2024-03-04', value: 1 },
          { label: '2024-03-11', value: 0 },
        ],
      }),
    );
    const axis = [...markup.matchAll(/text-anchor="end" fill="[^"]+">([^<]+)<\/text>/g)].map(
      (match) => match[1],
    );
    expect(axis).toEqual(['0', '1']);
    expect(markup.match(/<line /g)).toHaveLength(2);
  });

  it('draw one bar per label, as long as its share of the longest', () => {
    const markup = String(
      horizontalBarChart({
        title: 'Top receivers',
        unit: 'points',
        bars: [
          { label: 'Ana', value: 20 },
          { label: 'Bo', value: 5 },
        ],
        table: {
          headers: ['Person', 'Points', 'Kudos'],
          rows: [
            ['Ana', 20, 4],
            ['Bo', 5, 1],
          ],
        },
      }),
    );
    const widths = [...markup.matchAll(/<rect [^>]*width="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(widths).toHaveLength(2);
    expect(widths[0]).toBe(274);
    expect(widths[1]).toBe(68.5);
    expect(markup).toContain('<title>Bo: 5 points</title>');
    expect(markup).toContain(
      '<tr><th scope="col">Person</th><th scope="col" class="number">Points</th><th scope="col" class="number">Kudos</th></tr>',
    );
  });

  it('shade the group matrix by kudos and list every pair with kudos', () => {
    const markup = String(
      groupMatrixChart({
        title: 'Between groups',
        unit: 'kudos',
        groups: ['Eng', 'Sales'],
        values: [
          [10, 0],
          [5, 2],
        ],
      }),
    );
    expect(markup.match(/<rect /g)).toHaveLength(4);
    expect(
      [...markup.matchAll(/fill-opacity="([\d.]+)"/g)].map((match) => Number(match[1])),
    ).toEqual([1, 1, 0.6, 0.3]);
    const table = markup.slice(markup.indexOf('<tbody>'));
    expect(textOf(table)).toBe('Eng → Eng10Sales → Eng5Sales → Sales2');
  });

  it('round axis tops and shorten labels by characters', () => {
    expect([0, 1, 3, 10, 11, 20, 21, 99, 101, 4999].map(niceCeiling)).toEqual([
      1, 1, 5, 10, 20, 20, 50, 100, 200, 5000,
    ]);
    expect(shorten('Engineering', 20)).toBe('Engineering');
    expect(shorten('Engineering', 5)).toBe('Engi…');
    expect(shorten('👩‍🔬👩‍🔬👩‍🔬', 10)).toBe('👩‍🔬👩‍🔬👩‍🔬');
  });
});
