import { describe, expect, it } from 'vitest';
import { isIsoDate } from '../../src/console/console-dates.ts';
import {
  addDays,
  bucketOf,
  bucketStarts,
  localDate,
  mondayOf,
  parseInsightQuery,
} from '../../src/console/insights/insight-range.ts';

const TODAY = '2024-03-14';

describe('insight range', () => {
  it('defaults to the 90 days to today and 30 quiet days; blanks take the defaults', () => {
    const expected = {
      ok: true,
      value: { range: { from: '2023-12-16', to: TODAY }, quietDays: 30 },
    };
    expect(parseInsightQuery({}, TODAY)).toEqual(expected);
    expect(parseInsightQuery({ from: '', to: ' ', quiet: '' }, TODAY)).toEqual(expected);
    // The default start follows the end asked for.
    expect(parseInsightQuery({ to: '2024-01-31', quiet: ' 7 ' }, TODAY)).toEqual({
      ok: true,
      value: { range: { from: '2023-11-03', to: '2024-01-31' }, quietDays: 7 },
    });
    expect(parseInsightQuery({ from: '2024-03-14', to: '2024-03-14' }, TODAY)).toMatchObject({
      ok: true,
      value: { range: { from: '2024-03-14', to: '2024-03-14' } },
    });
  });

  it('refuses what is not a date, a backwards or too long range, and bad quiet days', () => {
    const refusals = [
      [{ from: '2024-02-30' }, '“From” must be a date written like 2025-01-31.'],
      [{ from: '14/03/2024' }, '“From” must be a date written like 2025-01-31.'],
      [{ from: '1969-12-31' }, '“From” must be a date written like 2025-01-31.'],
      [{ to: '2024-13-01' }, '“To” must be a date written like 2025-01-31.'],
      [{ to: ['2024-01-01', '2024-02-01'] }, '“To” must be a date written like 2025-01-31.'],
      [{ from: '2024-03-15' }, '“From” must be on or before “To”.'],
      [{ from: '2022-03-14' }, 'Pick a range of at most 731 days.'],
      [{ quiet: '0' }, '“Quiet for” must be a whole number of days from 1 to 365.'],
      [{ quiet: '366' }, '“Quiet for” must be a whole number of days from 1 to 365.'],
      [{ quiet: '-3' }, '“Quiet for” must be a whole number of days from 1 to 365.'],
      [{ quiet: '1e2' }, '“Quiet for” must be a whole number of days from 1 to 365.'],
      [{ quiet: { a: '1' } }, '“Quiet for” must be a whole number of days from 1 to 365.'],
    ] as const;
    for (const [query, message] of refusals) {
      expect(parseInsightQuery(query, TODAY)).toEqual({ ok: false, code: 'bad_query', message });
    }
    // 731 days, both ends counted, is the most.
    expect(parseInsightQuery({ from: '2022-03-15' }, TODAY).ok).toBe(true);
  });

  it('counts ranges up to 31 days by day, longer ones by week from a Monday', () => {
    expect(bucketOf({ from: '2024-03-01', to: '2024-03-31' })).toBe('day');
    expect(bucketOf({ from: '2024-03-01', to: '2024-04-01' })).toBe('week');
    expect(bucketStarts({ from: '2024-02-28', to: '2024-03-01' }, 'day')).toEqual([
      '2024-02-28',
      '2024-02-29',
      '2024-03-01',
    ]);
    // Sunday 3 March is in the week of Monday 26 February.
    expect(bucketStarts({ from: '2024-03-03', to: '2024-03-18' }, 'week')).toEqual([
      '2024-02-26',
      '2024-03-04',
      '2024-03-11',
      '2024-03-18',
    ]);
    expect(['2024-03-04', '2024-03-09', '2024-03-10'].map(mondayOf)).toEqual([
      '2024-03-04',
      '2024-03-04',
      '2024-03-04',
    ]);
  });

  it('reads dates in a time zone and does calendar arithmetic', () => {
    const instant = new Date('2024-03-10T03:30:00Z');
    expect(localDate(instant, 'America/New_York')).toBe('2024-03-09');
    expect(localDate(instant, 'Asia/Tokyo')).toBe('2024-03-10');
    expect(addDays('2024-12-31', 1)).toBe('2025-01-01');
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
    expect(['2024-02-29', '2023-02-29', '2024-3-1', ' 2024-03-01', ''].map(isIsoDate)).toEqual([
      true,
      false,
      false,
      false,
      false,
    ]);
  });
});
