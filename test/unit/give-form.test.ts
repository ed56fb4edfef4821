import { describe, expect, it } from 'vitest';
import { giveFormText } from '../../src/recognition/grammar/give-form.ts';
import { parseGive } from '../../src/recognition/grammar/give-grammar.ts';

/** What the router hands the grammar: the text after `give`. */
const parsed = (text: string) => parseGive(text.replace(/^give /, ''));

describe('giveFormText', () => {
  const form = { recipients: ['<@U1>', '<@U2>'], amount: '10', value: '', reason: '' };

  it('writes a give command the grammar reads back field by field', () => {
    const text = giveFormText({ ...form, value: 'teamwork', reason: 'the docs' });
    expect(text).toBe('give <@U1> <@U2> 10 for the docs #teamwork');
    expect(parsed(text)).toEqual({
      recipients: [
        { kind: 'slack_user', userId: 'U1' },
        { kind: 'slack_user', userId: 'U2' },
      ],
      amount: 10,
      reason: 'the docs #teamwork',
      values: ['teamwork'],
      private: false,
    });
  });

  it('writes a ticked private box as the private keyword, read back as a private kudos', () => {
    const text = giveFormText({ ...form, reason: 'the private beta', private: true });
    expect(text).toBe('give private <@U1> <@U2> 10 for the private beta');
    expect(parsed(text)).toMatchObject({ amount: 10, reason: 'the private beta', private: true });
    expect(parsed(giveFormText({ ...form, reason: 'the private beta' }))).toMatchObject({
      private: false,
    });
  });

  it('adds the picked value unless the reason already names it as a whole hashtag', () => {
    expect(
      parsed(giveFormText({ ...form, value: 'teamwork', reason: 'great #TeamWork' })),
    ).toMatchObject({
      values: ['teamwork'],
      reason: 'great #TeamWork',
    });
    // "#teamworking" is another hashtag: the picked value is still added.
    expect(
      parsed(giveFormText({ ...form, value: 'teamwork', reason: 'great #teamworking' })),
    ).toMatchObject({
      values: ['teamworking', 'teamwork'],
    });
    // A "#" inside a word is no hashtag at all.
    expect(
      parsed(giveFormText({ ...form, value: 'teamwork', reason: 'R&D#teamwork' })),
    ).toMatchObject({
      values: ['teamwork'],
    });
  });

  it('does not give a reason that starts with "for" a second one', () => {
    const text = giveFormText({ ...form, amount: '', reason: 'For the fix' });
    expect(text).toBe('give <@U1> <@U2> For the fix');
    expect(parsed(text)).toMatchObject({ amount: null, reason: 'the fix' });
    expect(parsed(giveFormText({ ...form, reason: 'format fixes' }))).toMatchObject({
      reason: 'format fixes',
    });
  });

  it('keeps a reason that starts with a number out of the amount', () => {
    expect(parsed(giveFormText({ ...form, amount: '', reason: '5 stars' }))).toMatchObject({
      amount: null,
      reason: '5 stars',
    });
  });

  it('leaves out what was not filled in', () => {
    expect(giveFormText({ ...form, amount: ' ', value: ' ', reason: ' ' })).toBe(
      'give <@U1> <@U2>',
    );
    expect(giveFormText({ ...form, amount: '', value: '#kindness', reason: '' })).toBe(
      'give <@U1> <@U2> for #kindness',
    );
  });
});
