import { describe, expect, it } from 'vitest';
import type { KudosGiven, Reply } from '../../src/core/reply.ts';
import {
  type GiveParseRefusal,
  type GiveRequest,
  parseGive,
} from '../../src/recognition/grammar/give-grammar.ts';
import {
  celebrationCard,
  GIVE_KUDOS_VERB,
  type GiveKudosSubmission,
  giveKudosCard,
  replyCard,
  submissionAsCommand,
} from '../../src/teams/teams-cards.ts';

const ANA = '6f1c2d3e-0000-4000-8000-00000000a0a0';
const LI = '7a2b3c4d-0000-4000-8000-00000000b1b1';
const BO = '8b3c4d5e-0000-4000-8000-00000000c2c2';

type Element = Record<string, unknown>;

interface CardContent {
  readonly $schema: string;
  readonly type: string;
  readonly version: string;
  readonly body: Element[];
  readonly actions?: Element[];
}

function contentOf(attachment: { contentType: string; content?: unknown }): CardContent {
  expect(attachment.contentType).toBe('application/vnd.microsoft.card.adaptive');
  const content = attachment.content as CardContent;
  expect(content).toMatchObject({
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.5',
  });
  return content;
}

function inputs(content: CardContent): Map<string, Element> {
  return new Map(
    content.body
      .filter((element) => typeof element.id === 'string')
      .map((element) => [element.id as string, element]),
  );
}

/** The submission as the router hands it to the give handler: the `give` word taken off. */
function parsedSubmission(data: GiveKudosSubmission): GiveRequest | GiveParseRefusal {
  const { text, mentions } = submissionAsCommand(data);
  const [first, ...rest] = text.split(' ');
  expect(first).toBe('give');
  return parseGive(rest.join(' '), mentions);
}

const teamsUser = (userId: string) => ({ kind: 'teams_user', userId, name: '' });

describe('submissionAsCommand', () => {
  it('writes the picked people as mentions, then the amount, the reason and the value', () => {
    const { text, mentions } = submissionAsCommand({
      recipients: `${ANA},${LI}`,
      amount: '10',
      value: 'teamwork',
      reason: 'the launch',
    });
    expect(text).toBe(`give <at>${ANA}</at> <at>${LI}</at> 10 for the launch #teamwork`);
    expect(mentions).toEqual([
      { text: `<at>${ANA}</at>`, userId: ANA, name: '' },
      { text: `<at>${LI}</at>`, userId: LI, name: '' },
    ]);
  });

  it('parses to the picked people in order, the amount, the reason and the value', () => {
    expect(
      parsedSubmission({
        recipients: `${LI}, ${ANA} ,${BO}`,
        amount: '10',
        value: 'teamwork',
        reason: 'the launch',
      }),
    ).toEqual({
      recipients: [teamsUser(LI), teamsUser(ANA), teamsUser(BO)],
      amount: 10,
      reason: 'the launch #teamwork',
      values: ['teamwork'],
    });
  });

  it('skips spaces and empty items between the ids', () => {
    const { mentions } = submissionAsCommand({ recipients: ` ${ANA} ,, ,${LI}, ` });
    expect(mentions.map((mention) => mention.userId)).toEqual([ANA, LI]);
  });

  it('takes an amount sent as a number', () => {
    expect(parsedSubmission({ recipients: ANA, amount: 7, reason: 'x' })).toMatchObject({
      amount: 7,
    });
  });

  it('leaves the amount to the default when there is none', () => {
    const { text } = submissionAsCommand({ recipients: ANA, amount: '  ', reason: 'help' });
    expect(text).toBe(`give <at>${ANA}</at> for help`);
    expect(parsedSubmission({ recipients: ANA, reason: 'help' })).toEqual({
      recipients: [teamsUser(ANA)],
      amount: null,
      reason: 'help',
      values: [],
    });
  });

  it('does not add the value again when the reason already names it, in any case', () => {
    const data = { recipients: ANA, amount: '5', value: 'teamwork', reason: 'great #TeamWork!' };
    expect(submissionAsCommand(data).text).toBe(`give <at>${ANA}</at> 5 for great #TeamWork!`);
    expect(parsedSubmission(data)).toMatchObject({ values: ['teamwork'] });
  });

  it('adds the value after the hashtags the reason already has', () => {
    const data = { recipients: ANA, amount: '5', value: 'Ownership', reason: 'the fix #speed' };
    expect(submissionAsCommand(data).text).toBe(
      `give <at>${ANA}</at> 5 for the fix #speed #Ownership`,
    );
    expect(parsedSubmission(data)).toMatchObject({ values: ['speed', 'ownership'] });
  });

  it('is just the tag when there is no reason', () => {
    const data = { recipients: ANA, amount: '5', value: 'teamwork', reason: '   ' };
    expect(submissionAsCommand(data).text).toBe(`give <at>${ANA}</at> 5 for #teamwork`);
    expect(parsedSubmission(data)).toEqual({
      recipients: [teamsUser(ANA)],
      amount: 5,
      reason: '#teamwork',
      values: ['teamwork'],
    });
  });

  it('is the people alone when nothing else was filled in', () => {
    expect(submissionAsCommand({ recipients: ANA, value: '', reason: '' }).text).toBe(
      `give <at>${ANA}</at>`,
    );
  });

  it('names nobody when no one was picked, so the grammar asks who', () => {
    const { text, mentions } = submissionAsCommand({ amount: '5', reason: 'help' });
    expect(text).toBe('give 5 for help');
    expect(mentions).toEqual([]);
    expect(parsedSubmission({ amount: '5', reason: 'help' })).toEqual({
      ok: false,
      code: 'usage',
      message: 'Say who the kudos is for.',
    });
  });

  it('trims the reason and the value', () => {
    const data = { recipients: ANA, amount: ' 3 ', value: ' craft ', reason: '  tidy code  ' };
    expect(submissionAsCommand(data).text).toBe(`give <at>${ANA}</at> 3 for tidy code #craft`);
  });

  it('keeps a reason that starts with a number in the reason', () => {
    expect(
      parsedSubmission({ recipients: ANA, amount: '5', reason: '2 hours of pairing' }),
    ).toMatchObject({ amount: 5, reason: '2 hours of pairing' });
  });

  it('lets the grammar refuse an amount that is no whole number', () => {
    expect(parsedSubmission({ recipients: ANA, amount: '2.5', reason: 'x' })).toEqual({
      ok: false,
      code: 'usage',
      message: 'Points are whole numbers, like 10.',
    });
    expect(parsedSubmission({ recipients: ANA, amount: '-3', reason: 'x' })).toMatchObject({
      ok: false,
      code: 'usage',
      message: 'Kudos add points; the amount cannot be negative.',
    });
  });

  it('gives the same person picked twice once', () => {
    expect(parsedSubmission({ recipients: `${ANA},${ANA}`, amount: '1' })).toMatchObject({
      recipients: [teamsUser(ANA)],
    });
  });
});

describe('replyCard', () => {
  const reply = (blocks: Reply['blocks']): Reply => ({
    text: 'fallback',
    blocks,
    visibility: 'private',
    outcome: 'ok',
    events: [],
  });

  it('maps each block kind to its card element, in order', () => {
    const content = contentOf(
      replyCard(
        reply([
          { kind: 'heading', text: 'Your balance' },
          { kind: 'text', text: 'You have 40 points to give.' },
          {
            kind: 'fields',
            fields: [
              { label: 'To give', value: '40' },
              { label: 'Earned', value: '12' },
            ],
          },
          { kind: 'list', items: ['Ana: 10', 'Li: 5'] },
          { kind: 'context', text: 'Resets Mon 1 Dec' },
        ]),
      ),
    );
    expect(content.body).toEqual([
      { type: 'TextBlock', text: 'Your balance', wrap: true, size: 'Large', weight: 'Bolder' },
      { type: 'TextBlock', text: 'You have 40 points to give.', wrap: true },
      {
        type: 'FactSet',
        facts: [
          { title: 'To give', value: '40' },
          { title: 'Earned', value: '12' },
        ],
      },
      {
        type: 'Container',
        items: [
          { type: 'TextBlock', text: '• Ana: 10', wrap: true, spacing: 'Small' },
          { type: 'TextBlock', text: '• Li: 5', wrap: true, spacing: 'Small' },
        ],
      },
      { type: 'TextBlock', text: 'Resets Mon 1 Dec', wrap: true, isSubtle: true, size: 'Small' },
    ]);
    expect(content.actions).toBeUndefined();
  });

  it('escapes Markdown in what people wrote', () => {
    const content = contentOf(
      replyCard(
        reply([
          { kind: 'text', text: '*bold* _it_ `code` [link](x) # h > q ~s~ a\\b' },
          { kind: 'heading', text: '**Ana**' },
          { kind: 'list', items: ['_Li_'] },
          { kind: 'context', text: '#teamwork' },
        ]),
      ),
    );
    expect(content.body.map((element) => element.text)).toEqual([
      '\\*bold\\* \\_it\\_ \\`code\\` \\[link\\](x) \\# h \\> q \\~s\\~ a\\\\b',
      '\\*\\*Ana\\*\\*',
      undefined,
      '\\#teamwork',
    ]);
    expect(content.body[2]?.items).toEqual([
      { type: 'TextBlock', text: '• \\_Li\\_', wrap: true, spacing: 'Small' },
    ]);
  });

  it('leaves plain text as it is', () => {
    const content = contentOf(
      replyCard(reply([{ kind: 'text', text: "Ana's 10 points (thanks!)" }])),
    );
    expect(content.body[0]?.text).toBe("Ana's 10 points (thanks!)");
  });

  it('is an empty card for a reply without blocks', () => {
    expect(contentOf(replyCard(reply([]))).body).toEqual([]);
  });
});

describe('celebrationCard', () => {
  const kudos = (overrides: Partial<KudosGiven> = {}): KudosGiven => ({
    kind: 'kudos_given',
    recognitionId: 1,
    organizationId: 1,
    giver: { memberId: 1, name: 'Bo' },
    recipients: [{ memberId: 2, name: 'Ana' }],
    amountEach: 10,
    message: 'the launch #teamwork',
    values: ['teamwork'],
    channel: null,
    ...overrides,
  });

  it('names the giver, the recipient and the points, then the message', () => {
    expect(contentOf(celebrationCard(kudos())).body).toEqual([
      { type: 'TextBlock', text: '🎉 Kudos!', wrap: true, size: 'Large', weight: 'Bolder' },
      { type: 'TextBlock', text: 'Bo gave Ana 10 points', wrap: true, weight: 'Bolder' },
      { type: 'TextBlock', text: 'the launch \\#teamwork', wrap: true, spacing: 'Small' },
    ]);
  });

  it('lists several recipients and says one point in the singular', () => {
    const content = contentOf(
      celebrationCard(
        kudos({
          recipients: [
            { memberId: 2, name: 'Ana' },
            { memberId: 3, name: 'Li' },
            { memberId: 4, name: 'José' },
          ],
          amountEach: 1,
        }),
      ),
    );
    expect(content.body[1]?.text).toBe('Bo gave Ana, Li and José 1 point');
  });

  it('joins two recipients with "and"', () => {
    const content = contentOf(
      celebrationCard(
        kudos({
          recipients: [
            { memberId: 2, name: 'Ana' },
            { memberId: 3, name: 'Li' },
          ],
        }),
      ),
    );
    expect(content.body[1]?.text).toBe('Bo gave Ana and Li 10 points');
  });

  it('shows the boosts as text, and a Boost action that unfolds the amount while boosts are on', () => {
    const boosts = [
      { giverName: 'Li', amountEach: 3 },
      { giverName: '*José*', amountEach: 5 },
    ];
    const on = contentOf(celebrationCard(kudos(), { boosts, boostable: true }));
    expect(on.body.at(-1)).toMatchObject({
      type: 'TextBlock',
      text: '🚀 Boosted: +3 from Li, +5 from \\*José\\*',
    });
    expect(on.actions).toEqual([
      {
        type: 'Action.ShowCard',
        title: '🚀 Boost',
        card: {
          type: 'AdaptiveCard',
          body: [
            {
              type: 'Input.Number',
              id: 'boostAmount',
              label: 'Points of your own to add',
              min: 1,
              value: 10,
            },
          ],
          actions: [
            {
              type: 'Action.Submit',
              title: 'Boost',
              data: { verb: 'boost_kudos', recognitionId: 1 },
            },
          ],
        },
      },
    ]);
    const off = contentOf(celebrationCard(kudos(), { boosts, boostable: false }));
    expect(off.actions).toBeUndefined();
  });

  it('has no message line when there is no message', () => {
    const content = contentOf(celebrationCard(kudos({ message: '' })));
    expect(content.body).toHaveLength(2);
  });

  it('escapes Markdown in names and the message', () => {
    const content = contentOf(
      celebrationCard(
        kudos({
          giver: { memberId: 1, name: '*Bo*' },
          recipients: [{ memberId: 2, name: 'Ana_Silva' }],
          message: '**huge** help',
        }),
      ),
    );
    expect(content.body.map((element) => element.text)).toEqual([
      '🎉 Kudos!',
      '\\*Bo\\* gave Ana\\_Silva 10 points',
      '\\*\\*huge\\*\\* help',
    ]);
  });
});

describe('giveKudosCard', () => {
  const values = ['teamwork', 'ownership'];

  it('has a people picker over the directory, many at once', () => {
    const picker = inputs(
      contentOf(giveKudosCard({ values, defaultAmount: 10, maxReasonLength: 1000 })),
    ).get('recipients');
    expect(picker).toMatchObject({
      type: 'Input.ChoiceSet',
      isMultiSelect: true,
      isRequired: true,
      choices: [],
      'choices.data': { type: 'Data.Query', dataset: 'graph.microsoft.com/users' },
    });
  });

  it('asks for the amount, starting at the default', () => {
    const content = contentOf(giveKudosCard({ values, defaultAmount: 7, maxReasonLength: 1000 }));
    expect(inputs(content).get('amount')).toMatchObject({
      type: 'Input.Number',
      min: 1,
      value: 7,
    });
  });

  it('offers the company values as hashtags', () => {
    const content = contentOf(giveKudosCard({ values, defaultAmount: 10, maxReasonLength: 1000 }));
    expect(inputs(content).get('value')).toMatchObject({
      type: 'Input.ChoiceSet',
      choices: [
        { title: '#teamwork', value: 'teamwork' },
        { title: '#ownership', value: 'ownership' },
      ],
    });
    expect(inputs(content).get('value')?.isMultiSelect).toBeUndefined();
  });

  it('has no value field when the organization has no values', () => {
    const content = contentOf(
      giveKudosCard({ values: [], defaultAmount: 10, maxReasonLength: 1000 }),
    );
    expect([...inputs(content).keys()]).toEqual(['recipients', 'amount', 'reason']);
  });

  it('puts the fields in order: people, amount, value, reason', () => {
    const content = contentOf(giveKudosCard({ values, defaultAmount: 10, maxReasonLength: 1000 }));
    expect([...inputs(content).keys()]).toEqual(['recipients', 'amount', 'value', 'reason']);
    expect(inputs(content).get('reason')).toMatchObject({ type: 'Input.Text', isMultiline: true });
  });

  it("stops the reason at the organization's longest", () => {
    const content = contentOf(giveKudosCard({ values, defaultAmount: 10, maxReasonLength: 280 }));
    expect(inputs(content).get('reason')?.maxLength).toBe(280);
  });

  it('submits with the give-kudos verb', () => {
    const content = contentOf(giveKudosCard({ values, defaultAmount: 10, maxReasonLength: 1000 }));
    expect(GIVE_KUDOS_VERB).toBe('give_kudos');
    expect(content.actions).toEqual([
      { type: 'Action.Submit', title: 'Give kudos', data: { verb: 'give_kudos' } },
    ]);
  });

  it('turns what it submits back into the command', () => {
    // Input ids are the submission's keys; the verb rides along and is ignored.
    const submitted = {
      verb: GIVE_KUDOS_VERB,
      recipients: `${ANA},${LI}`,
      amount: '10',
      value: 'ownership',
      reason: 'the fix',
    };
    const ids = [
      ...inputs(
        contentOf(giveKudosCard({ values, defaultAmount: 10, maxReasonLength: 1000 })),
      ).keys(),
    ];
    expect(ids.every((id) => id in submitted)).toBe(true);
    expect(parsedSubmission(submitted)).toEqual({
      recipients: [teamsUser(ANA), teamsUser(LI)],
      amount: 10,
      reason: 'the fix #ownership',
      values: ['ownership'],
    });
  });
});
