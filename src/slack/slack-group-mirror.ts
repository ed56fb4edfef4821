import type * as bolt from '@slack/bolt';
import type { Logger } from 'pino';
import { type AdminActor, systemActor } from '../admin/admin-actor.ts';
import {
  applyMirroredGroup,
  type GroupMirror,
  type MirrorReport,
  mayMirrorUnasked,
} from '../admin/group-admin.ts';
import { FollowUps } from '../core/follow-ups.ts';
import { InSequence } from '../core/in-sequence.ts';
import type { Database } from '../db/database.ts';
import { findMirroredGroup } from '../directory/groups.ts';
import { OutsiderUser } from '../directory/outsiders.ts';
import { isUnknownSlackUser, type SlackDirectory } from './slack-directory.ts';
import type { SlackWorkspace } from './slack-workspaces.ts';

/** A user group as `usergroups.list` and the `subteam_*` events describe it. */
interface SlackUserGroup {
  readonly id: string;
  readonly handle?: string;
  readonly name?: string;
  /** Set (non-zero) once the user group is disabled. */
  readonly date_delete?: number;
  readonly users?: readonly string[];
}

/** What a mirror of one user group did: skipped is a disabled one never mirrored before. */
type Outcome = 'changed' | 'unchanged' | 'skipped';

/** A user group as it was seen: in `usergroups.list` a moment ago, or in an event. */
interface SeenUserGroup {
  readonly group: SlackUserGroup;
  /** Whether its users are as Slack has them now (just listed), not as an event told. */
  readonly usersAreCurrent?: boolean;
}

export interface SlackGroupMirrorDependencies {
  readonly db: Database;
  readonly client: bolt.webApi.WebClient;
  readonly directory: SlackDirectory;
  /** The workspace the bot token is for: the only one whose user groups it can read. */
  readonly workspace: SlackWorkspace;
  readonly logger: Logger;
}

/**
 * Slack user groups as Plaudit groups (`source = 'slack'`, the user group id as external
 * id, its handle as name, so `group:design` names what Slack calls `@design`), which
 * who-may-give and who-may-receive rules can name. It mirrors them all when the adapter
 * starts and on `groups sync`, and one user group on each `subteam_created`,
 * `subteam_updated` and `subteam_members_changed` event. Each mirror reads the user group
 * as Slack has it now (events may arrive late, twice or out of order), and the users who
 * left it leave the group. A disabled user group keeps its group, emptied: rules naming it
 * let nobody through it, and they hold again if it is enabled again. Mirrors nobody asked
 * for wait until the organization has an admin (see {@link mayMirrorUnasked}).
 */
export class SlackGroupMirror implements GroupMirror {
  readonly platform = 'slack' as const;
  /** Mirrors of one user group run one after another, so an older read never wins. */
  readonly #sequence = new InSequence();
  readonly #background: FollowUps;

  constructor(private readonly deps: SlackGroupMirrorDependencies) {
    this.#background = new FollowUps(deps.logger);
  }

  register(app: bolt.App): void {
    app.event('subteam_created', async ({ event, context }) =>
      this.#onEvent(context, event.subteam.id, event.subteam),
    );
    app.event('subteam_updated', async ({ event, context }) =>
      this.#onEvent(context, event.subteam.id, event.subteam),
    );
    app.event('subteam_members_changed', async ({ event, context }) =>
      this.#onEvent(context, event.subteam_id),
    );
  }

  /** Mirrors every user group in the background (the adapter's start does not wait). */
  start(): void {
    this.#background.start('mirroring the Slack user groups', async () => {
      if (!(await this.#mayMirror())) return;
      const report = await this.sync(this.#system());
      this.deps.logger.info({ ...report }, 'Slack user groups mirrored');
    });
  }

  /** Resolves when the mirrors running in the background have finished. */
  settled(): Promise<void> {
    return this.#background.settled();
  }

  async sync(actor: AdminActor): Promise<MirrorReport> {
    if (actor.organizationId !== this.deps.workspace.organizationId) {
      return { groups: 0, changed: 0, failed: [] };
    }
    const groups = await this.#userGroups();
    let mirrored = 0;
    let changed = 0;
    const failed: string[] = [];
    for (const group of groups) {
      try {
        const outcome = await this.#mirrorInTurn(actor, group.id, { group, usersAreCurrent: true });
        if (outcome !== 'skipped') mirrored += 1;
        if (outcome === 'changed') changed += 1;
      } catch (error) {
        this.deps.logger.warn({ err: error, usergroup: group.id }, 'a Slack user group failed');
        failed.push(`@${group.handle || group.name || group.id}`);
      }
    }
    return { groups: mirrored + failed.length, changed, failed };
  }

  #onEvent(context: bolt.Context, usergroupId: string, group?: SlackUserGroup): void {
    const { workspace } = this.deps;
    // The bot token reads its own workspace's user groups only.
    if ((context.workspace as SlackWorkspace | undefined)?.teamId !== workspace.teamId) return;
    this.#background.start('mirroring a Slack user group', async () => {
      if (!(await this.#mayMirror())) return;
      await this.#mirrorInTurn(this.#system(), usergroupId, group && { group });
    });
  }

  async #mayMirror(): Promise<boolean> {
    const { db, workspace, logger } = this.deps;
    const may = await mayMirrorUnasked(db, workspace.organizationId);
    if (!may) logger.info('Slack user groups are mirrored once the organization has an admin');
    return may;
  }

  #system(): AdminActor {
    return systemActor(this.deps.workspace.organizationId, 'Slack');
  }

  #mirrorInTurn(actor: AdminActor, usergroupId: string, seen?: SeenUserGroup): Promise<Outcome> {
    return this.#sequence.run(usergroupId, () => this.#mirror(actor, usergroupId, seen));
  }

  /** Mirrors one user group as Slack has it now. */
  async #mirror(actor: AdminActor, usergroupId: string, seen?: SeenUserGroup): Promise<Outcome> {
    const { db, workspace } = this.deps;
    const key = {
      organizationId: workspace.organizationId,
      source: 'slack' as const,
      externalId: usergroupId,
    };
    const stored = await findMirroredGroup(db, key);
    // A members-changed event names no user group: it keeps its name, or Slack tells it.
    const group =
      seen?.group ??
      (stored
        ? { id: usergroupId, handle: stored.name }
        : (await this.#userGroups()).find((candidate) => candidate.id === usergroupId));
    const disabled = !group || Boolean(group.date_delete);
    // A user group disabled before Plaudit ever mirrored it is not brought in.
    if (disabled && !stored) return 'skipped';
    const name = group?.handle || group?.name || stored?.name || usergroupId;
    let users: readonly string[] = [];
    if (!disabled) {
      // An event's list of users may be older than the user group is now: read it again.
      users = seen?.usersAreCurrent && group.users ? group.users : await this.#usersOf(usergroupId);
    }
    const memberIds = await this.#members(users);
    const { changed } = await applyMirroredGroup(db, actor, { ...key, name, memberIds });
    return changed ? 'changed' : 'unchanged';
  }

  /** Every user group of the workspace, disabled ones included, with their users. */
  async #userGroups(): Promise<SlackUserGroup[]> {
    const response = await this.deps.client.usergroups.list({
      include_users: true,
      include_disabled: true,
    });
    return (response.usergroups ?? []).flatMap((group) =>
      group.id
        ? [
            {
              id: group.id,
              handle: group.handle,
              name: group.name,
              date_delete: group.date_delete,
              users: group.users,
            },
          ]
        : [],
    );
  }

  async #usersOf(usergroupId: string): Promise<readonly string[]> {
    const response = await this.deps.client.usergroups.users.list({ usergroup: usergroupId });
    return response.users ?? [];
  }

  /** The members Slack users are, made on first sight; users Slack does not know are left out. */
  async #members(users: readonly string[]): Promise<number[]> {
    const { directory, workspace, logger } = this.deps;
    const memberIds: number[] = [];
    for (const userId of new Set(users)) {
      try {
        memberIds.push((await directory.mirroredMember(workspace, userId)).id);
      } catch (error) {
        if (error instanceof OutsiderUser) {
          logger.info({ userId }, 'a user of a Slack user group is from outside the organization');
          continue;
        }
        if (!isUnknownSlackUser(error)) throw error;
        logger.info({ userId }, 'a user of a Slack user group is unknown to Slack');
      }
    }
    return memberIds;
  }
}
