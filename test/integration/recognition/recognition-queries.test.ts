import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/database.ts';
import { openTestDatabase } from '../../support/databases.ts';
import { createRecognitionFixture } from '../../support/recognition-fixture.ts';

describe('balance, leaderboard, history, values and help on postgres', () => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase('postgres');
  });
  afterAll(async () => {
    await db?.destroy();
  });

  it('answer from what was given', async () => {
    const f = await createRecognitionFixture(db, {
      members: { Ana: {}, Li: {}, José: {} },
      values: ['teamwork', 'kindness'],
      settings: { allowance_cadence: 'weekly' },
    });
    expect((await f.kudos('Ana', '@Li @José 10 for the launch #teamwork')).outcome).toBe('ok');
    expect((await f.kudos('Li', '@José 5 for the review #Kindness #teamwork')).outcome).toBe('ok');
    expect((await f.kudos('José', '@Li 3 for lunch')).outcome).toBe('ok');

    const board = await f.kudos('Ana', 'leaderboard');
    expect(board.text.split('\n')).toEqual([
      'Leaderboard, this week',
      'Most recognized:',
      '1. José — 15 points',
      '2. Li — 13 points',
      'Most generous:',
      '1. Ana — 20 points',
      '2. Li — 5 points',
      '3. José — 3 points',
      'Values:',
      '1. teamwork — 2 recognitions',
      '2. kindness — 1 recognition',
    ]);
    expect((await f.kudos('Ana', 'leaderboard all')).text).toMatch(/^Leaderboard, all time\n/);
    expect(await f.kudos('Ana', 'leaderboard decade')).toMatchObject({
      outcome: 'usage',
      text: 'Pick week, month, quarter or all: /kudos leaderboard month',
    });

    const balance = await f.kudos('Li', 'balance');
    expect(balance.text).toMatch(
      /^You have 95 points left to give this week \(of 100; resets Mon \d{1,2} \w{3}\)\. You have earned 13 points to spend\.$/,
    );
    const history = await f.kudos('Li', 'history');
    expect(
      history.text.split('\n').map((line) => line.replace(/^\w{3} \d{1,2} \w{3} — /, '')),
    ).toEqual([
      'Your recent kudos:',
      'José gave you 3: lunch',
      'you gave José 5: the review #Kindness #teamwork',
      'Ana gave you 10: the launch #teamwork',
    ]);
    expect((await f.kudos('Ana', 'values')).text).toBe('Company values: #kindness, #teamwork');
    const help = await f.kudos('Ana', 'HELP');
    for (const word of ['balance', 'leaderboard', 'history', 'values', 'help']) {
      expect(help.text).toContain(`/kudos ${word}`);
    }
    expect(await f.kudos('Ana', '')).toMatchObject({ outcome: 'usage' });
  });
});
