import { describe, expect, it } from 'vitest';
import { adjustPoints, listAdjustments } from '../../../src/admin/adjustments.ts';
import { type AdminFixture, adminOrganizations } from '../../support/admin-fixture.ts';
import { key } from '../../support/ledger-fixture.ts';
import { assetSums, balancesThatDisagreeWithTransfers } from '../../support/ledger-invariants.ts';

describe('adjustments: admins grant and deduct points', () => {
  const orgs = adminOrganizations({
    Ada: { roles: ['member', 'admin'] },
    Ana: {},
    Hal: { roles: ['member', 'hr'] },
  });
  const { organization } = orgs;

  async function expectBalanced(f: AdminFixture) {
    for (const sum of await assetSums(orgs.db, f.organizationId)) {
      expect(sum, `${sum.asset} sums to zero`).toMatchObject({ posted: 0, pending: 0 });
    }
    expect(await balancesThatDisagreeWithTransfers(orgs.db, f.organizationId)).toEqual([]);
  }

  const adjust = async (
    f: AdminFixture,
    as: string,
    input: { member: string; amount: number; reason?: string; idempotencyKey?: string },
  ) =>
    adjustPoints(f.services, await f.actor(as), {
      memberId: (f.members[input.member] as { id: number }).id,
      amount: input.amount,
      reason: input.reason ?? 'for the offsite',
      idempotencyKey: input.idempotencyKey ?? key('adjust'),
    });

  it('grants and deducts exactly the amount, audited with the transfer', async () => {
    const f = await organization();
    const granted = await adjust(f, 'Ada', { member: 'Ana', amount: 50, reason: 'the offsite' });
    expect(granted).toMatchObject({
      ok: true,
      value: { amount: 50, reason: 'the offsite', actorName: 'Ada', memberId: f.members.Ana?.id },
    });
    expect(await f.balances('Ana')).toMatchObject({ earned: 50 });
    const deducted = await adjust(f, 'Ada', { member: 'Ana', amount: -20, reason: 'a double' });
    expect(deducted).toMatchObject({ ok: true, value: { amount: -20, reason: 'a double' } });
    expect(await f.balances('Ana')).toMatchObject({ earned: 30 });
    await expectBalanced(f);

    const transfers = await orgs.db
      .selectFrom('ledger_transfers')
      .select(['id', 'kind', 'amount', 'memo'])
      .where('organization_id', '=', f.organizationId)
      .orderBy('id')
      .execute();
    expect(transfers).toEqual([
      { id: expect.any(Number), kind: 'adjustment', amount: 50, memo: 'the offsite' },
      { id: expect.any(Number), kind: 'adjustment', amount: 20, memo: 'a double' },
    ]);
    if (!granted.ok || !deducted.ok) throw new Error('adjustments failed');
    const audit = await f.audit();
    expect(audit.map((entry) => [entry.action, entry.target, entry.outcome, entry.after])).toEqual([
      [
        'adjustment.grant',
        `member:${f.members.Ana?.id}`,
        'done',
        { amount: 50, reason: 'the offsite', transferId: granted.value.id },
      ],
      [
        'adjustment.deduct',
        `member:${f.members.Ana?.id}`,
        'done',
        { amount: -20, reason: 'a double', transferId: deducted.value.id },
      ],
    ]);
    expect(audit[0]).toMatchObject({ actorMemberId: f.members.Ada?.id, actorName: 'Ada' });

    const listed = await listAdjustments(orgs.db, f.organizationId, { limit: 1 });
    expect(listed.adjustments).toEqual([deducted.value]);
    const next = await listAdjustments(orgs.db, f.organizationId, {
      limit: 1,
      before: listed.nextBefore ?? 0,
    });
    expect(next).toEqual({ adjustments: [granted.value], nextBefore: null });
    expect(
      await listAdjustments(orgs.db, f.organizationId, { memberId: f.members.Ada?.id as number }),
    ).toEqual({ adjustments: [], nextBefore: null });
  });

  it('refuses a deduction beyond the balance, saying what the member has, and changes nothing', async () => {
    const f = await organization();
    await f.earn('Ana', 35);
    const before = await f.snapshot();
    const refused = await adjust(f, 'Ada', { member: 'Ana', amount: -36 });
    expect(refused).toEqual({
      ok: false,
      code: 'not_enough_points',
      message: 'Ana has 35 points to deduct from; 36 points is more than that, so nothing changed.',
    });
    expect(await f.snapshot()).toEqual(before);
    expect(
      (await f.audit()).map((entry) => [entry.action, entry.outcome, entry.refusalCode]),
    ).toEqual([['adjustment.deduct', 'refused', 'not_enough_points']]);
    expect(await adjust(f, 'Ada', { member: 'Ana', amount: -35 })).toMatchObject({ ok: true });
    expect(await f.balances('Ana')).toMatchObject({ earned: 0 });
    await expectBalanced(f);
  });

  it('answers a replayed key with the first adjustment and changes nothing twice', async () => {
    const f = await organization();
    const idempotencyKey = key('once');
    const first = await adjust(f, 'Ada', { member: 'Ana', amount: 40, idempotencyKey });
    const again = await Promise.all(
      Array.from({ length: 5 }, () =>
        adjust(f, 'Ada', { member: 'Ana', amount: 40, idempotencyKey }),
      ),
    );
    for (const answer of again) expect(answer).toEqual(first);
    expect(await f.balances('Ana')).toMatchObject({ earned: 40 });
    expect((await f.audit()).filter((entry) => entry.outcome === 'done')).toHaveLength(1);

    const before = await f.snapshot();
    expect(await adjust(f, 'Ada', { member: 'Ana', amount: 41, idempotencyKey })).toMatchObject({
      ok: false,
      code: 'idempotency_conflict',
    });
    expect(await f.snapshot()).toEqual(before);
  });

  it('lets concurrent deductions take a member to zero and never below', async () => {
    const f = await organization();
    await f.earn('Ana', 35);
    const results = await Promise.all(
      Array.from({ length: 8 }, () => adjust(f, 'Ada', { member: 'Ana', amount: -10 })),
    );
    expect(results.filter((result) => result.ok)).toHaveLength(3);
    expect(
      results.filter((result) => !result.ok).map((result) => !result.ok && result.code),
    ).toEqual(Array(5).fill('not_enough_points'));
    expect(await f.balances('Ana')).toMatchObject({ earned: 5 });
    await expectBalanced(f);
    const done = (await f.audit()).filter((entry) => entry.outcome === 'done');
    expect(done).toHaveLength(3);
  });

  it('refuses amounts, reasons and members it cannot take, with a sentence each', async () => {
    const f = await organization();
    const other = await organization();
    const cases: Array<[Parameters<typeof adjust>[2], string]> = [
      [{ member: 'Ana', amount: 0 }, 'invalid_adjustment'],
      [{ member: 'Ana', amount: 1.5 }, 'invalid_adjustment'],
      [{ member: 'Ana', amount: 1_000_001 }, 'invalid_adjustment'],
      [{ member: 'Ana', amount: -1_000_001 }, 'invalid_adjustment'],
      [{ member: 'Ana', amount: Number.NaN }, 'invalid_adjustment'],
      [{ member: 'Ana', amount: 5, reason: '   ' }, 'invalid_adjustment'],
      [{ member: 'Ana', amount: 5, reason: 'x'.repeat(501) }, 'invalid_adjustment'],
    ];
    for (const [input, code] of cases) {
      const result = await adjust(f, 'Ada', input);
      expect(result, JSON.stringify(input)).toMatchObject({ ok: false, code });
      expect(!result.ok && result.message.length).toBeGreaterThan(10);
    }
    expect(
      await adjust(f, 'Ada', { member: 'Ana', amount: 5, reason: 'x'.repeat(500) }),
    ).toMatchObject({
      ok: true,
    });
    // A member of another organization is nobody here.
    const stranger = await adjustPoints(f.services, await f.actor('Ada'), {
      memberId: other.members.Ana?.id as number,
      amount: 5,
      reason: 'nope',
      idempotencyKey: key(),
    });
    expect(stranger).toMatchObject({ ok: false, code: 'unknown_member' });
    expect(await other.balances('Ana')).toMatchObject({ earned: 0 });
    expect(await f.balances('Ana')).toMatchObject({ earned: 5 });
  });

  it('refuses anyone but an admin, audits the attempt, and changes nothing', async () => {
    const f = await organization();
    await f.earn('Ana', 20);
    const before = await f.snapshot();
    for (const as of ['Ana', 'Hal']) {
      const result = await adjust(f, as, { member: 'Ana', amount: 100 });
      expect(result).toEqual({
        ok: false,
        code: 'not_admin',
        message: 'Only admins can grant or deduct points; ask an admin if this needs doing.',
      });
    }
    for (const text of ['admin adjust @Ana -5 because', 'admin adjust nonsense', 'admin adjust']) {
      const reply = await f.command('Hal', text);
      expect(reply, text).toMatchObject({ outcome: 'refused', code: 'not_admin' });
    }
    expect(await f.snapshot()).toEqual(before);
    const audit = await f.audit();
    expect(
      audit.map((entry) => [entry.action, entry.outcome, entry.refusalCode, entry.actorName]),
    ).toEqual([
      ['adjustment.grant', 'refused', 'not_admin', 'Ana'],
      ['adjustment.grant', 'refused', 'not_admin', 'Hal'],
      ['adjustment.deduct', 'refused', 'not_admin', 'Hal'],
      ['adjustment.grant', 'refused', 'not_admin', 'Hal'],
      ['adjustment.grant', 'refused', 'not_admin', 'Hal'],
    ]);
    expect(audit[0]?.target).toBe(`member:${f.members.Ana?.id}`);
  });

  it('adjusts from chat: /kudos admin adjust @someone ±N reason', async () => {
    const f = await organization();
    const granted = await f.command('Ada', 'admin adjust @Ana +50 for the offsite');
    expect(granted).toMatchObject({
      outcome: 'ok',
      text: 'You gave Ana 50 points (the offsite). They have 50 points now.',
    });
    const deducted = await f.command('Ada', 'admin adjust @Ana -20 counted twice');
    expect(deducted.text).toBe(
      'You deducted 20 points from Ana (counted twice). They have 30 points now.',
    );
    // A redelivered command adjusts once.
    const replayKey = key('delivery');
    await f.command('Ada', 'admin adjust @Ana −5 typo', replayKey);
    const replayed = await f.command('Ada', 'admin adjust @Ana −5 typo', replayKey);
    expect(replayed.outcome).toBe('ok');
    expect(await f.balances('Ana')).toMatchObject({ earned: 25 });
    const refused = await f.command('Ada', 'admin adjust @Ana -26 too much');
    expect(refused).toMatchObject({
      outcome: 'refused',
      code: 'not_enough_points',
      text: 'Ana has 25 points to deduct from; 26 points is more than that, so nothing changed.',
    });
    const usages: Array<[string, string]> = [
      ['admin adjust @Ana 50 no sign', 'usage'],
      ['admin adjust @Ana +50', 'usage'],
      ['admin adjust +50 nobody', 'usage'],
      ['admin adjust @Ana @Hal +5 two people', 'usage'],
      ['admin adjust @Nobody +5 who', 'unknown_member'],
      ['admin adjust @Ana +0 zero', 'invalid_adjustment'],
    ];
    for (const [text, code] of usages) {
      const reply = await f.command('Ada', text);
      expect(reply.outcome, text).not.toBe('ok');
      expect(reply.code, text).toBe(code);
    }
    expect(await f.balances('Ana')).toMatchObject({ earned: 25 });
    await expectBalanced(f);
  });
});
