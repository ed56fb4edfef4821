import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAdminCommands } from '../../../src/admin/admin-commands.ts';
import { ADMIN_VERBS } from '../../../src/admin/admin-verbs.ts';
import { newLinkCode, normalizeLinkCode } from '../../../src/admin/organization-links.ts';
import type { Reply } from '../../../src/core/reply.ts';
import type { Database } from '../../../src/db/database.ts';
import { memberOnFirstSight } from '../../../src/directory/first-sight.ts';
import { findMember } from '../../../src/directory/members.ts';
import { linkIdentity } from '../../../src/directory/platform-identities.ts';
import { LocalMentionResolver } from '../../../src/local/local-mention-resolver.ts';
import { createKudosRouter } from '../../../src/recognition/kudos-commands.ts';
import { createRecognitionServices } from '../../../src/recognition/recognition-services.ts';
import { type AdminFixture, createAdminFixture } from '../../support/admin-fixture.ts';
import { DIALECTS, type Dialect, openTestDatabase } from '../../support/databases.ts';
import { key } from '../../support/ledger-fixture.ts';
import { organizationSnapshot } from '../../support/organization-snapshot.ts';
import { localCommand } from '../../support/recognition-fixture.ts';

type ChatPlatform = 'slack' | 'teams';

/** An organization with one Slack workspace or Teams tenant, whose people are its members. */
interface Place {
  readonly f: AdminFixture;
  readonly platform: ChatPlatform;
  readonly tenantId: string;
  /** Each member's user id on the platform. */
  readonly userIds: Record<string, string>;
  /** Runs `/kudos <text>` as a member, from this workspace or tenant. */
  chat(as: string, text: string, platform?: ChatPlatform | 'local'): Promise<Reply>;
}

const CODE = /`([0-9A-Z]{4}(?:-[0-9A-Z]{4}){6})`/;

function codeIn(reply: Reply): string {
  const code = CODE.exec(reply.text)?.[1];
  if (!code) throw new Error(`no link code in: ${reply.text}`);
  return code;
}

function linkOrganizations(dialect: Dialect) {
  let db: Database;
  const closers: Array<() => Promise<void>> = [];
  beforeAll(async () => {
    db = await openTestDatabase(dialect);
  });
  afterAll(async () => {
    await Promise.all(closers.map((close) => close()));
    await db?.destroy();
  });

  /** A new organization on `platform`: Ada (admin), Bo and Cy, with the emails given. */
  async function place(
    platform: ChatPlatform,
    emails: Record<string, string> = {},
  ): Promise<Place> {
    const f = await createAdminFixture(db, {
      members: { Ada: { roles: ['member', 'admin'] }, Bo: {}, Cy: {} },
    });
    closers.push(f.close);
    const tenantId =
      platform === 'slack' ? `T${randomUUID().slice(0, 8).toUpperCase()}` : randomUUID();
    if (platform === 'slack') {
      await db
        .insertInto('slack_workspaces')
        .values({
          team_id: tenantId,
          enterprise_id: null,
          organization_id: f.organizationId,
          bot_user_id: 'UBOT',
        })
        .execute();
    } else {
      await db
        .insertInto('teams_tenants')
        .values({ tenant_id: tenantId, organization_id: f.organizationId })
        .execute();
    }
    const userIds: Record<string, string> = {};
    for (const [name, member] of Object.entries(f.members)) {
      const userId = platform === 'slack' ? `U${name.toUpperCase()}${key('u')}` : randomUUID();
      userIds[name] = userId;
      const linked = await linkIdentity(
        db,
        { platform, tenantId, userId },
        { organizationId: f.organizationId, memberId: member.id },
      );
      if (!linked.ok) throw new Error(linked.message);
      const email = emails[name];
      if (email)
        await db.updateTable('members').set({ email }).where('id', '=', member.id).execute();
    }
    const router = createKudosRouter(createRecognitionServices(db));
    registerAdminCommands(router, f.services, ADMIN_VERBS);
    const resolver = new LocalMentionResolver(db);
    return {
      f,
      platform,
      tenantId,
      userIds,
      async chat(as, text, from = platform) {
        const member = await findMember(db, f.organizationId, (f.members[as] as { id: number }).id);
        if (!member) throw new Error(`no member ${as}`);
        return router.route({
          ...localCommand(member, text, key('link'), resolver),
          platform: from,
          tenantId: from === 'local' ? 'local' : tenantId,
        });
      },
    };
  }

  /** The organization a workspace or tenant is connected to now. */
  async function connectedTo(at: Place): Promise<number | undefined> {
    const row =
      at.platform === 'slack'
        ? await db
            .selectFrom('slack_workspaces')
            .select('organization_id')
            .where('team_id', '=', at.tenantId)
            .executeTakeFirst()
        : await db
            .selectFrom('teams_tenants')
            .select('organization_id')
            .where('tenant_id', '=', at.tenantId)
            .executeTakeFirst();
    return row?.organization_id;
  }

  /** Everything of an organization but its audit log (refusals are audited). */
  async function state(at: Place) {
    const { audit_log: _audited, ...rest } = await organizationSnapshot(db, at.f.organizationId);
    return rest;
  }

  return {
    get db() {
      return db;
    },
    place,
    connectedTo,
    state,
  };
}

describe.each(DIALECTS)('organization link codes on %s', (dialect) => {
  const links = linkOrganizations(dialect);

  it('makes codes of 140 random bits, in groups of four, read back whatever their case and dashes', () => {
    const codes = new Set(Array.from({ length: 200 }, () => newLinkCode()));
    expect(codes.size).toBe(200);
    for (const code of codes)
      expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){6}$/);
    const code = [...codes][0] as string;
    const compact = code.replace(/-/g, '');
    expect(normalizeLinkCode(code)).toBe(compact);
    expect(normalizeLinkCode(` ${code.toLowerCase()} `)).toBe(compact);
    expect(normalizeLinkCode(compact.match(/.{1,7}/g)?.join(' ') ?? '')).toBe(compact);
    expect(normalizeLinkCode('hello')).toBeUndefined();
    expect(normalizeLinkCode(`${compact}0`)).toBeUndefined();
    expect(normalizeLinkCode(`${compact.slice(1)}U`)).toBeUndefined();
  });

  for (const [codeFrom, runIn] of [
    ['slack', 'teams'],
    ['teams', 'slack'],
  ] as const) {
    it(`a ${codeFrom} organization's code brings a ${runIn} one in: its people are seen anew there, joined by email`, async () => {
      const a = await links.place(codeFrom, { Ada: 'ada@acme.example' });
      const b = await links.place(runIn, { Ada: 'ada@acme.example', Bo: 'bo@acme.example' });
      const { db } = links;

      const made = await a.chat('Ada', 'admin link');
      expect(made).toMatchObject({ outcome: 'ok', visibility: 'private', confidential: true });
      const code = codeIn(made);
      expect(made.text).toContain(`/kudos admin link ${code} in Slack`);
      expect(made.text).toContain(`the message admin link ${code} to Plaudit in Teams`);
      const stored = await db
        .selectFrom('organization_link_codes')
        .selectAll()
        .where('organization_id', '=', a.f.organizationId)
        .execute();
      expect(stored).toHaveLength(1);
      expect(JSON.stringify(stored)).not.toContain(code.replace(/-/g, ''));
      expect(JSON.stringify(stored)).not.toContain(code);
      const lifetime = (stored[0]?.expires_at.getTime() ?? 0) - Date.now();
      expect(lifetime).toBeGreaterThan(24 * 3_600_000 - 60_000);
      expect(lifetime).toBeLessThanOrEqual(24 * 3_600_000);

      // The bot's conversations in a tenant: Bo's personal chat, and a channel.
      if (runIn === 'teams') {
        const conversation = (
          id: string,
          kind: 'personal' | 'channel',
          memberId: number | null,
        ) => ({
          organization_id: b.f.organizationId,
          tenant_id: b.tenantId,
          conversation_id: id,
          kind,
          member_id: memberId,
          reference: JSON.stringify({ conversation: { id } }),
        });
        await db
          .insertInto('teams_conversations')
          .values([
            conversation('a:bo', 'personal', b.f.members.Bo?.id ?? null),
            conversation('19:general@thread.tacv2', 'channel', null),
          ])
          .execute();
      }
      // Allowance alone is no points: Ada of B looked at her balance, which opens her period.
      expect((await b.chat('Ada', 'balance')).outcome).toBe('ok');
      const linked = await b.chat('Ada', `admin link ${code.toLowerCase()}`);
      const aName = (
        await db
          .selectFrom('organizations')
          .select('name')
          .where('id', '=', a.f.organizationId)
          .executeTakeFirstOrThrow()
      ).name;
      expect(linked).toMatchObject({ outcome: 'ok' });
      expect(linked.text).toBe(
        `${runIn === 'slack' ? 'This Slack workspace' : 'This Teams tenant'} is now part of ${aName}: its people share that organization's points, settings and admins from their next command on (one member per person where the email matches). Roles given here before, yours too, stay with the organization it left; ask an admin of ${aName} for any you need.`,
      );
      expect(await links.connectedTo(b)).toBe(a.f.organizationId);
      expect(await links.connectedTo(a)).toBe(a.f.organizationId);

      // B keeps nothing of the workspace: no identities, and its people left it.
      const left = await db
        .selectFrom('platform_identities')
        .select('user_id')
        .where('organization_id', '=', b.f.organizationId)
        .execute();
      expect(left).toEqual([]);
      const bMembers = await db
        .selectFrom('members')
        .select(['display_name', 'status'])
        .where('organization_id', '=', b.f.organizationId)
        .orderBy('display_name')
        .execute();
      expect(bMembers).toEqual([
        { display_name: 'Ada', status: 'deactivated' },
        { display_name: 'Bo', status: 'deactivated' },
        { display_name: 'Cy', status: 'deactivated' },
      ]);

      // A personal chat is with a member of B: it goes. The channel is the tenant's: it moves.
      const conversations = await db
        .selectFrom('teams_conversations')
        .select(['organization_id', 'conversation_id'])
        .where('tenant_id', '=', b.tenantId)
        .execute();
      expect(conversations).toEqual(
        runIn === 'teams'
          ? [{ organization_id: a.f.organizationId, conversation_id: '19:general@thread.tacv2' }]
          : [],
      );

      // Seen anew, B's Ada is A's Ada by email; Bo is a new member of A.
      const seen = (name: string, email: string | null) =>
        memberOnFirstSight(
          db,
          a.f.organizationId,
          { platform: runIn, tenantId: b.tenantId, userId: b.userIds[name] as string },
          {
            displayName: name,
            email,
            status: 'active',
            home: { tenantId: b.tenantId },
          },
        );
      const ada = await seen('Ada', 'ada@acme.example');
      expect(ada.id).toBe(a.f.members.Ada?.id);
      const bo = await seen('Bo', 'bo@acme.example');
      expect(bo.organizationId).toBe(a.f.organizationId);
      expect(bo.id).not.toBe(b.f.members.Bo?.id);

      // Both audit logs tell of it; A's entry is the code maker's, naming who ran it.
      const target = `${runIn}:${b.tenantId}`;
      expect(
        (await a.f.audit()).map((entry) => [
          entry.actorName,
          entry.action,
          entry.outcome,
          entry.target?.startsWith('link_code:') ? 'link_code' : entry.target,
        ]),
      ).toEqual([
        ['Ada', 'organization.link_code', 'done', 'link_code'],
        ['Ada', 'organization.link', 'done', target],
      ]);
      expect((await a.f.audit())[1]?.after).toMatchObject({
        fromOrganizationId: b.f.organizationId,
        linkedBy: 'Ada',
        peopleMoved: 3,
      });
      const bAudit = await b.f.audit();
      expect(
        bAudit.map((entry) => [entry.actorName, entry.action, entry.outcome, entry.target]),
      ).toEqual([['Ada', 'organization.move', 'done', target]]);
      expect(bAudit[0]?.after).toMatchObject({
        organizationId: a.f.organizationId,
        organizationName: aName,
      });
      expect(JSON.stringify([await a.f.audit(), bAudit])).not.toContain(code);

      // Used once: the same code again, anywhere, is refused.
      const c = await links.place(runIn);
      expect(await c.chat('Ada', `admin link ${code}`)).toMatchObject({
        outcome: 'refused',
        code: 'used_link_code',
      });
    });
  }

  it('refuses wrong, expired, used and own codes, non-admins, an organization with points and the local console, changing nothing', async () => {
    const { db } = links;
    const a = await links.place('slack');
    const b = await links.place('teams');
    const fresh = async () => codeIn(await a.chat('Ada', 'admin link'));
    const expired = await fresh();
    await db
      .updateTable('organization_link_codes')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('organization_id', '=', a.f.organizationId)
      .execute();
    const used = await fresh();
    const other = await links.place('teams');
    expect((await other.chat('Ada', `admin link ${used}`)).outcome).toBe('ok');
    const good = await fresh();
    const own = codeIn(await b.chat('Ada', 'admin link'));

    const attempts: Array<[string, () => Promise<Reply>, string, string]> = [
      [
        'a code Plaudit never made',
        () => b.chat('Ada', `admin link ${newLinkCode()}`),
        'unknown_link_code',
        'That is not a link code Plaudit made: check it for typos, or ask an admin of the organization to join for a new one. Nothing changed.',
      ],
      [
        'something that is no code',
        () => b.chat('Ada', 'admin link please'),
        'unknown_link_code',
        'That is not a link code Plaudit made: check it for typos, or ask an admin of the organization to join for a new one. Nothing changed.',
      ],
      [
        'an expired code',
        () => b.chat('Ada', `admin link ${expired}`),
        'expired_link_code',
        'That link code has expired (a code works for 24 hours). Ask an admin of the organization that made it for a new one. Nothing changed.',
      ],
      [
        'a used code',
        () => b.chat('Ada', `admin link ${used}`),
        'used_link_code',
        'That link code was used already, and each works once. Ask an admin of the organization that made it for a new one. Nothing changed.',
      ],
      [
        "the organization's own code",
        () => b.chat('Ada', `admin link ${own}`),
        'same_organization',
        'That link code is for this organization itself: run it in the other workspace or tenant, the one to bring in. Nothing changed.',
      ],
      [
        'a member who is no admin',
        () => b.chat('Bo', `admin link ${good}`),
        'not_admin',
        'Only admins can link this workspace to another organization; ask an admin if this needs doing.',
      ],
      [
        'the local console',
        () => b.chat('Ada', `admin link ${good}`, 'local'),
        'not_linkable',
        'Linking moves a Slack workspace or a Teams tenant to another organization; the local console has none to move. Nothing changed.',
      ],
    ];
    for (const [label, attempt, code, text] of attempts) {
      const before = [await links.state(a), await links.state(b)];
      const reply = await attempt();
      expect({ label, outcome: reply.outcome, code: reply.code, text: reply.text }).toEqual({
        label,
        outcome: 'refused',
        code,
        text,
      });
      expect([await links.state(a), await links.state(b)]).toEqual(before);
    }
    expect(
      (await b.f.audit())
        .filter((entry) => entry.action === 'organization.move')
        .map((entry) => [entry.actorName, entry.outcome, entry.refusalCode]),
    ).toEqual([
      ['Ada', 'refused', 'unknown_link_code'],
      ['Ada', 'refused', 'unknown_link_code'],
      ['Ada', 'refused', 'expired_link_code'],
      ['Ada', 'refused', 'used_link_code'],
      ['Ada', 'refused', 'same_organization'],
      ['Bo', 'refused', 'not_admin'],
      ['Ada', 'refused', 'not_linkable'],
    ]);

    // Points given in B would be left behind: refused, and the good code still works later.
    await b.f.earn('Bo', 5);
    const before = [await links.state(a), await links.state(b)];
    const withPoints = await b.chat('Ada', `admin link ${good}`);
    expect(withPoints).toMatchObject({
      outcome: 'refused',
      code: 'organization_has_points',
      text: 'This organization already has points given, adjusted or redeemed, and linking would leave them behind (ledgers are not merged), so this workspace stays where it is. Link a workspace or tenant before anyone gives kudos in it; to keep these points, keep the two organizations apart.',
    });
    expect([await links.state(a), await links.state(b)]).toEqual(before);
    const later = await links.place('teams');
    expect((await later.chat('Ada', `admin link ${good}`)).outcome).toBe('ok');
    expect(await links.connectedTo(later)).toBe(a.f.organizationId);
  });

  it('a non-admin cannot make a code', async () => {
    const a = await links.place('slack');
    const before = await links.state(a);
    expect(await a.chat('Bo', 'admin link')).toMatchObject({
      outcome: 'refused',
      code: 'not_admin',
      text: 'Only admins can make link codes; ask an admin if this needs doing.',
    });
    expect(await links.state(a)).toEqual(before);
  });
});

describe('organization link codes at once, on Postgres', () => {
  const links = linkOrganizations('postgres');

  it('the same code run in two places at once links one of them, and the other is told it was used', async () => {
    const a = await links.place('slack');
    const code = codeIn(await a.chat('Ada', 'admin link'));
    for (let round = 0; round < 5; round += 1) {
      const b = await links.place('teams');
      const c = await links.place('slack');
      const roundCode = round === 0 ? code : codeIn(await a.chat('Ada', 'admin link'));
      const replies = await Promise.all([
        b.chat('Ada', `admin link ${roundCode}`),
        c.chat('Ada', `admin link ${roundCode}`),
      ]);
      expect(replies.map((reply) => reply.code ?? reply.outcome).sort()).toEqual([
        'ok',
        'used_link_code',
      ]);
      const moved = [await links.connectedTo(b), await links.connectedTo(c)];
      const winner = replies[0]?.outcome === 'ok' ? 0 : 1;
      expect(moved[winner]).toBe(a.f.organizationId);
      expect(moved[1 - winner]).toBe([b, c][1 - winner]?.f.organizationId);
      const { rows } = await sql<{ n: number }>`
        select count(*)::int as n from audit_log
        where organization_id = ${a.f.organizationId} and action = 'organization.link'`.execute(
        links.db,
      );
      expect(rows[0]?.n).toBe(round + 1);
    }
  });
});
