import { describe, expect, it } from 'vitest';
import { Pacer } from '../../src/slack/pacer.ts';

describe('Pacer', () => {
  it('sends the first item at once and merges what arrives within the interval into one send', async () => {
    let now = 0;
    const sent: Array<[string, string[]]> = [];
    const pacer = new Pacer<string>(
      1000,
      async (key, items) => {
        sent.push([key, items]);
      },
      () => now,
    );
    const first = pacer.push('C1', 'a');
    await first;
    expect(sent).toEqual([['C1', ['a']]]);

    // Within the interval: b and c wait and go out together once it has passed.
    now = 100;
    const later = Promise.all([pacer.push('C1', 'b'), pacer.push('C1', 'c')]);
    const other = pacer.push('C2', 'x');
    await other;
    expect(sent).toEqual([
      ['C1', ['a']],
      ['C2', ['x']],
    ]);
    now = 1000;
    await later;
    expect(sent).toEqual([
      ['C1', ['a']],
      ['C2', ['x']],
      ['C1', ['b', 'c']],
    ]);
  });

  it('keeps sending after a failed send', async () => {
    const sent: string[][] = [];
    let fail = true;
    const pacer = new Pacer<string>(0, async (_key, items) => {
      if (fail) {
        fail = false;
        throw new Error('Slack said no');
      }
      sent.push(items);
    });
    await pacer.push('C1', 'lost');
    await pacer.push('C1', 'kept');
    expect(sent).toEqual([['kept']]);
  });
});
