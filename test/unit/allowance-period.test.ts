import { describe, expect, it } from 'vitest';
import {
  type AllowancePeriod,
  allowancePeriodAt,
  type Cadence,
  periodNoun,
  previousAllowancePeriod,
  startOfDayAt,
  startOfLocalDay,
} from '../../src/recognition/allowance-period.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** A period as plain strings, so a mismatch shows readable instants. */
function plain(period: AllowancePeriod) {
  return {
    cadence: period.cadence,
    firstDay: period.firstDay,
    start: period.start.toISOString(),
    end: period.end.toISOString(),
  };
}

function periodAt(instant: string, cadence: Cadence, timezone: string) {
  return plain(allowancePeriodAt(new Date(instant), cadence, timezone));
}

/** Local wall clock of an instant, read independently of the code under test. */
function localParts(instant: Date, timeZone: string) {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    weekday: 'short',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(instant);
  const get = (type: Intl.DateTimeFormatPartTypes) =>
    parts.find((part) => part.type === type)?.value ?? '';
  return {
    weekday: get('weekday'),
    date: `${get('year')}-${get('month')}-${get('day')}`,
    time: `${get('hour')}:${get('minute')}:${get('second')}`,
  };
}

describe('allowancePeriodAt: the last second of a period and the first of the next', () => {
  it('weekly in UTC: Sunday 23:59:59 is the old week, Monday 00:00:00 the new one', () => {
    expect(periodAt('2026-01-04T23:59:59Z', 'weekly', 'UTC')).toEqual({
      cadence: 'weekly',
      firstDay: '2025-12-29',
      start: '2025-12-29T00:00:00.000Z',
      end: '2026-01-05T00:00:00.000Z',
    });
    expect(periodAt('2026-01-05T00:00:00Z', 'weekly', 'UTC')).toEqual({
      cadence: 'weekly',
      firstDay: '2026-01-05',
      start: '2026-01-05T00:00:00.000Z',
      end: '2026-01-12T00:00:00.000Z',
    });
  });

  it('monthly in Asia/Tokyo (+09:00): Jan 31 23:59:59 local is January, Feb 1 00:00 is February', () => {
    expect(periodAt('2026-01-31T14:59:59Z', 'monthly', 'Asia/Tokyo')).toEqual({
      cadence: 'monthly',
      firstDay: '2026-01-01',
      start: '2025-12-31T15:00:00.000Z',
      end: '2026-01-31T15:00:00.000Z',
    });
    expect(periodAt('2026-01-31T15:00:00Z', 'monthly', 'Asia/Tokyo')).toEqual({
      cadence: 'monthly',
      firstDay: '2026-02-01',
      start: '2026-01-31T15:00:00.000Z',
      end: '2026-02-28T15:00:00.000Z',
    });
  });

  it('quarterly in Asia/Kolkata (+05:30): Mar 31 23:59:59 local is Q1, Apr 1 00:00 is Q2', () => {
    expect(periodAt('2026-03-31T18:29:59Z', 'quarterly', 'Asia/Kolkata')).toEqual({
      cadence: 'quarterly',
      firstDay: '2026-01-01',
      start: '2025-12-31T18:30:00.000Z',
      end: '2026-03-31T18:30:00.000Z',
    });
    expect(periodAt('2026-03-31T18:30:00Z', 'quarterly', 'Asia/Kolkata')).toEqual({
      cadence: 'quarterly',
      firstDay: '2026-04-01',
      start: '2026-03-31T18:30:00.000Z',
      end: '2026-06-30T18:30:00.000Z',
    });
  });

  it('monthly in Pacific/Auckland across the year end: Dec 31 23:59:59 NZDT is 2026, Jan 1 00:00 is 2027', () => {
    expect(periodAt('2026-12-31T10:59:59Z', 'monthly', 'Pacific/Auckland')).toEqual({
      cadence: 'monthly',
      firstDay: '2026-12-01',
      start: '2026-11-30T11:00:00.000Z',
      end: '2026-12-31T11:00:00.000Z',
    });
    expect(periodAt('2026-12-31T11:00:00Z', 'monthly', 'Pacific/Auckland')).toEqual({
      cadence: 'monthly',
      firstDay: '2027-01-01',
      start: '2026-12-31T11:00:00.000Z',
      end: '2027-01-31T11:00:00.000Z',
    });
  });

  it('monthly in America/Sao_Paulo (-03:00): Feb 28 23:59:59 local is February, Mar 1 00:00 is March', () => {
    expect(periodAt('2026-03-01T02:59:59Z', 'monthly', 'America/Sao_Paulo')).toEqual({
      cadence: 'monthly',
      firstDay: '2026-02-01',
      start: '2026-02-01T03:00:00.000Z',
      end: '2026-03-01T03:00:00.000Z',
    });
    expect(periodAt('2026-03-01T03:00:00Z', 'monthly', 'America/Sao_Paulo')).toEqual({
      cadence: 'monthly',
      firstDay: '2026-03-01',
      start: '2026-03-01T03:00:00.000Z',
      end: '2026-04-01T03:00:00.000Z',
    });
  });

  it('weekly in America/New_York: Sunday 23:59:59 EST is the old week, Monday 00:00 EST the new one', () => {
    expect(periodAt('2026-02-02T04:59:59Z', 'weekly', 'America/New_York')).toEqual({
      cadence: 'weekly',
      firstDay: '2026-01-26',
      start: '2026-01-26T05:00:00.000Z',
      end: '2026-02-02T05:00:00.000Z',
    });
    expect(periodAt('2026-02-02T05:00:00Z', 'weekly', 'America/New_York')).toEqual({
      cadence: 'weekly',
      firstDay: '2026-02-02',
      start: '2026-02-02T05:00:00.000Z',
      end: '2026-02-09T05:00:00.000Z',
    });
  });

  it('reads the organization zone, not UTC: the same instant is in different weeks in Tokyo and New York', () => {
    // Monday 2026-01-05 08:00 in Tokyo; still Sunday 2026-01-04 18:00 in New York.
    const instant = '2026-01-04T23:00:00Z';
    expect(periodAt(instant, 'weekly', 'Asia/Tokyo').firstDay).toBe('2026-01-05');
    expect(periodAt(instant, 'weekly', 'America/New_York').firstDay).toBe('2025-12-29');
    expect(periodAt(instant, 'weekly', 'UTC').firstDay).toBe('2025-12-29');
  });
});

describe('allowancePeriodAt: an instant exactly at a period start', () => {
  it('belongs to the new period; one millisecond before belongs to the old one', () => {
    // April 2026 in Lisbon starts at 00:00 WEST (+01:00) = 2026-03-31T23:00Z.
    expect(periodAt('2026-03-31T23:00:00.000Z', 'monthly', 'Europe/Lisbon')).toEqual({
      cadence: 'monthly',
      firstDay: '2026-04-01',
      start: '2026-03-31T23:00:00.000Z',
      end: '2026-04-30T23:00:00.000Z',
    });
    expect(periodAt('2026-03-31T22:59:59.999Z', 'monthly', 'Europe/Lisbon')).toEqual({
      cadence: 'monthly',
      firstDay: '2026-03-01',
      start: '2026-03-01T00:00:00.000Z',
      end: '2026-03-31T23:00:00.000Z',
    });
    expect(periodAt('2026-01-05T05:00:00.000Z', 'weekly', 'America/New_York').firstDay).toBe(
      '2026-01-05',
    );
    expect(periodAt('2026-01-05T04:59:59.999Z', 'weekly', 'America/New_York').firstDay).toBe(
      '2025-12-29',
    );
    expect(periodAt('2026-06-30T18:30:00.000Z', 'quarterly', 'Asia/Kolkata').firstDay).toBe(
      '2026-07-01',
    );
    expect(periodAt('2026-06-30T18:29:59.999Z', 'quarterly', 'Asia/Kolkata').firstDay).toBe(
      '2026-04-01',
    );
  });
});

describe('allowancePeriodAt: month ends', () => {
  it('February 2026 ends after the 28th and February 2028 (leap year) after the 29th', () => {
    expect(periodAt('2026-02-28T23:59:59Z', 'monthly', 'UTC')).toEqual({
      cadence: 'monthly',
      firstDay: '2026-02-01',
      start: '2026-02-01T00:00:00.000Z',
      end: '2026-03-01T00:00:00.000Z',
    });
    expect(periodAt('2028-02-28T23:59:59Z', 'monthly', 'UTC').firstDay).toBe('2028-02-01');
    expect(periodAt('2028-02-29T23:59:59Z', 'monthly', 'UTC')).toEqual({
      cadence: 'monthly',
      firstDay: '2028-02-01',
      start: '2028-02-01T00:00:00.000Z',
      end: '2028-03-01T00:00:00.000Z',
    });
    expect(periodAt('2028-03-01T00:00:00Z', 'monthly', 'UTC').firstDay).toBe('2028-03-01');
    // Leap day in Tokyo: 2028-02-29 23:59:59 JST.
    expect(periodAt('2028-02-29T14:59:59Z', 'monthly', 'Asia/Tokyo')).toEqual({
      cadence: 'monthly',
      firstDay: '2028-02-01',
      start: '2028-01-31T15:00:00.000Z',
      end: '2028-02-29T15:00:00.000Z',
    });
  });

  it('December ends at the new year, and the next month is January of the next year', () => {
    expect(periodAt('2026-12-31T23:59:59Z', 'monthly', 'UTC')).toEqual({
      cadence: 'monthly',
      firstDay: '2026-12-01',
      start: '2026-12-01T00:00:00.000Z',
      end: '2027-01-01T00:00:00.000Z',
    });
    expect(periodAt('2027-01-01T00:00:00Z', 'monthly', 'UTC')).toEqual({
      cadence: 'monthly',
      firstDay: '2027-01-01',
      start: '2027-01-01T00:00:00.000Z',
      end: '2027-02-01T00:00:00.000Z',
    });
    // New York, 2026-12-31 23:59:59 EST.
    expect(periodAt('2027-01-01T04:59:59Z', 'monthly', 'America/New_York')).toEqual({
      cadence: 'monthly',
      firstDay: '2026-12-01',
      start: '2026-12-01T05:00:00.000Z',
      end: '2027-01-01T05:00:00.000Z',
    });
  });

  it('months of 30 and 31 days', () => {
    expect(periodAt('2026-04-30T23:59:59Z', 'monthly', 'UTC').end).toBe('2026-05-01T00:00:00.000Z');
    expect(periodAt('2026-05-31T23:59:59Z', 'monthly', 'UTC').end).toBe('2026-06-01T00:00:00.000Z');
    expect(periodAt('2026-01-31T23:59:59Z', 'monthly', 'UTC').end).toBe('2026-02-01T00:00:00.000Z');
    expect(periodAt('2026-02-01T00:00:00Z', 'monthly', 'UTC').firstDay).toBe('2026-02-01');
  });
});

describe('allowancePeriodAt: quarters', () => {
  it('start on Jan, Apr, Jul and Oct 1st, whatever month or day the instant is in', () => {
    const firstDays = (
      ['01', '02', '03', '04', '05', '06', '07', '08', '09', '10', '11', '12'] as const
    ).map((month) => periodAt(`2026-${month}-15T12:00:00Z`, 'quarterly', 'UTC').firstDay);
    expect(firstDays).toEqual([
      '2026-01-01',
      '2026-01-01',
      '2026-01-01',
      '2026-04-01',
      '2026-04-01',
      '2026-04-01',
      '2026-07-01',
      '2026-07-01',
      '2026-07-01',
      '2026-10-01',
      '2026-10-01',
      '2026-10-01',
    ]);
  });

  it('Q4 ends at the new year', () => {
    expect(periodAt('2026-12-31T23:59:59Z', 'quarterly', 'UTC')).toEqual({
      cadence: 'quarterly',
      firstDay: '2026-10-01',
      start: '2026-10-01T00:00:00.000Z',
      end: '2027-01-01T00:00:00.000Z',
    });
    expect(periodAt('2027-01-01T00:00:00Z', 'quarterly', 'UTC')).toEqual({
      cadence: 'quarterly',
      firstDay: '2027-01-01',
      start: '2027-01-01T00:00:00.000Z',
      end: '2027-04-01T00:00:00.000Z',
    });
  });

  it('Jun 30 23:59:59 and Jul 1 00:00 on either side of the Q3 boundary in Pacific/Auckland', () => {
    // Apr 1 is still NZDT (+13, DST ends Apr 5); Jul 1 is NZST (+12).
    expect(periodAt('2026-06-30T11:59:59Z', 'quarterly', 'Pacific/Auckland')).toEqual({
      cadence: 'quarterly',
      firstDay: '2026-04-01',
      start: '2026-03-31T11:00:00.000Z',
      end: '2026-06-30T12:00:00.000Z',
    });
    expect(periodAt('2026-06-30T12:00:00Z', 'quarterly', 'Pacific/Auckland')).toEqual({
      cadence: 'quarterly',
      firstDay: '2026-07-01',
      start: '2026-06-30T12:00:00.000Z',
      end: '2026-09-30T11:00:00.000Z',
    });
  });

  it('Australia/Lord_Howe (30-minute DST): Q4 starts at +10:30 and ends at +11:00', () => {
    expect(periodAt('2026-11-15T00:00:00Z', 'quarterly', 'Australia/Lord_Howe')).toEqual({
      cadence: 'quarterly',
      firstDay: '2026-10-01',
      start: '2026-09-30T13:30:00.000Z',
      end: '2026-12-31T13:00:00.000Z',
    });
    expect(periodAt('2026-09-30T13:29:59Z', 'quarterly', 'Australia/Lord_Howe').firstDay).toBe(
      '2026-07-01',
    );
  });
});

describe('allowancePeriodAt: weeks across month and year ends', () => {
  it('the week containing 2026-12-31 (a Thursday) runs Mon 2026-12-28 to Mon 2027-01-04', () => {
    const expected = {
      cadence: 'weekly',
      firstDay: '2026-12-28',
      start: '2026-12-28T00:00:00.000Z',
      end: '2027-01-04T00:00:00.000Z',
    };
    expect(periodAt('2026-12-28T00:00:00Z', 'weekly', 'UTC')).toEqual(expected);
    expect(periodAt('2026-12-31T12:00:00Z', 'weekly', 'UTC')).toEqual(expected);
    expect(periodAt('2027-01-01T00:00:00Z', 'weekly', 'UTC')).toEqual(expected);
    expect(periodAt('2027-01-03T23:59:59Z', 'weekly', 'UTC')).toEqual(expected);
    expect(periodAt('2027-01-04T00:00:00Z', 'weekly', 'UTC').firstDay).toBe('2027-01-04');
  });

  it('a week that starts in one month and ends in the next, in Asia/Tokyo', () => {
    // Sunday 2026-02-01 is in the week that started Monday 2026-01-26.
    expect(periodAt('2026-02-01T14:59:59Z', 'weekly', 'Asia/Tokyo')).toEqual({
      cadence: 'weekly',
      firstDay: '2026-01-26',
      start: '2026-01-25T15:00:00.000Z',
      end: '2026-02-01T15:00:00.000Z',
    });
  });

  it('the week starting on a leap day in 2028 (Tuesday Feb 29 is in the week of Mon Feb 28)', () => {
    expect(periodAt('2028-02-29T12:00:00Z', 'weekly', 'UTC')).toEqual({
      cadence: 'weekly',
      firstDay: '2028-02-28',
      start: '2028-02-28T00:00:00.000Z',
      end: '2028-03-06T00:00:00.000Z',
    });
  });

  it('a week crossing the year end in Pacific/Auckland', () => {
    // 2027-01-01 (Friday) 09:00 NZDT.
    expect(periodAt('2026-12-31T20:00:00Z', 'weekly', 'Pacific/Auckland')).toEqual({
      cadence: 'weekly',
      firstDay: '2026-12-28',
      start: '2026-12-27T11:00:00.000Z',
      end: '2027-01-03T11:00:00.000Z',
    });
  });
});

describe('allowancePeriodAt: daylight-saving changes inside a period', () => {
  it('March 2026 in Europe/Lisbon starts at +00:00 and ends at +01:00', () => {
    expect(periodAt('2026-03-15T12:00:00Z', 'monthly', 'Europe/Lisbon')).toEqual({
      cadence: 'monthly',
      firstDay: '2026-03-01',
      start: '2026-03-01T00:00:00.000Z',
      end: '2026-03-31T23:00:00.000Z',
    });
  });

  it('October 2026 in Europe/Lisbon starts at +01:00 and ends at +00:00', () => {
    expect(periodAt('2026-10-25T12:00:00Z', 'monthly', 'Europe/Lisbon')).toEqual({
      cadence: 'monthly',
      firstDay: '2026-10-01',
      start: '2026-09-30T23:00:00.000Z',
      end: '2026-11-01T00:00:00.000Z',
    });
  });

  it('the Lisbon week of the spring change (Sun 2026-03-29) is an hour short', () => {
    const period = allowancePeriodAt(new Date('2026-03-29T12:00:00Z'), 'weekly', 'Europe/Lisbon');
    expect(plain(period)).toEqual({
      cadence: 'weekly',
      firstDay: '2026-03-23',
      start: '2026-03-23T00:00:00.000Z',
      end: '2026-03-29T23:00:00.000Z',
    });
    expect(period.end.getTime() - period.start.getTime()).toBe(7 * DAY - HOUR);
    // Sunday 23:59:59 WEST is still that week; Monday 00:00 WEST is the next.
    expect(periodAt('2026-03-29T22:59:59Z', 'weekly', 'Europe/Lisbon').firstDay).toBe('2026-03-23');
    expect(periodAt('2026-03-29T23:00:00Z', 'weekly', 'Europe/Lisbon').firstDay).toBe('2026-03-30');
  });

  it('the Lisbon week of the autumn change (Sun 2026-10-25) is an hour long', () => {
    const period = allowancePeriodAt(new Date('2026-10-25T12:00:00Z'), 'weekly', 'Europe/Lisbon');
    expect(plain(period)).toEqual({
      cadence: 'weekly',
      firstDay: '2026-10-19',
      start: '2026-10-18T23:00:00.000Z',
      end: '2026-10-26T00:00:00.000Z',
    });
    expect(period.end.getTime() - period.start.getTime()).toBe(7 * DAY + HOUR);
  });

  it('the US week containing 2026-03-08 starts at EST and ends at EDT', () => {
    const period = allowancePeriodAt(
      new Date('2026-03-08T12:00:00Z'),
      'weekly',
      'America/New_York',
    );
    expect(plain(period)).toEqual({
      cadence: 'weekly',
      firstDay: '2026-03-02',
      start: '2026-03-02T05:00:00.000Z',
      end: '2026-03-09T04:00:00.000Z',
    });
    expect(period.end.getTime() - period.start.getTime()).toBe(7 * DAY - HOUR);
    // Sunday 2026-03-08 23:59:59 EDT and Monday 2026-03-09 00:00 EDT.
    expect(periodAt('2026-03-09T03:59:59Z', 'weekly', 'America/New_York').firstDay).toBe(
      '2026-03-02',
    );
    expect(periodAt('2026-03-09T04:00:00Z', 'weekly', 'America/New_York')).toEqual({
      cadence: 'weekly',
      firstDay: '2026-03-09',
      start: '2026-03-09T04:00:00.000Z',
      end: '2026-03-16T04:00:00.000Z',
    });
  });

  it('the US week containing 2026-11-01 starts at EDT and ends at EST', () => {
    expect(periodAt('2026-11-01T12:00:00Z', 'weekly', 'America/New_York')).toEqual({
      cadence: 'weekly',
      firstDay: '2026-10-26',
      start: '2026-10-26T04:00:00.000Z',
      end: '2026-11-02T05:00:00.000Z',
    });
  });

  it('US months with a change: March 2026 (EST to EDT) and November 2026 (starts on the change day)', () => {
    expect(periodAt('2026-03-20T12:00:00Z', 'monthly', 'America/New_York')).toEqual({
      cadence: 'monthly',
      firstDay: '2026-03-01',
      start: '2026-03-01T05:00:00.000Z',
      end: '2026-04-01T04:00:00.000Z',
    });
    // Clocks fall back at 02:00 on Nov 1, so that day's midnight is still EDT.
    expect(periodAt('2026-11-01T04:00:00Z', 'monthly', 'America/New_York')).toEqual({
      cadence: 'monthly',
      firstDay: '2026-11-01',
      start: '2026-11-01T04:00:00.000Z',
      end: '2026-12-01T05:00:00.000Z',
    });
    expect(periodAt('2026-11-01T03:59:59.999Z', 'monthly', 'America/New_York').firstDay).toBe(
      '2026-10-01',
    );
  });

  it('the Lord Howe week of its 30-minute spring change (Sun 2026-10-04) is half an hour short', () => {
    const period = allowancePeriodAt(
      new Date('2026-10-01T00:00:00Z'),
      'weekly',
      'Australia/Lord_Howe',
    );
    expect(plain(period)).toEqual({
      cadence: 'weekly',
      firstDay: '2026-09-28',
      start: '2026-09-27T13:30:00.000Z',
      end: '2026-10-04T13:00:00.000Z',
    });
    expect(period.end.getTime() - period.start.getTime()).toBe(7 * DAY - HOUR / 2);
  });

  it('November 2018 in America/Sao_Paulo starts at -03:00 and ends at -02:00', () => {
    expect(periodAt('2018-11-04T12:00:00Z', 'monthly', 'America/Sao_Paulo')).toEqual({
      cadence: 'monthly',
      firstDay: '2018-11-01',
      start: '2018-11-01T03:00:00.000Z',
      end: '2018-12-01T02:00:00.000Z',
    });
  });

  it('where clocks fall back across midnight, the day starts at its first midnight (Asia/Jerusalem, Mon 2001-09-24)', () => {
    // Clocks went from 01:00 IDT (+03) back to 00:00 IST (+02), so 00:00 on Monday
    // happened at 21:00Z and again at 22:00Z. 21:30Z is already Monday locally.
    const instant = new Date('2001-09-23T21:30:00Z');
    expect(localParts(instant, 'Asia/Jerusalem').date).toBe('2001-09-24');
    const week = allowancePeriodAt(instant, 'weekly', 'Asia/Jerusalem');
    expect(plain(week)).toEqual({
      cadence: 'weekly',
      firstDay: '2001-09-24',
      start: '2001-09-23T21:00:00.000Z',
      end: '2001-09-30T22:00:00.000Z',
    });
    expect(week.start.getTime()).toBeLessThanOrEqual(instant.getTime());
    expect(startOfLocalDay({ year: 2001, month: 9, day: 24 }, 'Asia/Jerusalem').toISOString()).toBe(
      '2001-09-23T21:00:00.000Z',
    );
    expect(previousAllowancePeriod(week, 'Asia/Jerusalem').firstDay).toBe('2001-09-17');
  });

  it('where clocks fall back across midnight on a quarter start, the quarter starts at the first midnight (Asia/Gaza, 2004-10-01)', () => {
    expect(periodAt('2004-11-15T12:00:00Z', 'quarterly', 'Asia/Gaza').start).toBe(
      '2004-09-30T21:00:00.000Z',
    );
    expect(periodAt('2004-09-30T21:30:00Z', 'quarterly', 'Asia/Gaza').firstDay).toBe('2004-10-01');
  });
});

describe('allowancePeriodAt: consecutive periods are contiguous', () => {
  it('a year of weekly periods in America/New_York: each starts where the last ended, on a Monday at local 00:00', () => {
    let period = allowancePeriodAt(new Date('2026-01-01T12:00:00Z'), 'weekly', 'America/New_York');
    expect(period.firstDay).toBe('2025-12-29');
    const lengths = new Set<number>();
    for (let week = 0; week < 53; week++) {
      const local = localParts(period.start, 'America/New_York');
      expect(local).toEqual({ weekday: 'Mon', date: period.firstDay, time: '00:00:00' });
      const endLocal = localParts(period.end, 'America/New_York');
      expect(endLocal.weekday).toBe('Mon');
      expect(endLocal.time).toBe('00:00:00');
      // Any instant inside the period maps back to it, including its first and last ms.
      for (const t of [
        period.start.getTime(),
        period.start.getTime() + 3.5 * DAY,
        period.end.getTime() - 1,
      ]) {
        expect(plain(allowancePeriodAt(new Date(t), 'weekly', 'America/New_York'))).toEqual(
          plain(period),
        );
      }
      lengths.add(period.end.getTime() - period.start.getTime());
      const next = allowancePeriodAt(period.end, 'weekly', 'America/New_York');
      expect(next.start.getTime()).toBe(period.end.getTime());
      expect(plain(previousAllowancePeriod(next, 'America/New_York'))).toEqual(plain(period));
      period = next;
    }
    expect(period.firstDay).toBe('2027-01-04');
    // Ordinary weeks, the spring week an hour short and the autumn week an hour long.
    expect([...lengths].sort((a, b) => a - b)).toEqual([7 * DAY - HOUR, 7 * DAY, 7 * DAY + HOUR]);
  });

  it.each([
    ['monthly', 'Europe/Lisbon', 24],
    ['monthly', 'Pacific/Auckland', 24],
    ['monthly', 'Australia/Lord_Howe', 24],
    ['quarterly', 'America/Sao_Paulo', 12],
    ['quarterly', 'Asia/Kolkata', 8],
    ['weekly', 'Europe/Lisbon', 60],
  ] as const)(
    '%s periods in %s are contiguous and start at local midnight on their first day',
    (cadence, timezone, count) => {
      let period = allowancePeriodAt(new Date('2018-01-10T12:00:00Z'), cadence, timezone);
      for (let i = 0; i < count; i++) {
        expect(localParts(period.start, timezone)).toMatchObject({
          date: period.firstDay,
          time: '00:00:00',
        });
        if (cadence !== 'weekly') expect(period.firstDay.endsWith('-01')).toBe(true);
        if (cadence === 'quarterly')
          expect(['01', '04', '07', '10']).toContain(period.firstDay.slice(5, 7));
        const next = allowancePeriodAt(period.end, cadence, timezone);
        expect(next.start.toISOString()).toBe(period.end.toISOString());
        expect(next.firstDay > period.firstDay).toBe(true);
        period = next;
      }
    },
  );
});

describe('startOfLocalDay', () => {
  it('is local midnight in ordinary zones', () => {
    expect(startOfLocalDay({ year: 2026, month: 6, day: 15 }, 'UTC').toISOString()).toBe(
      '2026-06-15T00:00:00.000Z',
    );
    expect(startOfLocalDay({ year: 2026, month: 6, day: 15 }, 'Asia/Kolkata').toISOString()).toBe(
      '2026-06-14T18:30:00.000Z',
    );
    expect(startOfLocalDay({ year: 2026, month: 1, day: 1 }, 'Asia/Tokyo').toISOString()).toBe(
      '2025-12-31T15:00:00.000Z',
    );
    expect(
      startOfLocalDay({ year: 2026, month: 7, day: 1 }, 'America/New_York').toISOString(),
    ).toBe('2026-07-01T04:00:00.000Z');
  });

  it('is midnight on the days clocks change after midnight', () => {
    expect(startOfLocalDay({ year: 2026, month: 3, day: 29 }, 'Europe/Lisbon').toISOString()).toBe(
      '2026-03-29T00:00:00.000Z',
    );
    expect(startOfLocalDay({ year: 2026, month: 10, day: 25 }, 'Europe/Lisbon').toISOString()).toBe(
      '2026-10-24T23:00:00.000Z',
    );
    expect(
      startOfLocalDay({ year: 2026, month: 3, day: 8 }, 'America/New_York').toISOString(),
    ).toBe('2026-03-08T05:00:00.000Z');
    expect(
      startOfLocalDay({ year: 2026, month: 11, day: 1 }, 'America/New_York').toISOString(),
    ).toBe('2026-11-01T04:00:00.000Z');
    expect(
      startOfLocalDay({ year: 2026, month: 10, day: 4 }, 'Australia/Lord_Howe').toISOString(),
    ).toBe('2026-10-03T13:30:00.000Z');
    expect(
      startOfLocalDay({ year: 2027, month: 4, day: 4 }, 'Australia/Lord_Howe').toISOString(),
    ).toBe('2027-04-03T13:00:00.000Z');
  });

  it('is the first existing instant when a DST change skips midnight (America/Sao_Paulo 2018-11-04: 01:00 local)', () => {
    const start = startOfLocalDay({ year: 2018, month: 11, day: 4 }, 'America/Sao_Paulo');
    expect(start.toISOString()).toBe('2018-11-04T03:00:00.000Z');
    expect(localParts(start, 'America/Sao_Paulo')).toMatchObject({
      date: '2018-11-04',
      time: '01:00:00',
    });
    expect(localParts(new Date(start.getTime() - 1), 'America/Sao_Paulo')).toMatchObject({
      date: '2018-11-03',
      time: '23:59:59',
    });
    // The day before and after are ordinary.
    expect(
      startOfLocalDay({ year: 2018, month: 11, day: 3 }, 'America/Sao_Paulo').toISOString(),
    ).toBe('2018-11-03T03:00:00.000Z');
    expect(
      startOfLocalDay({ year: 2018, month: 11, day: 5 }, 'America/Sao_Paulo').toISOString(),
    ).toBe('2018-11-05T02:00:00.000Z');
  });

  it('on the Sao Paulo fall-back day (2019-02-17, 00:00 -02 to 23:00 -03) is the single midnight', () => {
    expect(
      startOfLocalDay({ year: 2019, month: 2, day: 17 }, 'America/Sao_Paulo').toISOString(),
    ).toBe('2019-02-17T03:00:00.000Z');
  });
});

describe('startOfDayAt', () => {
  it('is the start of the local day an instant falls on', () => {
    expect(startOfDayAt(new Date('2026-06-15T18:29:59Z'), 'Asia/Kolkata').toISOString()).toBe(
      '2026-06-14T18:30:00.000Z',
    );
    expect(startOfDayAt(new Date('2026-06-15T18:30:00Z'), 'Asia/Kolkata').toISOString()).toBe(
      '2026-06-15T18:30:00.000Z',
    );
    expect(startOfDayAt(new Date('2026-03-29T12:00:00Z'), 'Europe/Lisbon').toISOString()).toBe(
      '2026-03-29T00:00:00.000Z',
    );
    expect(startOfDayAt(new Date('2026-11-01T23:00:00Z'), 'America/New_York').toISOString()).toBe(
      '2026-11-01T04:00:00.000Z',
    );
    expect(startOfDayAt(new Date('2026-11-02T04:59:59Z'), 'America/New_York').toISOString()).toBe(
      '2026-11-01T04:00:00.000Z',
    );
    expect(startOfDayAt(new Date('2026-11-02T05:00:00Z'), 'America/New_York').toISOString()).toBe(
      '2026-11-02T05:00:00.000Z',
    );
  });

  it('on a day whose midnight was skipped, is 01:00 local; the instant before is the previous day', () => {
    expect(startOfDayAt(new Date('2018-11-04T12:00:00Z'), 'America/Sao_Paulo').toISOString()).toBe(
      '2018-11-04T03:00:00.000Z',
    );
    expect(startOfDayAt(new Date('2018-11-04T03:00:00Z'), 'America/Sao_Paulo').toISOString()).toBe(
      '2018-11-04T03:00:00.000Z',
    );
    expect(startOfDayAt(new Date('2018-11-04T02:59:59Z'), 'America/Sao_Paulo').toISOString()).toBe(
      '2018-11-03T03:00:00.000Z',
    );
  });

  it('is never after the instant, and ignores milliseconds', () => {
    const instant = new Date('2026-05-20T07:08:09.999Z');
    expect(startOfDayAt(instant, 'Pacific/Auckland').toISOString()).toBe(
      '2026-05-19T12:00:00.000Z',
    );
    expect(startOfDayAt(instant, 'UTC').toISOString()).toBe('2026-05-20T00:00:00.000Z');
  });
});

describe('previousAllowancePeriod', () => {
  it('is the period just before, across year, quarter and DST changes', () => {
    const tz = 'Pacific/Auckland';
    const january = allowancePeriodAt(new Date('2027-01-15T00:00:00Z'), 'monthly', tz);
    expect(plain(previousAllowancePeriod(january, tz))).toEqual({
      cadence: 'monthly',
      firstDay: '2026-12-01',
      start: '2026-11-30T11:00:00.000Z',
      end: '2026-12-31T11:00:00.000Z',
    });

    const q1 = allowancePeriodAt(new Date('2026-02-01T00:00:00Z'), 'quarterly', 'UTC');
    expect(plain(previousAllowancePeriod(q1, 'UTC'))).toEqual({
      cadence: 'quarterly',
      firstDay: '2025-10-01',
      start: '2025-10-01T00:00:00.000Z',
      end: '2026-01-01T00:00:00.000Z',
    });

    const afterSpring = allowancePeriodAt(
      new Date('2026-03-10T12:00:00Z'),
      'weekly',
      'America/New_York',
    );
    expect(plain(previousAllowancePeriod(afterSpring, 'America/New_York'))).toEqual({
      cadence: 'weekly',
      firstDay: '2026-03-02',
      start: '2026-03-02T05:00:00.000Z',
      end: '2026-03-09T04:00:00.000Z',
    });

    const firstWeek2027 = allowancePeriodAt(new Date('2027-01-05T00:00:00Z'), 'weekly', 'UTC');
    expect(previousAllowancePeriod(firstWeek2027, 'UTC').firstDay).toBe('2026-12-28');
  });
});

describe('periodNoun', () => {
  it('names each cadence for sentences', () => {
    expect(periodNoun('weekly')).toBe('week');
    expect(periodNoun('monthly')).toBe('month');
    expect(periodNoun('quarterly')).toBe('quarter');
  });
});
