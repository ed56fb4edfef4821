import { describe, expect, it } from 'vitest';
import {
  allowancePeriodAt,
  periodsStartingWithin,
} from '../../src/recognition/allowance-period.ts';
import {
  mayOverlapOtherCadences,
  overlappingPeriodKeys,
} from '../../src/recognition/allowances.ts';

describe('periodsStartingWithin', () => {
  it('lists the weeks that begin in a month', () => {
    expect(periodsStartingWithin({ cadence: 'monthly', firstDay: '2026-06-01' })).toEqual([
      { cadence: 'weekly', firstDay: '2026-06-01' },
      { cadence: 'weekly', firstDay: '2026-06-08' },
      { cadence: 'weekly', firstDay: '2026-06-15' },
      { cadence: 'weekly', firstDay: '2026-06-22' },
      { cadence: 'weekly', firstDay: '2026-06-29' },
    ]);
  });

  it('lists the month and quarter that begin in a week, and nothing in a week without one', () => {
    expect(periodsStartingWithin({ cadence: 'weekly', firstDay: '2026-06-29' })).toEqual([
      { cadence: 'monthly', firstDay: '2026-07-01' },
      { cadence: 'quarterly', firstDay: '2026-07-01' },
    ]);
    expect(periodsStartingWithin({ cadence: 'weekly', firstDay: '2026-06-08' })).toEqual([]);
  });

  it('lists the months and weeks of a quarter, across a year end', () => {
    const within = periodsStartingWithin({ cadence: 'quarterly', firstDay: '2026-10-01' });
    expect(within.filter((period) => period.cadence === 'monthly')).toEqual([
      { cadence: 'monthly', firstDay: '2026-10-01' },
      { cadence: 'monthly', firstDay: '2026-11-01' },
      { cadence: 'monthly', firstDay: '2026-12-01' },
    ]);
    const weeks = within.filter((period) => period.cadence === 'weekly');
    expect(weeks[0]?.firstDay).toBe('2026-10-05');
    expect(weeks.at(-1)?.firstDay).toBe('2026-12-28');
    expect(weeks).toHaveLength(13);
  });

  it('names the member in each key', () => {
    const june = allowancePeriodAt(new Date('2026-06-10T12:00:00Z'), 'monthly', 'UTC');
    expect(overlappingPeriodKeys(7, june)[0]).toBe('allowance:7:weekly:2026-06-01');
  });
});

describe('whether a period may overlap openings of another cadence', () => {
  const june = { start: new Date('2026-06-01T00:00:00Z') };
  it('only when the cadence changed during the period (or just before it)', () => {
    expect(mayOverlapOtherCadences({ cadenceChangedAt: null }, june)).toBe(false);
    expect(
      mayOverlapOtherCadences({ cadenceChangedAt: new Date('2026-05-01T00:00:00Z') }, june),
    ).toBe(false);
    expect(
      mayOverlapOtherCadences({ cadenceChangedAt: new Date('2026-05-31T12:00:00Z') }, june),
    ).toBe(true);
    expect(
      mayOverlapOtherCadences({ cadenceChangedAt: new Date('2026-06-10T00:00:00Z') }, june),
    ).toBe(true);
  });
});
