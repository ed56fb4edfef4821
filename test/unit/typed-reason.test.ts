import { describe, expect, it } from 'vitest';
import { parseGive } from '../../src/recognition/grammar/give-grammar.ts';
import { reasonAsTyped } from '../../src/recognition/grammar/typed-reason.ts';

describe('a reason as its writer typed it', () => {
  it.each([
    ['<!channel> <!here> <!everyone>', '@channel @here @everyone'],
    ['<!channel|@channel> and <!here|here>', '@channel and @here'],
    ['ping <!subteam^S123|@eng> now', 'ping @eng now'],
    ['with <@U123|ana> and <@W9|li>', 'with @ana and @li'],
    ['in <#C123|general>', 'in #general'],
    ['by <!date^1392734382^{date_num} {time_secs}|Feb 18, 2014>', 'by Feb 18, 2014'],
    [
      'see <https://x.test/a|the doc> or <https://x.test/b>',
      'see the doc (https://x.test/a) or https://x.test/b',
    ],
    ['thanks <at>Everyone</at>', 'thanks Everyone'],
  ])('%s reads %s', (typed, words) => {
    expect(reasonAsTyped(typed)).toBe(words);
  });

  it.each(['<@UOTHER> helped', 'in <#C123>', '<!subteam^S1>', 'a <b>bold</b> <script>x</script>'])(
    'keeps %s, which carries no words, as typed',
    (typed) => {
      expect(reasonAsTyped(typed)).toBe(typed);
    },
  );

  it('is what the give grammar stores, with recipients left as people', () => {
    const parsed = parseGive(
      '<@U1|ana> 10 for <!channel> cake, thanks <!subteam^S9|@eng> #teamwork',
    );
    expect(parsed).toEqual({
      recipients: [{ kind: 'slack_user', userId: 'U1' }],
      amount: 10,
      reason: '@channel cake, thanks @eng #teamwork',
      values: ['teamwork'],
      private: false,
    });
  });
});
