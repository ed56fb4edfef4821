import { describe, expect, it } from 'vitest';
import { CommandAdmission, sentAt } from '../../src/core/command-admission.ts';

describe('CommandAdmission', () => {
  it('takes commands up to its limit, sheds the next, and takes one again once one is done', () => {
    const admission = new CommandAdmission({ inFlight: 2 }, () => 1_000);
    const first = admission.admit(1_000, 500);
    const second = admission.admit(1_000, 500);
    expect([first.admitted, second.admitted]).toEqual([true, true]);
    expect(admission.admit(1_000, 500)).toEqual({ admitted: false, reason: 'saturated' });
    if (first.admitted) {
      first.done();
      first.done(); // Twice counts once.
    }
    expect(admission.running).toBe(1);
    expect(admission.admit(1_000, 500).admitted).toBe(true);
    expect(admission.admit(1_000, 500).admitted).toBe(false);
    expect(admission.shed).toEqual({ saturated: 2, late: 0 });
  });

  it('sheds a command that reaches it later than its platform allows, whatever room there is', () => {
    let now = 10_000;
    const admission = new CommandAdmission({ inFlight: 10 }, () => now);
    expect(admission.admit(9_000, 1_000).admitted).toBe(true);
    now = 10_001;
    expect(admission.admit(9_000, 1_000)).toEqual({ admitted: false, reason: 'late' });
    expect(admission.running).toBe(1);
  });

  it('waits as long as its own limit says, on every platform, when one is set', () => {
    let now = 10_000;
    const admission = new CommandAdmission({ inFlight: 10, maxWaitMs: 3_000 }, () => now);
    // A platform window of 1 s would shed this one; the operator's 3 s takes it.
    expect(admission.admit(8_000, 1_000).admitted).toBe(true);
    // And a platform window of 5 s would take this one; the operator's 3 s sheds it.
    now = 11_001;
    expect(admission.admit(8_000, 5_000)).toEqual({ admitted: false, reason: 'late' });
  });

  it('refuses a limit that is not a whole number of commands', () => {
    expect(() => new CommandAdmission({ inFlight: 0 })).toThrow(RangeError);
    expect(() => new CommandAdmission({ inFlight: 1.5 })).toThrow(RangeError);
  });
});

describe('sentAt', () => {
  it('takes the platform time, but never later than the arrival', () => {
    expect(sentAt(5_000, 4_200)).toBe(4_200);
    // The platform's clock runs ahead of this one: the arrival bounds it.
    expect(sentAt(5_000, 5_900)).toBe(5_000);
    expect(sentAt(5_000, undefined)).toBe(5_000);
    expect(sentAt(5_000, Number.NaN)).toBe(5_000);
  });
});
