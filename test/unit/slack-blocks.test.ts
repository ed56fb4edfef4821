import { describe, expect, it } from 'vitest';
import { type KudosGiven, textReply } from '../../src/core/reply.ts';
import {
  announcementBlocks,
  escapeSlackText,
  replyBlocks,
  withinSection,
} from '../../src/slack/slack-blocks.ts';

/** Every text of a message's blocks that Slack holds to 3,000 characters. */
function sectionTexts(blocks: readonly object[]): string[] {
  return (blocks as ReadonlyArray<Record<string, unknown>>).flatMap((block) => {
    const text = (block.text as { text?: string } | undefined)?.text;
    const elements = (block.elements as Array<{ text?: string }> | undefined) ?? [];
    return [text, ...elements.map((element) => element.text)].filter(
      (one): one is string => typeof one === 'string',
    );
  });
}

const kudos = (message: string): KudosGiven => ({
  kind: 'kudos_given',
  recognitionId: 1,
  organizationId: 1,
  giver: { memberId: 1, name: 'Ana' },
  recipients: [{ memberId: 2, name: 'Li' }],
  amountEach: 10,
  message,
  values: [],
  channel: 'C1',
});

describe('Slack blocks of long text', () => {
  it('keep a celebration of the longest reason within what Slack takes, escaped as it grew', () => {
    // 2,000 characters, the longest an organization may allow, are 10,000 once escaped.
    const blocks = announcementBlocks(kudos('&'.repeat(2000)), new Map([[2, 'ULI']]));
    const [, quote] = sectionTexts(blocks);
    expect(quote?.length).toBeLessThanOrEqual(3000);
    expect(quote?.length).toBeGreaterThan(2990);
    expect(quote).toMatch(/^> (&amp;)+…$/);
  });

  it('keep mrkdwn within what Slack takes, a mention and an emoji left whole', () => {
    // Only Plaudit's own mentions (a celebration's recipients) are markup, and stay whole.
    const long = `${'x'.repeat(2990)}<@U0123ABCD> 🎉🎉🎉🎉🎉`;
    expect(withinSection(long)).toBe(`${'x'.repeat(2990)}…`);
    // In a reply the same characters are text, escaped, and never cut inside an entity.
    for (const text of sectionTexts(replyBlocks(textReply(long)))) {
      expect(text.length).toBeLessThanOrEqual(3000);
      expect(text).toBe(`${'x'.repeat(2990)}&lt;@U012…`);
    }
    // The cut falls between the halves of the first emoji: it goes whole, or not at all.
    expect(withinSection(`${'x'.repeat(2998)}🎉🎉`)).toBe(`${'x'.repeat(2998)}…`);
    expect(withinSection(`${'x'.repeat(2997)}🎉🎉`)).toBe(`${'x'.repeat(2997)}🎉…`);
  });

  it('leave text that fits as it is', () => {
    const fits = 'y'.repeat(3000);
    expect(withinSection(fits)).toBe(fits);
    expect(sectionTexts(announcementBlocks(kudos('the launch & more'), new Map()))).toEqual([
      '🎉 *Ana* gave *Li* *10 points*',
      '> the launch &amp; more',
    ]);
  });
});

describe('typed text in Slack', () => {
  const typed = '<!channel> <!here> <!everyone> <!subteam^S123|@eng> <@UOTHER> <#C1> <!date^1|x>';
  const shown =
    '&lt;!channel&gt; &lt;!here&gt; &lt;!everyone&gt; &lt;!subteam^S123|@eng&gt; &lt;@UOTHER&gt; &lt;#C1&gt; &lt;!date^1|x&gt;';

  it('is escaped whole: no special mention, group, user or channel markup survives', () => {
    expect(escapeSlackText(typed)).toBe(shown);
    expect(escapeSlackText('a & b < c > d')).toBe('a &amp; b &lt; c &gt; d');
  });

  it('is a reason in a celebration whose only mention is the recipient Plaudit names', () => {
    const blocks = announcementBlocks(kudos(typed), new Map([[2, 'ULI']]));
    expect(blocks).toEqual([
      {
        type: 'section',
        text: { type: 'mrkdwn', text: '🎉 *Ana* gave <@ULI> *10 points*', verbatim: true },
      },
      { type: 'section', text: { type: 'mrkdwn', text: `> ${shown}`, verbatim: true } },
    ]);
  });

  it('is a reply whose every mrkdwn text Slack takes verbatim', () => {
    const blocks = replyBlocks(textReply(`You gave 1 point to Li for ${typed}`));
    expect(blocks).toEqual([
      {
        type: 'section',
        text: { type: 'mrkdwn', text: `You gave 1 point to Li for ${shown}`, verbatim: true },
      },
    ]);
  });
});

describe('a celebration’s boosts in Slack blocks', () => {
  it('names each booster as text, and carries the Boost button only while boosts are on', () => {
    const boosts = [
      { giverName: 'Li', amountEach: 3 },
      { giverName: '<!channel> Bo', amountEach: 5 },
    ];
    const on = announcementBlocks(kudos('the launch'), new Map(), { boosts, boostable: true });
    expect(sectionTexts(on)).toContain('🚀 Boosted: +3 from Li, +5 from &lt;!channel&gt; Bo');
    expect(on.at(-1)).toMatchObject({
      type: 'actions',
      elements: [{ type: 'button', action_id: 'plaudit_boost', value: '1' }],
    });
    const off = announcementBlocks(kudos('the launch'), new Map(), { boosts, boostable: false });
    expect(off.some((block) => block.type === 'actions')).toBe(false);
    // A kudos not boosted yet shows no boosts line.
    const fresh = announcementBlocks(kudos('x'), new Map(), { boosts: [], boostable: true });
    expect(sectionTexts(fresh).some((text) => text.includes('Boosted'))).toBe(false);
  });
});
