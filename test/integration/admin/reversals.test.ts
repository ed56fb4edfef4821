import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { reverseRecognition } from '../../../src/admin/recognition-reversals.ts';
import type { Reply } from '../../../src/core/reply.ts';
import { type AdminFixture, adminOrganizations } from '../../support/admin-fixture.ts';
import { key } from '../../support/ledger-fixture.ts';
import { assetSums, balancesThatDisagreeWithTransfers } from '../../support/ledger-invariants.ts';

describe('reversals: admins take back a recognition', () => {
  const orgs = adminOrganizations({
    Ada: { roles: ['member', 'admin'] },
    Bo: {},
    Ana: {},
    Li: {},
  });
  const { organization } = orgs;

  /** Bo thanks Ana and Li, 10 each; the recognition's id. */
  async function given(f: AdminFixture, text = '@Ana @Li 10 for the launch'): Promise<number> {
    const reply: Reply = await f.command('Bo', text);
    expect(reply.outcome, reply.text).toBe('ok');
    const id = reply.events[0]?.recognitionId;
    if (id === undefined) throw new Error('no recognition');
    return id;
  }

  const reverse = async (f: AdminFixture, recognitionId: number, idempotencyKey = key('rev')) =>
    reverseRecognition(f.services, await f.actor('Ada'), {
      recognitionId,
      reason: 'given by mistake',
      idempotencyKey,
    });

  async function expectBalanced(f: AdminFixture) {
    for (const sum of await assetSums(orgs.db, f.organizationId)) {
      expect(sum, `${sum.asset} sums to zero`).toMatchObject({ posted: 0, pending: 0 });
    }
    expect(await balancesThatDisagreeWithTransfers(orgs.db, f.organizationId)).toEqual([]);
  }

  it('returns the points from each recipient and the allowance to the giver, deleting nothing', async () => {
    const f = await organization();
    const id = await given(f);
    const kept = await given(f, '@Ana 3 for the coffee');
    expect(await f.balances('Bo')).toMatchObject({ allowance: 77 });
    const transfersBefore = await orgs.db
      .selectFrom('ledger_transfers')
      .selectAll()
      .where('organization_id', '=', f.organizationId)
      .orderBy('id')
      .execute();

    const reversed = await reverse(f, id);
    expect(reversed).toMatchObject({
      ok: true,
      value: {
        recognitionId: id,
        reason: 'given by mistake',
        giverName: 'Bo',
        allowanceReturned: 20,
        recipients: [
          { memberId: f.members.Ana?.id, amount: 10, name: 'Ana' },
          { memberId: f.members.Li?.id, amount: 10, name: 'Li' },
        ],
      },
    });
    expect(await f.balances('Ana')).toMatchObject({ earned: 3 });
    expect(await f.balances('Li')).toMatchObject({ earned: 0 });
    expect(await f.balances('Bo')).toMatchObject({ allowance: 97 });
    await expectBalanced(f);

    // Nothing was edited or deleted: the old transfers stand, and new ones reverse them.
    const transfersAfter = await orgs.db
      .selectFrom('ledger_transfers')
      .selectAll()
      .where('organization_id', '=', f.organizationId)
      .orderBy('id')
      .execute();
    expect(transfersAfter.slice(0, transfersBefore.length)).toEqual(transfersBefore);
    const added = transfersAfter.slice(transfersBefore.length);
    expect(added.map((row) => [row.kind, row.asset, row.amount])).toEqual([
      ['reversal', 'allowance', 10],
      ['reversal', 'points', 10],
      ['reversal', 'allowance', 10],
      ['reversal', 'points', 10],
    ]);
    expect(
      await orgs.db.selectFrom('recognitions').select('id').where('id', '=', id).execute(),
    ).toHaveLength(1);
    const record = await orgs.db
      .selectFrom('recognition_reversals')
      .selectAll()
      .where('recognition_id', '=', id)
      .executeTakeFirstOrThrow();
    expect(record).toMatchObject({
      organization_id: f.organizationId,
      reversed_by_member_id: f.members.Ada?.id,
      reason: 'given by mistake',
    });
    const [entry] = await f.audit();
    expect(entry).toMatchObject({
      action: 'recognition.reverse',
      target: `recognition:${id}`,
      outcome: 'done',
      actorName: 'Ada',
      before: {
        giverId: f.members.Bo?.id,
        recipients: [
          { memberId: f.members.Ana?.id, amount: 10 },
          { memberId: f.members.Li?.id, amount: 10 },
        ],
      },
      after: {
        reason: 'given by mistake',
        ledgerRequestId: record.ledger_request_id,
        pointsReturned: 20,
        allowanceReturned: 20,
      },
    });

    // The leaderboard counts it for nobody; the history shows it as reversed.
    const board = await f.command('Ana', 'leaderboard all');
    expect(board.text.split('\n')).toEqual([
      'Leaderboard, all time',
      'Most recognized:',
      '1. Ana — 3 points',
      'Most generous:',
      '1. Bo — 3 points',
    ]);
    const history = (await f.command('Li', 'history')).text.split('\n');
    expect(history.map((line) => line.replace(/^\w{3} \d{1,2} \w{3} — /, ''))).toEqual([
      'Your recent kudos:',
      'Bo gave you 10: the launch (reversed by an admin)',
    ]);
    expect((await f.command('Ana', 'history')).text).toContain('Bo gave you 3: the coffee\n');
    expect(kept).not.toBe(id);
  });

  it('reverses once: again is refused, a replay answers the same, two at once make one', async () => {
    const f = await organization();
    const id = await given(f);
    const idempotencyKey = key('rev');
    const first = await reverse(f, id, idempotencyKey);
    expect(first.ok).toBe(true);
    const snapshot = await f.snapshot();
    expect(await reverse(f, id, idempotencyKey)).toEqual(first);
    const again = await reverse(f, id);
    expect(again).toEqual({
      ok: false,
      code: 'already_reversed',
      message: `Recognition #${id} was already reversed (given by mistake); nothing changed.`,
    });
    expect(await f.snapshot()).toEqual(snapshot);
    expect((await f.audit()).map((entry) => [entry.outcome, entry.refusalCode])).toEqual([
      ['done', null],
      ['refused', 'already_reversed'],
    ]);

    for (let round = 0; round < 3; round++) {
      const other = await given(f);
      const results = await Promise.all(Array.from({ length: 4 }, () => reverse(f, other)));
      expect(results.filter((result) => result.ok)).toHaveLength(1);
      expect(
        results.filter((result) => !result.ok && result.code === 'already_reversed'),
      ).toHaveLength(3);
    }
    expect(await f.balances('Ana')).toMatchObject({ earned: 0 });
    expect(await f.balances('Bo')).toMatchObject({ allowance: 100 });
    await expectBalanced(f);
  });

  it('refuses when a recipient has spent or redeemed the points, and changes nothing', async () => {
    const f = await organization();
    const id = await given(f);
    const item = await f.services.desk.catalog.create(f.organizationId, {
      name: 'Sticker',
      pointsCost: 4,
      priceMinor: 100,
    });
    if (!item.ok) throw new Error(item.message);
    expect((await f.command('Li', `redeem #${item.value.id}`)).outcome).toBe('ok');
    const before = await f.snapshot();
    expect(await reverse(f, id)).toEqual({
      ok: false,
      code: 'not_enough_points',
      message: `Recognition #${id} cannot be reversed because its points were already spent or redeemed: Li has 6 points left of the 10 points it gave. Nothing changed; deduct what is left with an adjustment if needed.`,
    });
    expect(await f.snapshot()).toEqual(before);
    expect(
      (await f.audit()).map((entry) => [entry.action, entry.outcome, entry.refusalCode]),
    ).toEqual([['recognition.reverse', 'refused', 'not_enough_points']]);
  });

  it('gives no allowance back for a recognition of an earlier period, whose allowance expired', async () => {
    const f = await organization();
    const id = await given(f);
    await sql`update recognitions set created_at = now() - interval '120 days' where id = ${id}`.execute(
      orgs.db,
    );
    const reversed = await reverse(f, id);
    expect(reversed).toMatchObject({ ok: true, value: { allowanceReturned: 0 } });
    expect(await f.balances('Bo')).toMatchObject({ allowance: 80 });
    expect(await f.balances('Ana')).toMatchObject({ earned: 0 });
    await expectBalanced(f);
  });

  it('refuses a recognition it does not know here, and anyone but an admin', async () => {
    const f = await organization();
    const other = await organization();
    const theirs = await given(other);
    const id = await given(f);
    const before = await f.snapshot();
    const otherBefore = await other.snapshot();
    for (const recognitionId of [theirs, 999_999_999]) {
      expect(await reverse(f, recognitionId)).toMatchObject({
        ok: false,
        code: 'unknown_recognition',
        message: `There is no recognition #${recognitionId} here; its number is in the kudos history.`,
      });
    }
    for (const as of ['Bo', 'Ana']) {
      const result = await reverseRecognition(f.services, await f.actor(as), {
        recognitionId: id,
        reason: 'I changed my mind',
        idempotencyKey: key(),
      });
      expect(result).toEqual({
        ok: false,
        code: 'not_admin',
        message: 'Only admins can reverse recognitions; ask an admin if this needs doing.',
      });
    }
    for (const text of [`admin reverse ${id} mistake`, 'admin reverse', 'admin reverse x']) {
      expect(await f.command('Bo', text), text).toMatchObject({
        outcome: 'refused',
        code: 'not_admin',
      });
    }
    expect(await f.snapshot()).toEqual(before);
    expect(await other.snapshot()).toEqual(otherBefore);
    expect(
      (await f.audit()).map((entry) => [entry.action, entry.target, entry.refusalCode]),
    ).toEqual([
      ['recognition.reverse', `recognition:${theirs}`, 'unknown_recognition'],
      ['recognition.reverse', 'recognition:999999999', 'unknown_recognition'],
      ['recognition.reverse', `recognition:${id}`, 'not_admin'],
      ['recognition.reverse', `recognition:${id}`, 'not_admin'],
      ['recognition.reverse', `recognition:${id}`, 'not_admin'],
      ['recognition.reverse', null, 'not_admin'],
      ['recognition.reverse', null, 'not_admin'],
    ]);
    expect(await other.audit()).toEqual([]);
  });

  it('frees the daily pair cap: a reversed recognition no longer counts against it', async () => {
    const f = await organization();
    expect((await f.command('Ada', 'admin settings pair-cap=10')).outcome).toBe('ok');
    const first = await given(f, '@Li 10 for the launch');
    const capped = await f.command('Bo', '@Li 1 for the demo');
    expect(capped).toMatchObject({ outcome: 'refused', code: 'daily_pair_cap' });
    expect((await reverse(f, first)).ok).toBe(true);
    const again = await f.command('Bo', '@Li 10 for the launch, properly');
    expect(again.outcome, again.text).toBe('ok');
    expect(await f.command('Bo', '@Li 1 for more')).toMatchObject({ code: 'daily_pair_cap' });
  });

  it('reverses from chat: /kudos admin reverse <id> reason', async () => {
    const f = await organization();
    const id = await given(f);
    const delivery = key('delivery');
    const reply = await f.command('Ada', `admin reverse #${id} for a test kudos`, delivery);
    expect(reply).toMatchObject({
      outcome: 'ok',
      text: `Recognition #${id} is reversed (a test kudos): 10 points from Ana and 10 points from Li went back. Bo has 20 points of allowance back.`,
    });
    expect(await f.command('Ada', `admin reverse #${id} for a test kudos`, delivery)).toEqual(
      reply,
    );
    expect(await f.command('Ada', `admin reverse ${id} again`)).toMatchObject({
      outcome: 'refused',
      code: 'already_reversed',
    });
    for (const text of ['admin reverse', `admin reverse ${id}`, 'admin reverse abc because']) {
      expect(await f.command('Ada', text), text).toMatchObject({ outcome: 'usage', code: 'usage' });
    }
    expect(await f.balances('Li')).toMatchObject({ earned: 0 });
    await expectBalanced(f);
  });
});
