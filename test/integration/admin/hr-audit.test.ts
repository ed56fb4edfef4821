import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { adjustPoints } from '../../../src/admin/adjustments.ts';
import type { AdminActor } from '../../../src/admin/admin-actor.ts';
import { changeRewardSettings } from '../../../src/rewards/reward-settings.ts';
import { type AdminFixture, adminOrganizations } from '../../support/admin-fixture.ts';
import { key } from '../../support/ledger-fixture.ts';

const NOT_HR =
  'Only HR can run the rewards; ask someone in HR, or an admin to give you the HR role.';

describe('every HR action is audited, done or refused', () => {
  const orgs = adminOrganizations({
    Ada: { roles: ['member', 'admin'] },
    Ana: {},
    Hal: { roles: ['member', 'hr'] },
  });
  const { organization } = orgs;

  const idIn = (text: string) => Number(/#(\d+)/.exec(text)?.[1]);
  const trail = async (f: AdminFixture) =>
    (await f.audit()).map((entry) => [entry.actorName, entry.action, entry.target, entry.outcome]);

  it('audits catalog changes with what was before and after, keeping webhook secrets out', async () => {
    const f = await organization();
    const added = await f.command('Hal', 'hr reward add name=Mug cost=50 price=8 stock=3');
    expect(added.outcome, added.text).toBe('ok');
    const mug = idIn(added.text);
    await f.command(
      'Hal',
      `hr reward edit ${mug} cost=60 webhook=https://hooks.example/s3cr3t?t=x`,
    );
    await f.command('Hal', `hr reward retire ${mug}`);
    // Refused for what it is (not for the role), nothing changes and nothing is audited.
    expect((await f.command('Hal', `hr reward retire ${mug}`)).code).toBe('retired_item');
    const audit = await f.audit();
    expect(await trail(f)).toEqual([
      ['Hal', 'reward.create', `reward:${mug}`, 'done'],
      ['Hal', 'reward.edit', `reward:${mug}`, 'done'],
      ['Hal', 'reward.retire', `reward:${mug}`, 'done'],
    ]);
    expect(audit[0]?.after).toMatchObject({
      name: 'Mug',
      pointsCost: 50,
      stock: 3,
      retired: false,
    });
    expect(audit[1]).toMatchObject({
      before: { pointsCost: 50, fulfilment: 'manual', webhookUrl: null },
      after: { pointsCost: 60, fulfilment: 'webhook', webhookUrl: 'https://hooks.example/…' },
    });
    expect(JSON.stringify(audit)).not.toContain('s3cr3t');
    expect(audit[2]?.after).toMatchObject({ retired: true, active: false });
  });

  it('audits HR’s decisions and redemptions on someone’s behalf, not members’ own or the system’s', async () => {
    const f = await organization();
    await f.earn('Ana', 500);
    const mug = idIn((await f.command('Hal', 'hr reward add name=Mug cost=50 price=8')).text);
    const redeem = async () => idIn((await f.command('Ana', `redeem #${mug}`)).text);
    const [fulfilled, rejected, cancelled, expired] = [
      await redeem(),
      await redeem(),
      await redeem(),
      await redeem(),
    ];
    expect((await f.command('Hal', `hr fulfil ${fulfilled}`)).outcome).toBe('ok');
    expect((await f.command('Hal', `hr reject ${rejected} out of mugs`)).outcome).toBe('ok');
    expect((await f.command('Ana', `redemptions cancel ${cancelled}`)).outcome).toBe('ok');
    await sql`update redemptions set expires_at = now() - interval '1 minute' where id = ${expired}`.execute(
      orgs.db,
    );
    const expiry = await f.services.desk.resolve(f.organizationId, expired, 'expired', {
      memberId: null,
    });
    expect(expiry.ok).toBe(true);
    const delivery = key('delivery');
    const forAna = await f.command('Hal', `hr redeem @Ana Mug`, delivery);
    expect(forAna.outcome, forAna.text).toBe('ok');
    expect((await f.command('Hal', `hr redeem @Ana Mug`, delivery)).outcome).toBe('ok');
    const onBehalf = idIn(forAna.text);

    const audit = await f.audit();
    expect(await trail(f)).toEqual([
      ['Hal', 'reward.create', `reward:${mug}`, 'done'],
      ['Hal', 'redemption.fulfil', `redemption:${fulfilled}`, 'done'],
      ['Hal', 'redemption.reject', `redemption:${rejected}`, 'done'],
      ['Hal', 'redemption.redeem_for', `member:${f.members.Ana?.id}`, 'done'],
    ]);
    expect(audit[1]?.after).toMatchObject({ status: 'fulfilled', points: 50, priceMinor: 800 });
    expect(audit[2]?.after).toMatchObject({ status: 'rejected', reason: 'out of mugs' });
    expect(audit[3]?.after).toMatchObject({ redemptionId: onBehalf, itemName: 'Mug', points: 50 });
  });

  it('audits a change of the rewards settings, and not a look at them', async () => {
    const f = await organization();
    expect((await f.command('Hal', 'hr settings')).outcome).toBe('ok');
    expect((await f.command('Hal', 'hr settings budget=500 hold-days=7')).outcome).toBe('ok');
    const audit = await f.audit();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      action: 'reward_settings.change',
      target: null,
      outcome: 'done',
      actorName: 'Hal',
      before: { monthlyBudgetMinor: null, holdHours: 336 },
      after: { monthlyBudgetMinor: 50_000, holdHours: 168 },
    });
  });

  it('refuses every HR command to anyone but HR, audits each attempt, and changes nothing', async () => {
    const f = await organization();
    await f.earn('Ana', 500);
    const mug = idIn((await f.command('Hal', 'hr reward add name=Mug cost=50 price=8')).text);
    const held = idIn((await f.command('Ana', `redeem #${mug}`)).text);
    const before = await f.snapshot();
    const auditBefore = (await f.audit()).length;
    const attempts: Array<[text: string, action: string, target: string | null]> = [
      ['hr', 'hr.read', null],
      ['hr pending', 'hr.read', null],
      [`hr fulfil ${held}`, 'redemption.fulfil', `redemption:${held}`],
      [`hr reject ${held} no`, 'redemption.reject', `redemption:${held}`],
      ['hr redeem @Ana Mug', 'redemption.redeem_for', null],
      ['hr reward add name=Cap cost=5 price=1', 'reward.create', null],
      [`hr reward edit ${mug} cost=1`, 'reward.edit', `reward:${mug}`],
      [`hr reward retire ${mug}`, 'reward.retire', `reward:${mug}`],
      ['hr statement', 'hr.read', null],
      ['hr settings', 'hr.read', null],
      ['hr settings budget=1', 'reward_settings.change', null],
    ];
    for (const as of ['Ana', 'Ada']) {
      for (const [text] of attempts) {
        const reply = await f.command(as, text);
        expect(reply, `${as}: ${text}`).toMatchObject({
          outcome: 'refused',
          code: 'not_hr',
          text: NOT_HR,
        });
      }
    }
    expect(await f.snapshot()).toEqual(before);
    const refused = (await trail(f)).slice(auditBefore);
    expect(refused).toEqual(
      ['Ana', 'Ada'].flatMap((as) =>
        attempts.map(([, action, target]) => [as, action, target, 'refused']),
      ),
    );
  });

  it('refuses HR services to an actor without the role (the HTTP path), audited, nothing changed', async () => {
    const f = await organization();
    await f.earn('Ana', 500);
    const hal = await f.actor('Hal');
    const created = await f.services.desk.catalog.create(
      f.organizationId,
      { name: 'Mug', pointsCost: 50, priceMinor: 800 },
      hal,
    );
    if (!created.ok) throw new Error(created.message);
    const mug = created.value.id;
    const held = await f.services.desk.redeem({
      organizationId: f.organizationId,
      memberId: f.members.Ana?.id as number,
      requestedBy: f.members.Ana?.id as number,
      itemId: mug,
      requestKey: key(),
    });
    if (!held.ok) throw new Error(held.message);
    const redemptionId = held.value.redemption.id;
    const before = await f.snapshot();
    const { desk } = f.services;
    const org = f.organizationId;
    // Redeeming on behalf of someone else, Hal here, is HR's.
    const halId = f.members.Hal?.id as number;
    for (const actor of [await f.actor('Ana'), await f.actor('Ada')]) {
      const results = [
        await desk.catalog.create(org, { name: 'Cap', pointsCost: 5, priceMinor: 100 }, actor),
        await desk.catalog.edit(org, mug, { pointsCost: 1 }, actor),
        await desk.catalog.retire(org, mug, actor),
        await desk.resolve(org, redemptionId, 'fulfilled', { memberId: actor.memberId }, actor),
        await desk.resolve(
          org,
          redemptionId,
          'rejected',
          { memberId: actor.memberId, reason: 'x' },
          actor,
        ),
        await desk.redeem(
          {
            organizationId: org,
            memberId: halId,
            requestedBy: actor.memberId as number,
            itemId: mug,
            requestKey: key(),
          },
          actor,
        ),
        await changeRewardSettings(orgs.db, org, { holdHours: 1 }, actor),
      ];
      for (const result of results) expect(result).toMatchObject({ ok: false, code: 'not_hr' });
    }
    expect(await f.snapshot()).toEqual(before);
    const refused = (await trail(f)).slice(1);
    const expected = (as: string) => [
      [as, 'reward.create', null, 'refused'],
      [as, 'reward.edit', `reward:${mug}`, 'refused'],
      [as, 'reward.retire', `reward:${mug}`, 'refused'],
      [as, 'redemption.fulfil', `redemption:${redemptionId}`, 'refused'],
      [as, 'redemption.reject', `redemption:${redemptionId}`, 'refused'],
      [as, 'redemption.redeem_for', `member:${halId}`, 'refused'],
      [as, 'reward_settings.change', null, 'refused'],
    ];
    expect(refused).toEqual([...expected('Ana'), ...expected('Ada')]);
  });

  it('treats an API token as the actor: HR’s token redeems on a member’s behalf, audited; an admin token is refused', async () => {
    const f = await organization();
    await f.earn('Ana', 100);
    const mug = idIn((await f.command('Hal', 'hr reward add name=Mug cost=50 price=8')).text);
    const tokenOf = async (role: 'admin' | 'hr'): Promise<AdminActor> => {
      const row = await orgs.db
        .insertInto('api_tokens')
        .values({
          organization_id: f.organizationId,
          name: `${role} token`,
          role,
          token_hash: key('hash'),
          hint: 'abcd',
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return {
        organizationId: f.organizationId,
        memberId: null,
        tokenId: row.id,
        roles: [role],
        via: 'api',
        name: `${role} token`,
      };
    };
    const anaId = f.members.Ana?.id as number;
    // A token has no member of its own to name as the one asking: the member is named.
    const request = () => ({
      organizationId: f.organizationId,
      memberId: anaId,
      requestedBy: anaId,
      itemId: mug,
      requestKey: key(),
    });
    const before = await f.snapshot();
    const admin = await tokenOf('admin');
    expect(await f.services.desk.redeem(request(), admin)).toMatchObject({
      ok: false,
      code: 'not_hr',
    });
    expect(await f.snapshot()).toEqual(before);
    const redeemed = await f.services.desk.redeem(request(), await tokenOf('hr'));
    expect(redeemed.ok).toBe(true);
    expect(
      (await f.audit())
        .slice(1)
        .map((entry) => [entry.actorName, entry.via, entry.action, entry.target, entry.outcome]),
    ).toEqual([
      ['admin token', 'api', 'redemption.redeem_for', `member:${anaId}`, 'refused'],
      ['hr token', 'api', 'redemption.redeem_for', `member:${anaId}`, 'done'],
    ]);
  });

  it('writes the audit entry in the change’s own transaction: no entry, no change', async () => {
    const f = await organization();
    const other = await organization();
    await f.earn('Ana', 100);
    // An actor the audit log cannot record (a member of another organization): the
    // entry's insert fails, and the change it would have told of is rolled back with it.
    const stranger = (actor: AdminActor): AdminActor => ({
      ...actor,
      memberId: other.members.Ada?.id as number,
      roles: ['member', 'admin', 'hr'],
    });
    const hal = stranger(await f.actor('Hal'));
    const before = await f.snapshot();
    await expect(
      f.services.desk.catalog.create(
        f.organizationId,
        { name: 'Mug', pointsCost: 5, priceMinor: 1 },
        hal,
      ),
    ).rejects.toThrow();
    await expect(
      changeRewardSettings(orgs.db, f.organizationId, { holdHours: 2 }, hal),
    ).rejects.toThrow();
    await expect(
      adjustPoints(f.services, hal, {
        memberId: f.members.Ana?.id as number,
        amount: -10,
        reason: 'nope',
        idempotencyKey: key(),
      }),
    ).rejects.toThrow();
    expect(await f.snapshot()).toEqual(before);
    expect(await f.audit()).toEqual([]);
  });
});
