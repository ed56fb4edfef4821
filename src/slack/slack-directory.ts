import type { Logger } from 'pino';
import type { MentionResolver } from '../core/command.ts';
import type { Database } from '../db/database.ts';
import { memberOnFirstSight, type OnFirstSight } from '../directory/first-sight.ts';
import { applyPlatformRecord, findIdentifiedMember, type Member } from '../directory/members.ts';
import { isHomeConnected, OutsiderUser, type UserHome } from '../directory/outsiders.ts';
import { unlinkIdentity } from '../directory/platform-identities.ts';
import type { RecipientRef } from '../recognition/grammar/give-grammar.ts';
import type { SlackInstallations } from './slack-installations.ts';
import type { SlackWorkspace } from './slack-workspaces.ts';

/** The members a command read of the users it names, by user id (null: no member yet). */
export type ReadMembers = ReadonlyMap<string, Member | null>;

/** A user record as `users.info` returns it (the fields Plaudit reads). */
export interface SlackUser {
  id?: string;
  name?: string;
  real_name?: string;
  deleted?: boolean;
  is_bot?: boolean;
  is_restricted?: boolean;
  is_ultra_restricted?: boolean;
  tz?: string;
  /** The user's home workspace: another one's user is an outsider unless it is connected too. */
  team_id?: string;
  /** Enterprise Grid: the enterprise the user's account belongs to. */
  enterprise_user?: { enterprise_id?: string; teams?: string[] };
  /** A person of another organization, seen through Slack Connect. */
  is_stranger?: boolean;
  profile?: { display_name?: string; real_name?: string; email?: string };
}

/** How a Slack user's record reads as a member's. */
function memberFields(user: SlackUser) {
  return {
    displayName:
      user.profile?.display_name?.trim() ||
      user.profile?.real_name?.trim() ||
      user.real_name?.trim() ||
      user.name?.trim() ||
      (user.id as string),
    email: user.profile?.email?.toLowerCase() ?? null,
    status: user.deleted ? ('deactivated' as const) : ('active' as const),
    isGuest: Boolean(user.is_restricted || user.is_ultra_restricted),
    isBot: Boolean(user.is_bot),
    timezone: user.tz ?? null,
    home: {
      tenantId: user.team_id ?? null,
      enterpriseId: user.enterprise_user?.enterprise_id ?? null,
      stranger: Boolean(user.is_stranger),
    },
  };
}

/**
 * Slack users as members: found by their platform identity, or created on first sight
 * from `users.info` (name, email, deactivation, guest and bot flags) and linked, joining
 * an existing member with the same email in the organization. A user whose home
 * workspace (`team_id`, or Grid enterprise) is not connected to the organization, or a
 * Slack Connect stranger, is an {@link OutsiderUser}: never a member. A known user's record is
 * refreshed from Slack in the background once its time to live has passed, so a command
 * never waits on Slack for someone already known, and at once when Slack's events tell of a
 * change ({@link SlackDirectory.seen}). User groups expand through
 * `usergroups.users.list`.
 */
export class SlackDirectory {
  readonly #checked = new Map<string, number>();
  readonly #pending = new Map<string, Promise<Member>>();

  constructor(
    private readonly db: Database,
    /** The Web API client of each workspace. */
    private readonly installations: SlackInstallations,
    private readonly logger: Logger,
    /** What comes with a user's first sight (the admins PLAUDIT_INITIAL_ADMINS names). */
    private readonly onFirstSight?: OnFirstSight,
    /** @defaultValue 10 minutes */
    private readonly ttlMs = 600_000,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The member a Slack user is, creating them on first sight. `read` is what the command
   * read of its people just now ({@link readWorkspaceWithMembers}): a user in it is not
   * looked up again.
   */
  member(workspace: SlackWorkspace, userId: string, read?: ReadMembers): Promise<Member> {
    const key = `${workspace.teamId}:${userId}`;
    let pending = this.#pending.get(key);
    if (!pending) {
      pending = this.#member(workspace, userId, read).finally(() => this.#pending.delete(key));
      this.#pending.set(key, pending);
    }
    return pending;
  }

  /**
   * The member a user of a mirrored user group is: a known one as stored (a sync names
   * many people at once, so none is refreshed from Slack), anyone else on first sight.
   */
  async mirroredMember(workspace: SlackWorkspace, userId: string): Promise<Member> {
    const identity = { platform: 'slack' as const, tenantId: workspace.teamId, userId };
    const known = await findIdentifiedMember(this.db, identity);
    if (known) return known;
    const user = await this.#usersInfo(workspace, userId);
    this.#checked.set(`${workspace.teamId}:${userId}`, this.now());
    return this.#create(workspace, userId, user);
  }

  /** A mention resolver bound to one workspace, for one command (with the people it read). */
  resolverFor(workspace: SlackWorkspace, read?: ReadMembers): MentionResolver {
    return {
      resolve: async (_organizationId: number, refs: readonly RecipientRef[]) => {
        const members: Member[] = [];
        const unknown: string[] = [];
        const outsiders: string[] = [];
        const named = new Set<number>();
        const throughGroups = new Set<number>();
        for (const ref of refs) {
          if (ref.kind === 'slack_user') {
            const member = await this.member(workspace, ref.userId, read).catch(
              (error: unknown) => {
                if (isUnknownSlackUser(error)) return undefined;
                if (error instanceof OutsiderUser) return error;
                throw error;
              },
            );
            if (member instanceof OutsiderUser) outsiders.push(member.displayName);
            else if (member) {
              members.push(member);
              named.add(member.id);
            } else unknown.push('that person');
          } else if (ref.kind === 'slack_group') {
            const users = await this.#groupUsers(workspace, ref.groupId);
            if (users === undefined) unknown.push(`@${ref.label ?? 'that group'}`);
            for (const user of users ?? []) {
              // A user group may hold Slack Connect people: never members, so not thanked.
              const member = await this.member(workspace, user).catch((error: unknown) => {
                if (error instanceof OutsiderUser) return undefined;
                throw error;
              });
              if (member) {
                members.push(member);
                throughGroups.add(member.id);
              }
            }
          } else {
            unknown.push(ref.kind === 'name' ? `@${ref.name}` : 'that mention');
          }
        }
        const throughGroupsOnly = [...throughGroups].filter((id) => !named.has(id));
        return { members, unknown, outsiders, throughGroupsOnly };
      },
    };
  }

  async #member(workspace: SlackWorkspace, userId: string, read?: ReadMembers): Promise<Member> {
    const identity = { platform: 'slack' as const, tenantId: workspace.teamId, userId };
    const key = `${workspace.teamId}:${userId}`;
    const known = read?.has(userId)
      ? (read.get(userId) ?? undefined)
      : await findIdentifiedMember(this.db, identity);
    if (known) {
      if (this.now() - (this.#checked.get(key) ?? 0) > this.ttlMs) {
        this.#checked.set(key, this.now());
        this.#refresh(workspace, known, userId).catch((error) =>
          this.logger.warn({ err: error, userId }, 'could not refresh a Slack user'),
        );
      }
      return known;
    }
    const user = await this.#usersInfo(workspace, userId);
    const member = await this.#create(workspace, userId, user);
    this.#checked.set(key, this.now());
    return member;
  }

  #create(workspace: SlackWorkspace, userId: string, user: SlackUser): Promise<Member> {
    const identity = { platform: 'slack' as const, tenantId: workspace.teamId, userId };
    return memberOnFirstSight(
      this.db,
      workspace.organizationId,
      identity,
      memberFields(user),
      this.onFirstSight,
    );
  }

  async #refresh(workspace: SlackWorkspace, member: Member, userId: string): Promise<void> {
    await this.#apply(workspace, member, userId, await this.#usersInfo(workspace, userId));
  }

  /**
   * A user's record as Slack tells it now (`user_change`, `team_join`): a known member is
   * brought in line at once; with `join`, someone new becomes a member (first sight, the
   * outsider rule and its hook included). Someone unknown is otherwise left for first sight.
   * `reread` asks Slack for the record instead: a redelivered event may be older than a
   * change that came after it. Outsiders are never made members: an {@link OutsiderUser}.
   */
  async seen(
    workspace: SlackWorkspace,
    told: SlackUser,
    options: { join: boolean; reread: boolean },
  ): Promise<Member | undefined> {
    const userId = told.id;
    if (!userId) return undefined;
    const identity = { platform: 'slack' as const, tenantId: workspace.teamId, userId };
    const known = await findIdentifiedMember(this.db, identity);
    if (!known && !options.join) return undefined;
    const user = options.reread ? await this.#usersInfo(workspace, userId) : told;
    this.#checked.set(`${workspace.teamId}:${userId}`, this.now());
    if (!known) return this.#create(workspace, userId, user);
    await this.#apply(workspace, known, userId, user);
    return findIdentifiedMember(this.db, identity);
  }

  /** Brings a known member in line with their Slack record, or unlinks them if now an outsider. */
  async #apply(
    workspace: SlackWorkspace,
    member: Member,
    userId: string,
    user: SlackUser,
  ): Promise<void> {
    const fields = memberFields(user);
    if (await this.#isNowOutsider(workspace, fields.home)) {
      // Linked before outsiders were told apart, or moved out since: the identity stops
      // acting as the member (seen again, it is refused on first sight); the member stays.
      const identity = { platform: 'slack' as const, tenantId: workspace.teamId, userId };
      await unlinkIdentity(this.db, identity);
      this.logger.warn(
        { userId, memberId: member.id },
        'a Slack user from outside the organization was unlinked from a member',
      );
      return;
    }
    const applied = await applyPlatformRecord(this.db, member, fields);
    if (applied === 'email_taken') {
      this.logger.warn(
        { userId, memberId: member.id },
        "a Slack user's new email is another member's; their email was left as it was",
      );
    }
  }

  /** Only on Slack's word (a stranger, or another home): a record that names no home is kept. */
  async #isNowOutsider(workspace: SlackWorkspace, home: UserHome): Promise<boolean> {
    if (!home.stranger && home.tenantId === null) return false;
    return !(await isHomeConnected(this.db, 'slack', workspace.organizationId, home));
  }

  async #usersInfo(workspace: SlackWorkspace, userId: string): Promise<SlackUser> {
    const client = await this.installations.requireClientOf(workspace);
    const response = await client.users.info({ user: userId });
    if (!response.ok || !response.user)
      throw new Error(`users.info failed for ${userId}: ${response.error}`);
    return response.user as SlackUser;
  }

  /** The users of a Slack user group, or undefined when Slack does not know it. */
  async #groupUsers(workspace: SlackWorkspace, groupId: string): Promise<string[] | undefined> {
    try {
      const client = await this.installations.requireClientOf(workspace);
      const response = await client.usergroups.users.list({ usergroup: groupId });
      return response.users ?? [];
    } catch (error) {
      this.logger.warn({ err: error, groupId }, 'usergroups.users.list failed');
      return undefined;
    }
  }
}

/** Slack's answer for a user id it does not know (or that is not in this workspace). */
export function isUnknownSlackUser(error: unknown): boolean {
  const code = (error as { data?: { error?: string } } | undefined)?.data?.error;
  return code === 'user_not_found' || code === 'user_not_visible';
}
