import type { Database } from '../../src/db/database.ts';
import { createMember } from '../../src/directory/members.ts';
import { createOrganization } from '../../src/directory/organizations.ts';
import type { MemberAccounts, OrganizationAccounts } from '../../src/ledger/accounts.ts';
import { Ledger } from '../../src/ledger/ledger.ts';

let sequence = 0;

/** A unique idempotency key for this test process. */
export function key(label = 'k'): string {
  sequence += 1;
  return `${label}-${process.pid}-${Date.now()}-${sequence}`;
}

export interface LedgerFixture {
  readonly db: Database;
  readonly ledger: Ledger;
  readonly organizationId: number;
  readonly org: OrganizationAccounts;
  readonly members: MemberAccounts[];
}

/** A new organization with `memberCount` members and their accounts, all balances zero. */
export async function createLedgerFixture(db: Database, memberCount = 3): Promise<LedgerFixture> {
  const organization = await createOrganization(db, {
    name: `Org ${key()}`,
    timezone: 'Europe/Lisbon',
    currency: 'EUR',
  });
  if (!organization.ok) throw new Error(organization.message);
  const organizationId = organization.value.id;
  const ledger = new Ledger(db);
  const org = await ledger.organizationAccounts(organizationId);
  const members: MemberAccounts[] = [];
  for (let index = 0; index < memberCount; index++) {
    const member = await createMember(db, organizationId, { displayName: `Member ${index}` });
    if (!member.ok) throw new Error(member.message);
    members.push(await ledger.memberAccounts(organizationId, member.value.id));
  }
  return { db, ledger, organizationId, org, members };
}

/** Gives a member allowance and earned points, each from its organization source. */
export async function fund(
  fixture: LedgerFixture,
  member: MemberAccounts,
  amounts: { allowance?: number; points?: number },
): Promise<void> {
  const transfers = [];
  if (amounts.allowance) {
    transfers.push({
      debitAccountId: fixture.org.allowance_pool.id,
      creditAccountId: member.allowance.id,
      amount: amounts.allowance,
      kind: 'allowance_grant' as const,
    });
  }
  if (amounts.points) {
    transfers.push({
      debitAccountId: fixture.org.issuance.id,
      creditAccountId: member.earned.id,
      amount: amounts.points,
      kind: 'adjustment' as const,
    });
  }
  const result = await fixture.ledger.transfer({
    organizationId: fixture.organizationId,
    idempotencyKey: key('fund'),
    transfers,
  });
  if (!result.ok) throw new Error(result.message);
}

/** Holds a member's earned points for a redemption: a pending transfer to redemption_hold. */
export function holdPoints(fixture: LedgerFixture, member: MemberAccounts, amount: number) {
  return fixture.ledger.transfer({
    organizationId: fixture.organizationId,
    idempotencyKey: key('hold'),
    transfers: [
      {
        debitAccountId: member.earned.id,
        creditAccountId: fixture.org.redemption_hold.id,
        amount,
        kind: 'redemption',
        pending: true,
      },
    ],
  });
}
