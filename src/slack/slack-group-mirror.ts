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
import type { SlackInstallations } from './slack-installations.ts';
import { type SlackWorkspace, workspacesOf } from './slack-workspaces.ts';

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
  /** The client of each workspace: a workspace's user groups are read with its own. */
  readonly installations: SlackInstallations;
  readonly directory: SlackDirectory;
  readonly logger: Logger;
  /** The workspaces mirrored when the adapter starts: the bot token's, or every installed one. */
  readonly atStart: () => Promise<readonly SlackWorkspace[]>;
}

/** A workspace whose user groups are mirrored, with its client. */
interface Mirrored {
  readonly workspace: SlackWorkspace;
  readonly client: bolt.webApi.WebClient;
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

  /** Mirrors the user groups of the workspaces served in the background (the start does not wait). */
  start(): void {
    this.#background.start('mirroring the Slack user groups', async () => {
      for (const workspace of await this.deps.atStart()) {
        if (!(await this.#mayMirror(workspace))) continue;
        const report = await this.#syncWorkspace(this.#system(workspace), workspace);
        this.deps.logger.info({ ...report, team: workspace.teamId }, 'Slack user groups mirrored');
      }
    });
  }

  /** Resolves when the mirrors running in the background have finished. */
  settled(): Promise<void> {
    return this.#background.settled();
  }

  /** Mirrors the user groups of every workspace of the actor's organization. */
  async sync(actor: AdminActor): Promise<MirrorReport> {
    let groups = 0;
    let changed = 0;
    const failed: string[] = [];
    for (const workspace of await workspacesOf(this.deps.db, actor.organizationId)) {
      const report = await this.#syncWorkspace(actor, workspace);
      groups += report.groups;
      changed += report.changed;
      failed.push(...report.failed);
    }
    return { groups, changed, failed };
  }

  async #syncWorkspace(actor: AdminActor, workspace: SlackWorkspace): Promise<MirrorReport> {
    const client = await this.deps.installations.clientOf(workspace);
    if (!client) return { groups: 0, changed: 0, failed: [] };
    const mirrored: Mirrored = { workspace, client };
    const groups = await this.#userGroups(mirrored);
    let count = 0;
    let changed = 0;
    const failed: string[] = [];
    for (const group of groups) {
      try {
        const outcome = await this.#mirrorInTurn(actor, mirrored, group.id, {
          group,
          usersAreCurrent: true,
        });
        if (outcome !== 'skipped') count += 1;
        if (outcome === 'changed') changed += 1;
      } catch (error) {
        this.deps.logger.warn({ err: error, usergroup: group.id }, 'a Slack user group failed');
        failed.push(`@${group.handle || group.name || group.id}`);
      }
    }
    return { groups: count + failed.length, changed, failed };
  }

  #onEvent(context: bolt.Context, usergroupId: string, group?: SlackUserGroup): void {
    // A workspace's user groups are read with its own client, from its own events.
    const workspace = context.workspace as SlackWorkspace | undefined;
    if (!workspace) return;
    this.#background.start('mirroring a Slack user group', async () => {
      if (!(await this.#mayMirror(workspace))) return;
      const client = await this.deps.installations.clientOf(workspace);
      if (!client) return;
      await this.#mirrorInTurn(
        this.#system(workspace),
        { workspace, client },
        usergroupId,
        group && { group },
      );
    });
  }

  async #mayMirror(workspace: SlackWorkspace): Promise<boolean> {
    const { db, logger } = this.deps;
    const may = await mayMirrorUnasked(db, workspace.organizationId);
    if (!may) logger.info('Slack user groups are mirrored once the organization has an admin');
    return may;
  }

  #system(workspace: SlackWorkspace): AdminActor {
    return systemActor(workspace.organizationId, 'Slack');
  }

  #mirrorInTurn(
    actor: AdminActor,
    mirrored: Mirrored,
    usergroupId: string,
    seen?: SeenUserGroup,
  ): Promise<Outcome> {
    return this.#sequence.run(usergroupId, () => this.#mirror(actor, mirrored, usergroupId, seen));
  }

  /** Mirrors one user group as Slack has it now. */
  async #mirror(
    actor: AdminActor,
    mirrored: Mirrored,
    usergroupId: string,
    seen?: SeenUserGroup,
  ): Promise<Outcome> {
    const { db } = this.deps;
    const key = {
      organizationId: mirrored.workspace.organizationId,
      source: 'slack' as const,
      externalId: usergroupId,
    };
    const stored = await findMirroredGroup(db, key);
    // A members-changed event names no user group: it keeps its name, or Slack tells it.
    const group =
      seen?.group ??
      (stored
        ? { id: usergroupId, handle: stored.name }
        : (await this.#userGroups(mirrored)).find((candidate) => candidate.id === usergroupId));
    const disabled = !group || Boolean(group.date_delete);
    // A user group disabled before Plaudit ever mirrored it is not brought in.
    if (disabled && !stored) return 'skipped';
    const name = group?.handle || group?.name || stored?.name || usergroupId;
    let users: readonly string[] = [];
    if (!disabled) {
      // An event's list of users may be older than the user group is now: read it again.
      users =
        seen?.usersAreCurrent && group.users
          ? group.users
          : await this.#usersOf(mirrored, usergroupId);
    }
    const memberIds = await this.#members(mirrored.workspace, users);
    const { changed } = await applyMirroredGroup(db, actor, { ...key, name, memberIds });
    return changed ? 'changed' : 'unchanged';
  }

  /** Every user group of the workspace, disabled ones included, with their users. */
  async #userGroups({ client }: Mirrored): Promise<SlackUserGroup[]> {
    const response = await client.usergroups.list({
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

  async #usersOf({ client }: Mirrored, usergroupId: string): Promise<readonly string[]> {
    const response = await client.usergroups.users.list({ usergroup: usergroupId });
    return response.users ?? [];
  }

  /** The members Slack users are, made on first sight; users Slack does not know are left out. */
  async #members(workspace: SlackWorkspace, users: readonly string[]): Promise<number[]> {
    const { directory, logger } = this.deps;
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
