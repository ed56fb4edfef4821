import type { Activity, Entity } from 'botbuilder';
import { describe, expect, it } from 'vitest';
import { parseGive } from '../../src/recognition/grammar/give-grammar.ts';
import { commandText, mentionedPeople } from '../../src/teams/teams-text.ts';

const BOT = { id: '28:bot', name: 'Plaudit' };

const message = (text: string | undefined, entities: Entity[] = []): Partial<Activity> => ({
  type: 'message',
  text,
  entities,
  recipient: BOT,
});

const mention = (text: string, id: string, name?: string): Entity => ({
  type: 'mention',
  text,
  mentioned: name === undefined ? { id } : { id, name },
});

describe('commandText', () => {
  it.each([
    ['the bot mention already stripped, leaving a leading space', ' give 5', 'give 5'],
    ['surrounding whitespace and newlines', '\n  balance \r\n', 'balance'],
    ['runs of spaces and tabs inside', 'give\t\t<at>Li</at>   5', 'give <at>Li</at> 5'],
    ['&nbsp; as a space', 'give&nbsp;<at>Li</at>&nbsp;&nbsp;5', 'give <at>Li</at> 5'],
    ['&amp; as an ampersand', 'for R&amp;D', 'for R&D'],
    ['&quot; as a double quote', '@&quot;Ana Silva&quot; 5', '@"Ana Silva" 5'],
    ['&#39; as an apostrophe', 'for Ana&#39;s fix', "for Ana's fix"],
    ['&apos; as an apostrophe', 'for Ana&apos;s fix', "for Ana's fix"],
    [
      '<p> paragraphs as spaces',
      '<p>give <at>Li</at></p><p>5 for x</p>',
      'give <at>Li</at> 5 for x',
    ],
    ['<br> line breaks in all their spellings', 'a<br>b<br/>c<br />d<BR>e', 'a b c d e'],
    [
      '<div> and <span> with attributes as spaces',
      '<div class="x">give</div><span style="a">5</span>',
      'give 5',
    ],
  ])('reads %s', (_what, text, expected) => {
    expect(commandText(message(text))).toBe(expected);
  });

  it('keeps <at> tags: they are the mentions', () => {
    expect(commandText(message('<p><at>Ana Silva</at> and <at>Li</at> 5</p>'))).toBe(
      '<at>Ana Silva</at> and <at>Li</at> 5',
    );
  });

  it('is empty for a message without text', () => {
    expect(commandText(message(undefined))).toBe('');
    expect(commandText({})).toBe('');
    expect(commandText(message('<p>&nbsp;</p><br>'))).toBe('');
  });

  it('decodes &lt; and &gt;, so "5 &lt; 6" reads as written', () => {
    expect(commandText(message('&lt;at&gt;Ana&lt;/at&gt; 5 for 5 &lt; 6'))).toBe(
      '<at>Ana</at> 5 for 5 < 6',
    );
  });

  it('decodes once, so an escaped escape does not turn into a tag', () => {
    expect(commandText(message('&amp;lt;at&amp;gt;Ana&amp;lt;/at&amp;gt;'))).toBe(
      '&lt;at&gt;Ana&lt;/at&gt;',
    );
    expect(commandText(message('&amp;nbsp;'))).toBe('&nbsp;');
  });

  it('leaves entities it does not know as written', () => {
    expect(commandText(message('5 &gt; 3 &copy; &#60;'))).toBe('5 > 3 &copy; &#60;');
  });

  it('gives text in which a typed mention tag names nobody: only Teams sends entities', () => {
    const text = commandText(message('&lt;at&gt;Ana&lt;/at&gt; 5'));
    expect(text).toBe('<at>Ana</at> 5');
    expect(parseGive(text, [])).toMatchObject({
      ok: false,
      code: 'usage',
      message: 'I could not tell who Ana is; pick them from the mention list.',
    });
  });
});

describe('mentionedPeople', () => {
  it('lists the people mentioned, in order, with their ids and names', () => {
    const activity = message('<at>Li Wei</at> <at>Ana</at> 5', [
      mention('<at>Li Wei</at>', '29:li', 'Li Wei'),
      mention('<at>Ana</at>', '29:ana', 'Ana Silva'),
    ]);
    expect(mentionedPeople(activity)).toEqual([
      { text: '<at>Li Wei</at>', userId: '29:li', name: 'Li Wei' },
      { text: '<at>Ana</at>', userId: '29:ana', name: 'Ana Silva' },
    ]);
  });

  it("leaves out the bot's own mention, wherever it is", () => {
    const activity = message('<at>Li</at> <at>Plaudit</at> <at>Ana</at>', [
      mention('<at>Plaudit</at>', BOT.id, BOT.name),
      mention('<at>Li</at>', '29:li', 'Li'),
      mention('<at>Plaudit</at>', BOT.id, BOT.name),
      mention('<at>Ana</at>', '29:ana', 'Ana'),
    ]);
    expect(mentionedPeople(activity).map((person) => person.userId)).toEqual(['29:li', '29:ana']);
  });

  it('keeps a mention whose id merely resembles the bot id', () => {
    const activity = message('', [mention('<at>Twin</at>', `${BOT.id}x`, 'Twin')]);
    expect(mentionedPeople(activity).map((person) => person.userId)).toEqual([`${BOT.id}x`]);
  });

  it('leaves out entities that are not mentions', () => {
    const activity = message('<at>Li</at> 5', [
      { type: 'clientInfo', locale: 'en-US', country: 'US', platform: 'Web' },
      mention('<at>Li</at>', '29:li', 'Li'),
      { type: 'Mention', text: '<at>Bo</at>', mentioned: { id: '29:bo', name: 'Bo' } },
    ]);
    expect(mentionedPeople(activity)).toEqual([
      { text: '<at>Li</at>', userId: '29:li', name: 'Li' },
    ]);
  });

  it('leaves out malformed mentions: no mentioned, no id or no text', () => {
    const activity = message('', [
      { type: 'mention', text: '<at>Nobody</at>' },
      { type: 'mention', text: '<at>Noid</at>', mentioned: { name: 'Noid' } },
      { type: 'mention', text: '<at>Empty</at>', mentioned: { id: '', name: 'Empty' } },
      { type: 'mention', mentioned: { id: '29:notext', name: 'No Text' } },
      { type: 'mention', text: '', mentioned: { id: '29:emptytext', name: 'Empty Text' } },
      mention('<at>Li</at>', '29:li', 'Li'),
    ]);
    expect(mentionedPeople(activity)).toEqual([
      { text: '<at>Li</at>', userId: '29:li', name: 'Li' },
    ]);
  });

  it("uses the tag's inner text as the name when the entity has none", () => {
    const activity = message('', [mention('<at>Ana Silva</at>', '29:ana')]);
    expect(mentionedPeople(activity)).toEqual([
      { text: '<at>Ana Silva</at>', userId: '29:ana', name: 'Ana Silva' },
    ]);
  });

  it('keeps every mention of the same person: the grammar takes them in order', () => {
    const activity = message('', [
      mention('<at>Ana</at>', '29:ana', 'Ana Silva'),
      mention('<at>Ana Silva</at>', '29:ana', 'Ana Silva'),
    ]);
    expect(mentionedPeople(activity)).toHaveLength(2);
  });

  it('keeps every mention when the activity has no recipient', () => {
    const activity: Partial<Activity> = {
      entities: [mention('<at>Li</at>', '29:li', 'Li')],
    };
    expect(mentionedPeople(activity)).toEqual([
      { text: '<at>Li</at>', userId: '29:li', name: 'Li' },
    ]);
  });

  it('is empty without entities', () => {
    expect(mentionedPeople({ recipient: BOT })).toEqual([]);
    expect(mentionedPeople(message('give 5'))).toEqual([]);
  });

  it('gives what parseGive needs to name the people in the command text', () => {
    // teams-ai has stripped the bot's own mention from the text, but not from the entities.
    const activity = message(' <at>Ana</at>&nbsp;and <at>Ana</at> 5 for help', [
      mention('<at>Plaudit</at>', BOT.id, BOT.name),
      mention('<at>Ana</at>', '29:ana1', 'Ana Silva'),
      mention('<at>Ana</at>', '29:ana2', 'Ana Costa'),
    ]);
    const text = commandText(activity);
    expect(parseGive(text, mentionedPeople(activity))).toEqual({
      recipients: [
        { kind: 'teams_user', userId: '29:ana1', name: 'Ana Silva' },
        { kind: 'teams_user', userId: '29:ana2', name: 'Ana Costa' },
      ],
      amount: 5,
      reason: 'help',
      values: [],
      private: false,
    });
  });
});
