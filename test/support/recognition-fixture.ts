import { sql } from 'kysely';
import type { Command, MentionResolver } from '../../src/core/command.ts';
import type { Database } from '../../src/db/database.ts';
import type { MemberRole, RecognitionSettingsTable } from '../../src/db/tables.ts';
import { createMember, type Member } from '../../src/directory/members.ts';
import { createOrganization } from '../../src/directory/organizations.ts';
import { LocalMentionResolver } from '../../src/local/local-mention-resolver.ts';
import { createKudosRouter } from '../../src/recognition/kudos-commands.ts';
import {
  createRecognitionServices,
  type RecognitionServices,
} from '../../src/recognition/recognition-services.ts';
import { key } from './ledger-fixture.ts';

export interface RecognitionFixture {
  readonly db: Database;
  readonly services: RecognitionServices;
  readonly organizationId: number;
  readonly members: Record<string, Member>;
  /** Runs `/kudos <text>` as a member, with a fresh idempotency key unless one is given. */
  kudos(
    as: string,
    text: string,
    idempotencyKey?: string,
  ): ReturnType<ReturnType<typeof createKudosRouter>['route']>;
}

export interface MemberSpec {
  readonly roles?: MemberRole[];
  readonly isGuest?: boolean;
  readonly isBot?: boolean;
}

/**
 * A new organization with members named as given (first names, unique), its values, and
 * settings changed from the defaults as asked (the admin surfaces come later).
 */
export async function createRecognitionFixture(
  db: Database,
  options: {
    members: Record<string, MemberSpec>;
    settings?: Partial<Record<keyof RecognitionSettingsTable, unknown>>;
    values?: string[];
    timezone?: string;
    services?: RecognitionServices;
  },
): Promise<RecognitionFixture> {
  const organization = await createOrganization(db, {
    name: `Org ${key()}`,
    timezone: options.timezone ?? 'Europe/Lisbon',
    currency: 'EUR',
  });
  if (!organization.ok) throw new Error(organization.message);
  const organizationId = organization.value.id;
  const members: Record<string, Member> = {};
  for (const [name, spec] of Object.entries(options.members)) {
    const created = await createMember(db, organizationId, { displayName: name, ...spec });
    if (!created.ok) throw new Error(created.message);
    members[name] = created.value;
  }
  await db.insertInto('recognition_settings').values({ organization_id: organizationId }).execute();
  for (const [column, value] of Object.entries(options.settings ?? {})) {
    const json = typeof value === 'object' && value !== null ? JSON.stringify(value) : value;
    await sql`update recognition_settings set ${sql.ref(column)} = ${json}
      where organization_id = ${organizationId}`.execute(db);
  }
  for (const value of options.values ?? []) {
    await db
      .insertInto('company_values')
      .values({ organization_id: organizationId, name: value, description: null })
      .execute();
  }
  const services = options.services ?? createRecognitionServices(db);
  const router = createKudosRouter(services);
  const mentionResolver = new LocalMentionResolver(db);
  return {
    db,
    services,
    organizationId,
    members,
    kudos(as, text, idempotencyKey = key('cmd')) {
      const actor = members[as];
      if (!actor) throw new Error(`no member ${as}`);
      return router.route(localCommand(actor, text, idempotencyKey, mentionResolver));
    },
  };
}

/** `/kudos <text>` as a member types it in the local console. */
export function localCommand(
  actor: Member,
  text: string,
  idempotencyKey: string,
  mentionResolver: MentionResolver,
): Command {
  return {
    actor,
    text,
    mentions: [],
    idempotencyKey,
    platform: 'local',
    tenantId: 'local',
    channel: 'test',
    commandName: '/kudos',
    mentionResolver,
    clock: { now: () => new Date() },
  };
}

/** Allowance left and points earned, from the ledger. */
export async function balancesOf(fixture: RecognitionFixture, name: string) {
  const member = fixture.members[name] as Member;
  const accounts = await fixture.services.ledger.memberAccounts(fixture.organizationId, member.id);
  const balances = await fixture.services.ledger.balances([
    accounts.allowance.id,
    accounts.earned.id,
  ]);
  return {
    allowance: balances.get(accounts.allowance.id)?.available ?? 0,
    earned: balances.get(accounts.earned.id)?.available ?? 0,
  };
}

export async function recognitionCount(db: Database, organizationId: number): Promise<number> {
  const row = await db
    .selectFrom('recognitions')
    .select(sql<number>`count(*)::bigint`.as('n'))
    .where('organization_id', '=', organizationId)
    .executeTakeFirstOrThrow();
  return row.n;
}
