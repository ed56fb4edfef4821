import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../../src/admin/api-tokens.ts';
import type { Reply } from '../../../src/core/reply.ts';
import type { Database } from '../../../src/db/database.ts';
import { addGroupMembers, createGroup } from '../../../src/directory/groups.ts';
import { type AdminFixture, createAdminFixture } from '../../support/admin-fixture.ts';
import { openTestDatabase } from '../../support/databases.ts';
import {
  type OrganizationSnapshot,
  organizationSnapshot,
} from '../../support/organization-snapshot.ts';

type Fixture = AdminFixture & { close(): Promise<void> };

/** Lower-case letters only, so the console's mention resolver reads names with it whole. */
const tag = `z${randomUUID()
  .replaceAll(/[^a-f]/g, '')
  .slice(0, 8)}`;

/**
 * B's people, each named with B's tag so that any of it in a reply to A shows; and Sam,
 * a name both organizations have, so that `@Sam` in A must mean A's Sam.
 */
const B_NAMES = {
  admin: `Bea${tag}`,
  hr: `Bo${tag}`,
  member: `Cy${tag}`,
  spender: `Di${tag}`,
} as const;
const B_GROUP = `Crew${tag}`;
const B_REWARD = `Mug${tag}`;

/**
 * Two organizations. A's admin, HR member and plain member run every admin, HR and
 * member chat command that takes an id or a name, naming B's recognitions, members,
 * groups, rewards, redemptions and tokens: each is refused or told the thing is unknown
 * here, the reply names nothing of B that the command did not, and nothing of B (or A)
 * changes.
 */
describe('tenant isolation in chat', () => {
  let db: Database;
  let a: Fixture;
  let b: Fixture;
  const ids = { recognition: 0, reward: 0, held: 0, fulfilled: 0, token: 0, group: 0 };

  beforeAll(async () => {
    db = await openTestDatabase('postgres');
    a = await createAdminFixture(db, {
      members: {
        Ada: { roles: ['member', 'admin'] },
        Hal: { roles: ['member', 'hr'] },
        Li: {},
        Sam: {},
      },
    });
    b = await createAdminFixture(db, {
      members: {
        [B_NAMES.admin]: { roles: ['member', 'admin'] },
        [B_NAMES.hr]: { roles: ['member', 'hr'] },
        [B_NAMES.member]: {},
        [B_NAMES.spender]: {},
        Sam: {},
      },
    });
    const ok = async (fixture: Fixture, as: string, text: string) => {
      const reply = await fixture.command(as, text);
      if (reply.outcome !== 'ok') throw new Error(`${as}: ${text}: ${reply.text}`);
      return reply;
    };
    // B has something of everything a command can name.
    const group = await createGroup(db, b.organizationId, B_GROUP);
    if (!group.ok) throw new Error(group.message);
    ids.group = group.value.id;
    await addGroupMembers(db, group.value, [
      b.members[B_NAMES.member]?.id ?? 0,
      b.members.Sam?.id ?? 0,
    ]);
    await ok(b, B_NAMES.admin, `@${B_NAMES.member} 3 for the launch ${tag}`);
    ids.recognition = await newest(db, 'recognitions', b.organizationId);
    await ok(b, B_NAMES.hr, `hr reward add name="${B_REWARD}" cost=2 price=5.00`);
    ids.reward = await newest(db, 'reward_items', b.organizationId);
    await b.earn(B_NAMES.spender, 20);
    await ok(b, B_NAMES.spender, `redeem #${ids.reward}`);
    ids.fulfilled = await newest(db, 'redemptions', b.organizationId);
    await ok(b, B_NAMES.hr, `hr fulfil ${ids.fulfilled}`);
    await ok(b, B_NAMES.spender, `redeem #${ids.reward}`);
    ids.held = await newest(db, 'redemptions', b.organizationId);
    const token = await createApiToken(db, await b.actor(B_NAMES.admin), {
      name: `ci ${tag}`,
      role: 'hr',
    });
    if (!token.ok) throw new Error(token.message);
    ids.token = token.value.token.id;
    // A has a reward and points to spend, so a refusal is about B's ids, not an empty A.
    await ok(a, 'Hal', 'hr reward add name="Pen" cost=1 price=1.00');
    // Shown once: the first `hr settings` writes A's default reward settings.
    await ok(a, 'Hal', 'hr settings');
    const mine = await createApiToken(db, await a.actor('Ada'), { name: 'ours', role: 'admin' });
    if (!mine.ok) throw new Error(mine.message);
    await a.earn('Li', 20);
    await a.earn('Hal', 20);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await db?.destroy();
  });

  /**
   * Every command of A's people that names B's things, by who runs it, with the refusal
   * it gets: the thing is unknown here.
   */
  const attempts = (): Array<{ as: string; text: string; code: string }> => {
    const by = (as: string, prefix: string) => (text: string, code: string) => ({
      as,
      text: `${prefix}${text}`,
      code,
    });
    const admin = by('Ada', 'admin ');
    const hr = by('Hal', 'hr ');
    const member = by('Li', '');
    const { member: cy, admin: bea } = B_NAMES;
    return [
      // Rules: B's people and groups, as mentions and as group:"…".
      admin(`allow-give only @${cy}`, 'unknown_member'),
      admin(`allow-give only group:"${B_GROUP}"`, 'unknown_group'),
      admin(`allow-give except @${bea} group:${B_GROUP}`, 'unknown_member'),
      admin(`allow-give except group:${B_GROUP} @Li`, 'unknown_group'),
      admin(`allow-receive only @${B_GROUP}`, 'unknown_member'),
      admin(`allow-receive except @${cy}`, 'unknown_member'),
      admin(`deny give @${cy}`, 'unknown_member'),
      admin(`deny receive group:"${B_GROUP}"`, 'unknown_group'),
      // Settings that name someone.
      admin(`settings member-allowance=@${cy}:50`, 'invalid_setting'),
      admin(`settings member-allowance=@${bea}:none`, 'invalid_setting'),
      // Roles, points and reversals.
      admin(`roles @${cy} +admin`, 'unknown_member'),
      admin(`roles @${bea} -admin +hr`, 'unknown_member'),
      admin(`adjust @${cy} +50 a bonus`, 'unknown_member'),
      admin(`adjust @${bea} -5 a fine`, 'unknown_member'),
      admin(`adjust @${B_GROUP} +5 a bonus`, 'unknown_member'),
      admin(`reverse ${ids.recognition} given by mistake`, 'unknown_recognition'),
      admin(`reverse #${ids.recognition} given by mistake`, 'unknown_recognition'),
      // Groups: B's group by name, B's people into A's groups.
      admin(`groups add "${B_GROUP}" @Li`, 'unknown_group'),
      admin(`groups remove "${B_GROUP}" @Sam`, 'unknown_group'),
      admin(`groups rename "${B_GROUP}" "Taken"`, 'unknown_group'),
      admin(`groups create "Mine" @${cy}`, 'unknown_member'),
      // API tokens: B's token by id.
      admin(`tokens revoke ${ids.token}`, 'unknown_token'),
      admin(`tokens revoke #${ids.token}`, 'unknown_token'),
      // HR: B's redemptions, rewards and people.
      hr(`fulfil ${ids.held}`, 'unknown_redemption'),
      hr(`fulfil #${ids.held}`, 'unknown_redemption'),
      hr(`reject ${ids.held} x`, 'unknown_redemption'),
      hr(`reject ${ids.fulfilled} x`, 'unknown_redemption'),
      hr(`reward edit ${ids.reward} cost=1 stock=0`, 'unknown_item'),
      hr(`reward edit #${ids.reward} active=no`, 'unknown_item'),
      hr(`reward retire ${ids.reward}`, 'unknown_item'),
      hr(`redeem @${cy} Pen`, 'unknown_recipient'),
      hr(`redeem @Li #${ids.reward}`, 'unknown_item'),
      hr(`redeem @Li ${B_REWARD}`, 'unknown_item'),
      // A member: B's rewards and redemptions, and kudos to B's people.
      member(`redeem #${ids.reward}`, 'unknown_item'),
      member(`redeem ${ids.reward}`, 'unknown_item'),
      member(`redeem ${B_REWARD}`, 'unknown_item'),
      member(`redemptions cancel ${ids.held}`, 'not_yours'),
      member(`@${cy} 5 for the help`, 'unknown_recipient'),
    ];
  };

  /** Reads that list an organization's things: none of B's may be in them. */
  const reads = (): Array<{ as: string; text: string }> => [
    { as: 'Ada', text: 'admin rules' },
    { as: 'Ada', text: 'admin roles' },
    { as: 'Ada', text: 'admin groups' },
    { as: 'Ada', text: 'admin audit' },
    { as: 'Ada', text: 'admin settings' },
    { as: 'Ada', text: 'admin tokens' },
    { as: 'Hal', text: 'hr pending' },
    { as: 'Hal', text: 'hr statement' },
    { as: 'Hal', text: 'hr settings' },
    { as: 'Li', text: 'rewards' },
    { as: 'Li', text: 'redemptions' },
  ];

  /** B's names (people, group, reward, tokens) a reply names though the command did not. */
  const leaked = (reply: Reply, text: string) => {
    const shown = `${reply.text}\n${JSON.stringify(reply.blocks)}`.toLowerCase();
    const typed = text.toLowerCase();
    const names = [...Object.values(B_NAMES), B_GROUP, B_REWARD, `ci ${tag}`, tag];
    return names.filter(
      (name) => !typed.includes(name.toLowerCase()) && shown.includes(name.toLowerCase()),
    );
  };

  const everything = async (fixture: Fixture) => ({
    rows: await organizationSnapshot(db, fixture.organizationId),
    balances: await fixture.snapshot(),
  });
  /** A's rows but its audit log, which A's refused attempts rightly grow. */
  const allButAudit = async (fixture: Fixture) => {
    const { rows, balances } = await everything(fixture);
    return { rows: { ...rows, audit_log: [] } satisfies OrganizationSnapshot, balances };
  };

  it("names B's things in every command that takes an id or a name: refused or unknown, nothing of B told or changed", async () => {
    const bBefore = await everything(b);
    const aBefore = await allButAudit(a);
    const aAuditBefore = (await a.audit()).length;
    const tried = attempts();
    for (const { as, text, code } of tried) {
      const reply = await a.command(as, text);
      const label = `${as}: ${text} → ${reply.outcome} ${reply.code}: ${reply.text}`;
      expect({ outcome: reply.outcome, code: reply.code }, label).toEqual({
        outcome: 'refused',
        code,
      });
      expect(leaked(reply, text), label).toEqual([]);
    }
    for (const { as, text } of reads()) {
      const reply = await a.command(as, text);
      const label = `${as}: ${text} → ${reply.outcome}: ${reply.text}`;
      expect(reply.outcome, label).toBe('ok');
      expect(leaked(reply, text), label).toEqual([]);
    }
    expect(await everything(b)).toEqual(bBefore);
    expect(await allButAudit(a)).toEqual(aBefore);
    // Nothing A did was done: its log may hold refusals of the attempts, never a change.
    const written = (await a.audit()).slice(aAuditBefore);
    expect(written.filter((entry) => entry.outcome === 'done')).toEqual([]);
  });

  it('reads @Sam in A as A’s Sam, never B’s', async () => {
    const bBefore = await everything(b);
    const reply = await a.command('Ada', 'admin adjust @Sam +5 a bonus');
    expect(reply.outcome, reply.text).toBe('ok');
    expect(await a.balances('Sam')).toEqual({ earned: 5, allowance: expect.any(Number) });
    const entries = await a.audit();
    expect(entries.at(-1)).toMatchObject({
      action: 'adjustment.grant',
      outcome: 'done',
      target: `member:${a.members.Sam?.id}`,
    });
    expect(await everything(b)).toEqual(bBefore);
  });

  it("lets B's own admin, HR and members do the same, so the refusals above are A's", async () => {
    const { member: cy } = B_NAMES;
    const done = [
      { as: B_NAMES.admin, text: `admin adjust @${cy} +50 a bonus` },
      { as: B_NAMES.admin, text: `admin groups add "${B_GROUP}" @${B_NAMES.spender}` },
      { as: B_NAMES.admin, text: `admin allow-give except @${cy} group:"${B_GROUP}"` },
      { as: B_NAMES.admin, text: `admin settings member-allowance=@${cy}:50` },
      { as: B_NAMES.admin, text: `admin roles @${cy} +hr` },
      { as: B_NAMES.admin, text: `admin reverse ${ids.recognition} given by mistake` },
      { as: B_NAMES.hr, text: `hr reward edit ${ids.reward} stock=9` },
      { as: B_NAMES.hr, text: `hr redeem @${cy} #${ids.reward}` },
      { as: B_NAMES.spender, text: `redemptions cancel ${ids.held}` },
      { as: B_NAMES.hr, text: `hr reward retire ${ids.reward}` },
      { as: B_NAMES.admin, text: `admin tokens revoke ${ids.token}` },
    ];
    for (const { as, text } of done) {
      const reply = await b.command(as, text);
      expect(reply.outcome, `${as}: ${text} → ${reply.text}`).toBe('ok');
    }
    const held = await newest(db, 'redemptions', b.organizationId);
    const reply = await b.command(B_NAMES.hr, `hr reject ${held} x`);
    expect(reply.outcome, reply.text).toBe('ok');
  });
});

async function newest(
  db: Database,
  table: 'recognitions' | 'reward_items' | 'redemptions',
  organizationId: number,
): Promise<number> {
  const row = await db
    .selectFrom(table)
    .select('id')
    .where('organization_id', '=', organizationId)
    .orderBy('id', 'desc')
    .executeTakeFirstOrThrow();
  return row.id;
}
