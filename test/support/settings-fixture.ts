import { pino } from 'pino';
import { type AdminActor, actorOfCommand } from '../../src/admin/admin-actor.ts';
import { registerAdminCommands } from '../../src/admin/admin-commands.ts';
import type { AdminServices } from '../../src/admin/admin-services.ts';
import {
  ALLOW_GIVE_VERB,
  ALLOW_RECEIVE_VERB,
  DENY_VERB,
  RULES_VERB,
} from '../../src/admin/rule-commands.ts';
import { SETTINGS_VERB } from '../../src/admin/settings-command.ts';
import type { Reply } from '../../src/core/reply.ts';
import type { Database } from '../../src/db/database.ts';
import { InlineJobs } from '../../src/jobs/inline-jobs.ts';
import type { Jobs } from '../../src/jobs/job-queue.ts';
import { LocalMentionResolver } from '../../src/local/local-mention-resolver.ts';
import { createKudosRouter } from '../../src/recognition/kudos-commands.ts';
import { RewardDesk } from '../../src/rewards/reward-desk.ts';
import { key } from './ledger-fixture.ts';
import {
  createRecognitionFixture,
  localCommand,
  type MemberSpec,
  type RecognitionFixture,
} from './recognition-fixture.ts';

export interface SettingsFixture extends RecognitionFixture {
  readonly admin: AdminServices;
  /** Runs `/kudos <text>` (a give, or `admin …`) as a member, through the command router. */
  run(as: string, text: string): Promise<Reply>;
  /** A member as an admin actor, with the roles they hold. */
  actor(as: string): AdminActor;
  /** The organization's audit entries of an action, oldest first. */
  audit(
    action: string,
  ): Promise<Array<{ outcome: string; target: string | null; before: unknown; after: unknown }>>;
}

const logger = pino({ level: 'silent' });

/**
 * An organization with members, the kudos router with the settings and rule verbs, and
 * admin services over the same settings cache the gives read: what an admin changes is
 * what the next give sees.
 */
export async function createSettingsFixture(
  db: Database,
  options: {
    members: Record<string, MemberSpec>;
    jobs?: Jobs;
    values?: string[];
    timezone?: string;
  },
): Promise<SettingsFixture> {
  const recognition = await createRecognitionFixture(db, options);
  const jobs = options.jobs ?? new InlineJobs(logger);
  const { services } = recognition;
  const admin: AdminServices = {
    db,
    ledger: services.ledger,
    settings: services.settings,
    jobs,
    desk: new RewardDesk(db, services.ledger, jobs, logger),
    logger,
  };
  const router = createKudosRouter(services);
  registerAdminCommands(router, admin, [
    ALLOW_GIVE_VERB,
    ALLOW_RECEIVE_VERB,
    DENY_VERB,
    RULES_VERB,
    SETTINGS_VERB,
  ]);
  const resolver = new LocalMentionResolver(db);
  const memberOf = (name: string) => {
    const member = recognition.members[name];
    if (!member) throw new Error(`no member ${name}`);
    return member;
  };
  return {
    ...recognition,
    admin,
    run: (as, text) => router.route(localCommand(memberOf(as), text, key('cmd'), resolver)),
    actor: (as) => actorOfCommand(localCommand(memberOf(as), '', key('cmd'), resolver)),
    async audit(action) {
      return db
        .selectFrom('audit_log')
        .select(['outcome', 'target', 'before', 'after'])
        .where('organization_id', '=', recognition.organizationId)
        .where('action', '=', action)
        .orderBy('id')
        .execute();
    },
  };
}
