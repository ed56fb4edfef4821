import type { Database } from '../db/database.ts';
import type { Member } from '../directory/members.ts';
import { writeAudit } from './audit-log.ts';
import { adminIfFirst } from './roles.ts';

/**
 * The first person to use an organization (run a command in it) becomes its admin: the
 * one who installed Plaudit, as a rule. Not someone a command merely names, nor a member a
 * group mirror brings in, a guest or a bot. An organization that has an admin keeps one
 * (the last admin cannot be removed), so each process asks the database once per
 * organization and then only remembers.
 */
export class FirstAdmin {
  readonly #haveAdmin = new Set<number>();

  constructor(private readonly db: Database) {}

  readonly check = async (actor: Member): Promise<Member> => {
    const organizationId = actor.organizationId;
    if (actor.roles.includes('admin')) {
      this.#haveAdmin.add(organizationId);
      return actor;
    }
    if (this.#haveAdmin.has(organizationId)) return actor;
    if (actor.isBot || actor.isGuest || actor.status !== 'active') return actor;
    const promoted = await this.db.transaction().execute(async (trx) => {
      if (!(await adminIfFirst(trx, organizationId, actor.id))) return false;
      await writeAudit(
        trx,
        {
          organizationId,
          memberId: null,
          tokenId: null,
          roles: [],
          via: 'system',
          name: 'Plaudit',
        },
        {
          action: 'role.grant',
          target: `member:${actor.id}`,
          outcome: 'done',
          before: { roles: actor.roles },
          after: { roles: [...actor.roles, 'admin'], why: 'the first person to use Plaudit here' },
        },
      );
      return true;
    });
    this.#haveAdmin.add(organizationId);
    return promoted ? { ...actor, roles: [...actor.roles, 'admin'] } : actor;
  };
}
