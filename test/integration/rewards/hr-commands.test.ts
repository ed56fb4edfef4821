import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/database.ts';
import { openTestDatabase } from '../../support/databases.ts';
import { createRewardsFixture, type RewardsFixture } from '../../support/rewards-fixture.ts';
import { rewardsSnapshot } from '../../support/rewards-invariants.ts';

describe('HR’s catalog, settings and queue commands', () => {
  let db: Database;
  const fixtures: RewardsFixture[] = [];
  beforeAll(async () => {
    db = await openTestDatabase('postgres');
  });
  afterAll(async () => {
    await Promise.all(fixtures.map((f) => f.jobs.close()));
    await db?.destroy();
  });

  async function organization() {
    const f = await createRewardsFixture(db, {
      members: { Ana: {}, Hal: { roles: ['member', 'hr'] } },
    });
    fixtures.push(f);
    return f;
  }

  /** HR runs a command that is refused (or answered with usage) and nothing changes. */
  async function expectUnchanged(f: RewardsFixture, text: string) {
    const before = await rewardsSnapshot(f);
    const reply = await f.command('Hal', text);
    expect(reply.outcome, reply.text).not.toBe('ok');
    expect(await rewardsSnapshot(f)).toEqual(before);
    return reply;
  }

  it('adds, edits and retires rewards; the catalog shows what members may redeem', async () => {
    const f = await organization();
    expect((await f.command('Ana', 'rewards')).text).toBe(
      'There are no rewards in the catalog yet; HR adds them.',
    );
    const added = await f.command(
      'Hal',
      'hr reward add name="Coffee voucher" cost=200 price=5 stock=20 description=“A flat white”',
    );
    const id = Number(/#(\d+)/.exec(added.text)?.[1]);
    expect(added.text).toBe(
      `Added to the catalog: #${id} Coffee voucher: 200 points, 20 left (A flat white), priced 5.00 EUR.`,
    );
    const gift = await f.command(
      'Hal',
      'HR reward ADD name=Gift cost=10 price=0.5 webhook=https://hooks.example/gift?x=1',
    );
    expect(gift.outcome, gift.text).toBe('ok');
    const giftId = Number(/#(\d+)/.exec(gift.text)?.[1]);
    expect(await f.desk.catalog.find(f.organizationId, giftId)).toMatchObject({
      value: {
        fulfilment: 'webhook',
        webhookUrl: 'https://hooks.example/gift?x=1',
        priceMinor: 50,
      },
    });
    const catalog = await f.command('Ana', 'rewards');
    expect(catalog.text).toBe(
      [
        `#${id} Coffee voucher: 200 points, 20 left (A flat white)`,
        `#${giftId} Gift: 10 points`,
      ].join('\n'),
    );
    expect(catalog.blocks).toContainEqual({
      kind: 'actions',
      actions: [
        { label: 'Redeem Coffee voucher', command: `redeem #${id}` },
        { label: 'Redeem Gift', command: `redeem #${giftId}` },
      ],
    });

    const edited = await f.command(
      'Hal',
      `hr reward edit ${id} stock=unlimited cost=250 webhook=none`,
    );
    expect(edited.text).toBe(
      `Changed: #${id} Coffee voucher: 250 points (A flat white), priced 5.00 EUR.`,
    );
    expect((await f.command('Hal', `hr reward edit ${giftId} active=no`)).outcome).toBe('ok');
    // An inactive reward is not offered.
    expect((await f.command('Ana', 'rewards')).text).toBe(
      `#${id} Coffee voucher: 250 points (A flat white)`,
    );

    expect((await f.command('Hal', `hr reward retire ${id}`)).text).toBe(
      '“Coffee voucher” is retired; past redemptions keep it.',
    );
    expect((await expectUnchanged(f, `hr reward retire ${id}`)).code).toBe('retired_item');
    expect((await expectUnchanged(f, `hr reward edit ${id} cost=1`)).text).toBe(
      '“Coffee voucher” was retired and can no longer change.',
    );
    // Its name is free again for a new reward.
    expect(
      (await f.command('Hal', 'hr reward add name="coffee voucher" cost=1 price=1')).outcome,
    ).toBe('ok');
  });

  it('refuses a reward it cannot make sense of, saying what is wrong', async () => {
    const f = await organization();
    await f.item({ name: 'Mug' });
    const refusals: Array<[string, string]> = [
      [
        'hr reward add name=Pen cost=10',
        'A new reward needs a name, a cost in points and a price.',
      ],
      [
        'hr reward add name=Pen cost=ten price=1',
        'The cost is a whole number of points, like cost=200.',
      ],
      [
        'hr reward add name=Pen cost=0 price=1',
        'The points cost is a whole number from 1 to 1,000,000,000.',
      ],
      [
        'hr reward add name=Pen cost=1 price=1.005',
        'The price is an amount in EUR, like price=25 or price=25.50.',
      ],
      [
        'hr reward add name=Pen cost=1 price=-1',
        'The price is an amount in EUR, like price=25 or price=25.50.',
      ],
      [
        'hr reward add name=Pen cost=1 price=1 stock=-1',
        'The stock is a whole number, or stock=unlimited.',
      ],
      ['hr reward add name=Pen cost=1 price=1 active=maybe', 'Say active=yes or active=no.'],
      [
        'hr reward add name=Pen cost=1 price=1 webhook=ftp://x',
        'The webhook is an http:// or https:// address.',
      ],
      [
        `hr reward add name=Pen cost=1 price=1 webhook=https://x.example/${'a'.repeat(2100)}`,
        'A webhook address is at most 2,048 characters; this one is 2,118.',
      ],
      [
        'hr reward add name=Pen cost=1 price=1 colour=red',
        'I do not know “colour”; use name, description, cost, price, stock, webhook, active.',
      ],
      [
        'hr reward add name=MUG cost=1 price=1',
        'There is already a reward called “MUG”; pick another name.',
      ],
      [
        'hr reward add name="Pen cost=1 price=1',
        'I could not read “name="Pen cost=1 price=1”; write key=value, with quotes around words.',
      ],
      [
        'hr reward edit 999999999 cost=1',
        'There is no reward “#999999999”. See the catalog with /kudos rewards.',
      ],
      ['hr reward edit cost=1', 'Name the reward: hr reward edit <id> ….'],
      ['hr reward retire', 'Name the reward: hr reward retire <id>.'],
      ['hr reward polish 1', 'Add, edit or retire a reward.'],
    ];
    for (const [command, sentence] of refusals) {
      // A usage reply goes on with the forms of every HR command; its first line says why.
      const [first] = (await expectUnchanged(f, command)).text.split('\n');
      expect(first, command).toBe(sentence);
    }
  });

  it('refuses a webhook that leads inside the network, however the address is spelled', async () => {
    const f = await organization();
    const gift = await f.item({
      name: 'Gift',
      fulfilment: 'webhook',
      webhookUrl: 'https://hooks.example/gift',
    });
    const refusal = (host: string, kind: string) =>
      `The webhook cannot go to ${host}, ${kind}; use an address on the internet, or ask your operator to allow the host in REWARD_WEBHOOK_ALLOWED_HOSTS.`;
    const metadata = refusal('169.254.169.254', 'a cloud metadata address');
    const refusals: Array<[string, string]> = [
      ['webhook=http://169.254.169.254/latest/meta-data/', metadata],
      ['webhook=http://2852039166/', metadata],
      ['webhook=http://0xA9FEA9FE/', metadata],
      ['webhook=http://0251.0376.0251.0376/', metadata],
      [
        'webhook=http://[::ffff:a9fe:a9fe]/',
        refusal('[::ffff:a9fe:a9fe]', 'a cloud metadata address'),
      ],
      ['webhook=http://[fd00:ec2::254]/', refusal('[fd00:ec2::254]', 'a cloud metadata address')],
      ['webhook=http://[::ffff:127.0.0.1]/', refusal('[::ffff:7f00:1]', 'a loopback address')],
      ['webhook=https://10.1.2.3/hook', refusal('10.1.2.3', 'a private address')],
      ['webhook=http://100.64.0.1/', refusal('100.64.0.1', 'a carrier-grade NAT address')],
      ['webhook=http://localhost:3000/', refusal('localhost', 'this machine (loopback)')],
    ];
    for (const [webhook, sentence] of refusals) {
      for (const command of [
        `hr reward add name=Pen cost=1 price=1 ${webhook}`,
        `hr reward edit ${gift} ${webhook}`,
      ]) {
        const reply = await expectUnchanged(f, command);
        expect(reply.code, command).toBe('invalid_item');
        expect(reply.text, command).toBe(sentence);
      }
    }
    // An address on the internet is taken.
    expect(
      (await f.command('Hal', `hr reward edit ${gift} webhook=https://93.184.215.14/`)).outcome,
    ).toBe('ok');
  });

  it('changes the settings, and refuses each bad value without changing any', async () => {
    const f = await organization();
    expect((await f.command('Hal', 'hr settings')).text).toBe(
      'Rewards settings: a point is worth 0.01 EUR; holds last 14 days; no monthly budget.',
    );
    expect((await f.command('Hal', 'hr settings rate=0.02 budget=250.50 hold-days=3')).text).toBe(
      'Rewards settings: a point is worth 0.02 EUR; holds last 3 days; a monthly budget of 250.50 EUR.',
    );
    const refusals: Array<[string, string]> = [
      ['hr settings rate=2c', 'The rate is the money one point is worth in EUR, like rate=0.01.'],
      ['hr settings budget=-5', 'The budget is an amount in EUR, like budget=500, or budget=none.'],
      ['hr settings hold-days=0', 'Holds last from 1 hour to 365 days.'],
      ['hr settings hold-days=366', 'Holds last from 1 hour to 365 days.'],
      ['hr settings hold-days=1.5', 'Holds last a whole number of days, like hold-days=14.'],
      [
        'hr settings colour=red',
        'I do not know the setting “colour”; use rate, budget or hold-days.',
      ],
      // One bad value refuses the whole change, the good ones before it too.
      [
        'hr settings rate=0.05 budget=lots',
        'The budget is an amount in EUR, like budget=500, or budget=none.',
      ],
    ];
    for (const [command, sentence] of refusals) {
      expect((await expectUnchanged(f, command)).text, command).toBe(sentence);
    }
    expect((await f.command('Hal', 'hr settings budget=none')).text).toBe(
      'Rewards settings: a point is worth 0.02 EUR; holds last 3 days; no monthly budget.',
    );
    // One day is one day, not "1 days" (issue 18).
    expect((await f.command('Hal', 'hr settings hold-days=1')).text).toBe(
      'Rewards settings: a point is worth 0.02 EUR; holds last 1 day; no monthly budget.',
    );
  });

  it('lists the redemptions waiting for a decision, oldest first, with buttons', async () => {
    const f = await organization();
    expect((await f.command('Hal', 'hr pending')).text).toBe(
      'No redemption is waiting for a decision.',
    );
    await f.earn('Ana', 1000);
    const mug = await f.item({ name: 'Mug', pointsCost: 100 });
    const redeem = async (as: string, text: string) =>
      Number(/redemption #(\d+)/.exec((await f.command(as, text)).text)?.[1]);
    const first = await redeem('Ana', 'redeem mug');
    const second = await redeem('Hal', 'hr redeem @Ana Mug');
    const decided = await redeem('Ana', `redeem #${mug}`);
    expect((await f.command('Hal', `hr fulfil ${decided}`)).outcome).toBe('ok');
    const pending = await f.command('Hal', 'hr');
    expect(pending.text).toBe(
      [
        `#${first} Mug, 100 points: waiting for HR, for Ana`,
        `#${second} Mug, 100 points: waiting for HR, for Ana`,
      ].join('\n'),
    );
    expect(pending.blocks).toContainEqual({
      kind: 'actions',
      actions: [
        { label: `Fulfil #${first}`, command: `hr fulfil ${first}`, style: 'primary' },
        {
          label: `Reject #${first}`,
          command: `hr reject ${first} rejected by HR`,
          style: 'danger',
        },
      ],
    });
    // The buttons' commands work as typed.
    expect((await f.command('Hal', `hr reject ${first} rejected by HR`)).outcome).toBe('ok');
    expect((await expectUnchanged(f, 'hr nonsense')).text).toMatch(
      /^There is no HR command “nonsense”\./,
    );
  });
});
