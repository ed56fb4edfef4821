import { describe, expect, it } from 'vitest';
import {
  dayLabel,
  MATRIX_GROUPS,
  networkSection,
  pairsSection,
  QUIET_LISTED,
  quietSection,
  rangeLabel,
} from '../../src/console/insights/insight-sections.ts';

const textOf = (markup: unknown) =>
  String(markup)
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();

describe('insight sections', () => {
  it('list the quiet longest first, at most 100, and say how many there are in all', () => {
    const quiet = Array.from({ length: QUIET_LISTED + 2 }, (_, i) => ({
      memberId: i + 1,
      name: `P${i + 1}`,
      lastRecognizedAt: i === 0 ? null : new Date('2024-03-07T23:30:00Z'),
      quietDays: 200 - i,
    }));
    const markup = String(quietSection(quiet, 30, 'Asia/Tokyo'));
    expect(markup.match(/<tr><th scope="row">/g)).toHaveLength(QUIET_LISTED);
    expect(textOf(markup)).toContain('P1 Never 200 days (since joining) P2 8 Mar 2024 199 days');
    expect(textOf(markup)).toContain('102 people in all; the 100 quiet longest are listed.');
    expect(textOf(quietSection([], 1, 'UTC'))).toBe(
      'Not recognised in 1 day Everyone who may receive kudos has had some in the last 1 day.',
    );
  });

  it('show each pair both ways with their shares, and the rule when there is none', () => {
    const side = (memberId: number, name: string, toOther: number, given: number) => ({
      memberId,
      name,
      toOther,
      given,
      share: toOther / given,
    });
    expect(textOf(pairsSection([{ a: side(1, 'Cy', 3, 4), b: side(2, 'Di', 4, 6) }]))).toBe(
      'Pairs who mostly recognise each other A sign of a popularity contest: each gives the other at least 3 kudos, and at least 50% of all the kudos they give. Pair One way The other way Cy and Di Cy → Di: 3 kudos of 4 given (75%) Di → Cy: 4 kudos of 6 given (67%)',
    );
    expect(textOf(pairsSection([]))).toBe(
      'Pairs who mostly recognise each other No pair in this range: none where each gives the other at least 3 kudos, and at least 50% of all the kudos they give.',
    );
  });

  it('keep the busiest groups in the matrix and say how many are left out', () => {
    const count = MATRIX_GROUPS + 2;
    // Group i gives group i kudos i times: groups 0 and 1 are the quietest.
    const network = {
      groups: Array.from({ length: count }, (_, i) => ({ groupId: i, name: `G${i}` })),
      kudos: Array.from({ length: count }, (_, i) =>
        Array.from({ length: count }, (_, j) => (i === j ? i : 0)),
      ),
    };
    const markup = String(networkSection(network));
    expect(markup).not.toMatch(/>G[01]</);
    expect(markup).toContain('>G2<');
    expect(markup).toContain('>G13<');
    expect(textOf(markup)).toContain('Showing the 12 busiest groups; 2 others are left out.');
  });

  it('name days and ranges', () => {
    expect(dayLabel('2024-03-01')).toBe('1 Mar 2024');
    expect(dayLabel('2024-03-01', false)).toBe('1 Mar');
    expect(rangeLabel({ from: '2024-03-01', to: '2024-03-01' })).toBe('1 Mar 2024');
    expect(rangeLabel({ from: '2023-12-31', to: '2024-01-02' })).toBe('31 Dec 2023 to 2 Jan 2024');
  });
});
