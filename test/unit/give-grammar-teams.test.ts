import { describe, expect, it } from 'vitest';
import {
  type MentionEntity,
  parseGive,
  type RecipientRef,
} from '../../src/recognition/grammar/give-grammar.ts';

const teamsUser = (userId: string, name: string): RecipientRef => ({
  kind: 'teams_user',
  userId,
  name,
});

const ANA_SILVA: MentionEntity = { text: '<at>Ana</at>', userId: '29:ana1', name: 'Ana Silva' };
const ANA_COSTA: MentionEntity = { text: '<at>Ana</at>', userId: '29:ana2', name: 'Ana Costa' };
const LI: MentionEntity = { text: '<at>Li</at>', userId: '29:li', name: 'Li Wei' };
const BO: MentionEntity = { text: '<at>Bo</at>', userId: '29:bo', name: 'Bo Berg' };

describe('parseGive with Teams mentions', () => {
  it('gives two people shown with the same name as two recipients, in order', () => {
    expect(parseGive('<at>Ana</at> <at>Ana</at> 5 for help', [ANA_SILVA, ANA_COSTA])).toEqual({
      recipients: [teamsUser('29:ana1', 'Ana Silva'), teamsUser('29:ana2', 'Ana Costa')],
      amount: 5,
      reason: 'help',
      values: [],
      private: false,
    });
    expect(parseGive('<at>Ana</at> and <at>Ana</at> 5', [ANA_COSTA, ANA_SILVA])).toMatchObject({
      recipients: [teamsUser('29:ana2', 'Ana Costa'), teamsUser('29:ana1', 'Ana Silva')],
    });
  });

  it('matches each tag to the entity with its text, not to the next entity', () => {
    expect(parseGive('<at>Li</at> <at>Ana</at> 3', [ANA_SILVA, LI])).toMatchObject({
      recipients: [teamsUser('29:li', 'Li Wei'), teamsUser('29:ana1', 'Ana Silva')],
      amount: 3,
    });
  });

  it('gives the same person mentioned twice once', () => {
    const again = { ...ANA_SILVA, text: '<at>Ana Silva</at>' };
    expect(parseGive('<at>Ana</at>, <at>Ana Silva</at> 5 for x', [ANA_SILVA, again])).toEqual({
      recipients: [teamsUser('29:ana1', 'Ana Silva')],
      amount: 5,
      reason: 'x',
      values: [],
      private: false,
    });
    expect(parseGive('<at>Ana</at> <at>Ana</at> 5', [ANA_SILVA, ANA_SILVA])).toMatchObject({
      recipients: [teamsUser('29:ana1', 'Ana Silva')],
    });
  });

  it('refuses a mention no entity names', () => {
    expect(parseGive('<at>X</at> 5 for help', [LI])).toEqual({
      ok: false,
      code: 'usage',
      message: 'I could not tell who X is; pick them from the mention list.',
    });
  });

  it('refuses a second tag once its one entity is used up', () => {
    expect(parseGive('<at>Ana</at> <at>Ana</at> 5', [ANA_SILVA])).toEqual({
      ok: false,
      code: 'usage',
      message: 'I could not tell who Ana is; pick them from the mention list.',
    });
  });

  it('refuses a mention among recipients even after good ones', () => {
    expect(parseGive('<at>Li</at> and <at>Zed</at> 5', [LI])).toMatchObject({
      ok: false,
      code: 'usage',
      message: 'I could not tell who Zed is; pick them from the mention list.',
    });
  });

  it('reads a mention in the reason as the name it shows', () => {
    expect(parseGive('<at>Li</at> 5 for helping <at>Bo</at>', [LI, BO])).toEqual({
      recipients: [teamsUser('29:li', 'Li Wei')],
      amount: 5,
      reason: 'helping Bo',
      values: [],
      private: false,
    });
  });

  it('reads a mention in the reason even without its entity', () => {
    expect(parseGive('<at>Li</at> 5 for helping <at>Bo</at> #teamwork', [LI])).toEqual({
      recipients: [teamsUser('29:li', 'Li Wei')],
      amount: 5,
      reason: 'helping Bo #teamwork',
      values: ['teamwork'],
      private: false,
    });
  });

  it('matches an entity whose text has a non-breaking space to the normalized text', () => {
    const entity = { text: '<at>Ana\u00A0Silva</at>', userId: '29:ana1', name: 'Ana Silva' };
    for (const text of ['<at>Ana\u00A0Silva</at> 5', '<at>Ana Silva</at> 5']) {
      expect(parseGive(text, [entity])).toEqual({
        recipients: [teamsUser('29:ana1', 'Ana Silva')],
        amount: 5,
        reason: '',
        values: [],
        private: false,
      });
    }
  });

  it('takes an amount written before the mentions', () => {
    expect(parseGive('10 <at>Li</at> for x', [LI])).toEqual({
      recipients: [teamsUser('29:li', 'Li Wei')],
      amount: 10,
      reason: 'x',
      values: [],
      private: false,
    });
    expect(parseGive('10 <at>Li</at> and <at>Bo</at> for x', [LI, BO])).toMatchObject({
      recipients: [teamsUser('29:li', 'Li Wei'), teamsUser('29:bo', 'Bo Berg')],
      amount: 10,
      reason: 'x',
    });
  });

  it('reads a mention after "amount recipient" as part of the reason', () => {
    // Recipients sit on one side of the amount, so this Bo is the reason's.
    expect(parseGive('<at>Li</at> 10 <at>Bo</at>', [LI, BO])).toEqual({
      recipients: [teamsUser('29:li', 'Li Wei')],
      amount: 10,
      reason: 'Bo',
      values: [],
      private: false,
    });
  });

  it('does not read escaped tags as mentions', () => {
    expect(parseGive('&lt;at&gt;Ana&lt;/at&gt; 5', [ANA_SILVA])).toMatchObject({
      ok: false,
      code: 'usage',
    });
  });
});
