import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/database.ts';
import {
  addGroupMembers,
  createGroup,
  findGroupByName,
  groupMemberIds,
} from '../../../src/directory/groups.ts';
import {
  applyPlatformRecord,
  createMember,
  findMember,
  findMemberByEmail,
  setMemberStatus,
} from '../../../src/directory/members.ts';
import { createOrganization } from '../../../src/directory/organizations.ts';
import { findMemberByIdentity, linkIdentity } from '../../../src/directory/platform-identities.ts';
import { DIALECTS, openTestDatabase } from '../../support/databases.ts';
import { key } from '../../support/ledger-fixture.ts';

describe.each(DIALECTS)('directory on %s', (dialect) => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase(dialect);
  });
  afterAll(async () => {
    await db?.destroy();
  });

  async function organization() {
    const created = await createOrganization(db, {
      name: `Acme ${key()}`,
      timezone: 'America/New_York',
      currency: 'USD',
    });
    if (!created.ok) throw new Error(created.message);
    return created.value;
  }

  it('creates an organization and refuses a bad time zone or currency', async () => {
    expect(await organization()).toMatchObject({ timezone: 'America/New_York', currency: 'USD' });
    expect(
      await createOrganization(db, { name: 'X', timezone: 'Mars/Olympus', currency: 'USD' }),
    ).toMatchObject({
      ok: false,
      code: 'invalid_timezone',
      message: '"Mars/Olympus" is not a time zone; use an IANA name such as Europe/Lisbon.',
    });
    expect(
      await createOrganization(db, { name: 'X', timezone: 'UTC', currency: 'usd' }),
    ).toMatchObject({ ok: false, code: 'invalid_currency' });
    expect(
      await createOrganization(db, { name: '  ', timezone: 'UTC', currency: 'USD' }),
    ).toMatchObject({ ok: false, code: 'invalid_name' });
  });

  it('keeps members with roles, status, guest and bot flags, and one email per organization', async () => {
    const org = await organization();
    const ana = await createMember(db, org.id, {
      displayName: 'Ana Silva',
      email: 'Ana@Example.com',
      roles: ['member', 'admin'],
    });
    expect(ana).toMatchObject({
      ok: true,
      value: {
        displayName: 'Ana Silva',
        email: 'ana@example.com',
        roles: ['member', 'admin'],
        status: 'active',
        isGuest: false,
        isBot: false,
      },
    });
    if (!ana.ok) return;
    const guest = await createMember(db, org.id, { displayName: '田中 🎉', isGuest: true });
    expect(guest).toMatchObject({
      ok: true,
      value: { displayName: '田中 🎉', isGuest: true, email: null },
    });
    expect(
      await createMember(db, org.id, { displayName: 'Other Ana', email: 'ana@example.com' }),
    ).toMatchObject({ ok: false, code: 'email_taken' });
    expect(
      await createMember(db, org.id, { displayName: 'Bad', email: 'not-an-email' }),
    ).toMatchObject({ ok: false, code: 'invalid_email' });
    const elsewhere = await organization();
    expect(
      await createMember(db, elsewhere.id, {
        displayName: 'Ana elsewhere',
        email: 'ana@example.com',
      }),
    ).toMatchObject({ ok: true });

    expect(await findMemberByEmail(db, org.id, ' ANA@example.com ')).toMatchObject({
      id: ana.value.id,
    });
    expect(await setMemberStatus(db, org.id, ana.value.id, 'deactivated')).toMatchObject({
      ok: true,
      value: { status: 'deactivated' },
    });
    expect(await findMember(db, org.id, ana.value.id)).toMatchObject({ status: 'deactivated' });
    expect(await findMember(db, elsewhere.id, ana.value.id)).toBeUndefined();
  });

  it("brings a member in line with their platform's record, keeping an email another member has", async () => {
    const org = await organization();
    const made = async (displayName: string, email: string) => {
      const created = await createMember(db, org.id, { displayName, email });
      if (!created.ok) throw new Error(created.message);
      return created.value;
    };
    const li = await made('Li', 'li@example.com');
    await made('Bo', 'bo@example.com');
    const record = {
      displayName: 'Li Wei',
      email: 'BO@example.com',
      status: 'deactivated' as const,
      isGuest: true,
      isBot: false,
      timezone: 'Europe/Lisbon',
    };
    const leftAt = async () =>
      (
        await db
          .selectFrom('members')
          .select('deactivated_at')
          .where('id', '=', li.id)
          .executeTakeFirstOrThrow()
      ).deactivated_at;
    // Bo's email is Bo's: Li keeps hers, and takes the rest.
    expect(await applyPlatformRecord(db, li, record)).toBe('email_taken');
    expect(await findMember(db, org.id, li.id)).toMatchObject({
      displayName: 'Li Wei',
      email: 'li@example.com',
      status: 'deactivated',
      isGuest: true,
      timezone: 'Europe/Lisbon',
    });
    const left = await leftAt();
    expect(left).toBeInstanceOf(Date);
    // Told again (and with no email, which keeps hers): the day she left stays.
    expect(await applyPlatformRecord(db, li, { ...record, email: null })).toBe('applied');
    expect(await leftAt()).toEqual(left);
    expect(await findMember(db, org.id, li.id)).toMatchObject({ email: 'li@example.com' });
    // Reactivated, with an email of her own.
    await applyPlatformRecord(db, li, { ...record, status: 'active', email: 'Li.Wei@example.com' });
    expect(await findMember(db, org.id, li.id)).toMatchObject({
      status: 'active',
      email: 'li.wei@example.com',
    });
    expect(await leftAt()).toBeNull();
  });

  it('maps each platform identity to exactly one member', async () => {
    const org = await organization();
    const ana = await createMember(db, org.id, { displayName: 'Ana' });
    const li = await createMember(db, org.id, { displayName: 'Li' });
    if (!ana.ok || !li.ok) throw new Error('setup');
    const slackUser = { platform: 'slack' as const, tenantId: `T${key()}`, userId: 'U123' };
    const teamsUser = { platform: 'teams' as const, tenantId: `tenant-${key()}`, userId: 'aad-1' };
    const anaRef = { organizationId: org.id, memberId: ana.value.id };
    expect(await linkIdentity(db, slackUser, anaRef)).toEqual({ ok: true, value: anaRef });
    expect(await linkIdentity(db, teamsUser, anaRef)).toEqual({ ok: true, value: anaRef });
    expect(await linkIdentity(db, slackUser, anaRef)).toEqual({ ok: true, value: anaRef });
    expect(
      await linkIdentity(db, slackUser, { organizationId: org.id, memberId: li.value.id }),
    ).toMatchObject({ ok: false, code: 'identity_taken' });
    expect(await findMemberByIdentity(db, slackUser)).toEqual(anaRef);
    expect(await findMemberByIdentity(db, teamsUser)).toEqual(anaRef);
    expect(await findMemberByIdentity(db, { ...slackUser, userId: 'U999' })).toBeUndefined();
  });

  it('keeps groups with unique names and members once each', async () => {
    const org = await organization();
    const design = await createGroup(db, org.id, 'Design');
    if (!design.ok) throw new Error(design.message);
    expect(await createGroup(db, org.id, ' Design ')).toMatchObject({
      ok: false,
      code: 'group_taken',
    });
    const ana = await createMember(db, org.id, { displayName: 'Ana' });
    const li = await createMember(db, org.id, { displayName: 'Li' });
    if (!ana.ok || !li.ok) throw new Error('setup');
    await addGroupMembers(db, design.value, [ana.value.id, li.value.id, ana.value.id]);
    await addGroupMembers(db, design.value, [li.value.id]);
    expect(await groupMemberIds(db, design.value)).toEqual(
      [ana.value.id, li.value.id].sort((a, b) => a - b),
    );
    expect(await findGroupByName(db, org.id, 'Design')).toEqual(design.value);
  });
});
