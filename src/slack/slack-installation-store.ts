import type * as bolt from '@slack/bolt';
import { sql } from 'kysely';
import type { Database } from '../db/database.ts';
import type { SlackInstallationTable } from '../db/tables.ts';
import { createConnectedOrganization } from '../directory/organizations.ts';
import type { SecretBox } from '../security/secret-box.ts';
import { connectWorkspaceIn, findWorkspace, type SlackWorkspace } from './slack-workspaces.ts';

type Installation = bolt.Installation<'v1' | 'v2', boolean>;
type InstallationQuery = bolt.InstallationQuery<boolean>;

/** The tokens of an installation, sealed together in one value. */
interface Tokens {
  readonly bot?: string;
  readonly botRefresh?: string;
  readonly user?: string;
  readonly userRefresh?: string;
}

/** What storing an install did: the organization it serves, and whether it made it. */
export interface InstallOutcome {
  readonly organizationId: number;
  readonly createdOrganization: boolean;
  /** A workspace install's workspace; an org-wide install has none of its own. */
  readonly workspace?: SlackWorkspace;
}

/**
 * Marks an installation this store fetched: Bolt stores it back, spread with new tokens,
 * after it rotated them. A token update is then applied to that row only, and only while
 * it is still enabled (an uninstall in between stays an uninstall).
 */
const FETCHED_ROW = Symbol('slack installation row');

/** Refused when a request or a job asks for an installation there is none of (or it is disabled). */
export class NoSlackInstallation extends Error {
  constructor(query: { teamId?: string; enterpriseId?: string }) {
    super(
      `Plaudit is not installed in Slack ${query.teamId ? `workspace ${query.teamId}` : `enterprise ${query.enterpriseId}`}`,
    );
    this.name = 'NoSlackInstallation';
  }
}

/**
 * Bolt's installation store, in Postgres (`slack_installations`). A workspace install
 * connects its workspace (`slack_workspaces`: a new workspace gets a new organization, a
 * known one keeps its own); an Enterprise Grid org-wide install keeps its organization on
 * its row, and each workspace of the enterprise is connected to it when it first sends a
 * request. Tokens are sealed with the {@link SecretBox} (never stored in clear). Deleting
 * an installation disables it: its tokens are dropped, its organization and ledger stay.
 */
export class SlackInstallationStore implements bolt.InstallationStore {
  readonly #outcomes = new WeakMap<object, InstallOutcome>();

  constructor(
    private readonly db: Database,
    private readonly box: SecretBox,
  ) {}

  /** What storing this installation (as the OAuth redirect got it) did. */
  outcomeOf(installation: object): InstallOutcome | undefined {
    return this.#outcomes.get(installation);
  }

  async storeInstallation<AuthVersion extends 'v1' | 'v2'>(
    installation: bolt.Installation<AuthVersion, boolean>,
  ): Promise<void> {
    const fetched = (installation as { [FETCHED_ROW]?: number })[FETCHED_ROW];
    if (fetched !== undefined) {
      await this.#updateTokens(fetched, installation as Installation);
      return;
    }
    const outcome = await this.db
      .transaction()
      .execute((trx) => this.#install(trx, installation as Installation));
    this.#outcomes.set(installation, outcome);
  }

  async fetchInstallation(
    query: InstallationQuery,
  ): Promise<bolt.Installation<'v1' | 'v2', boolean>> {
    const row = await this.#enabledRow(query);
    if (!row?.sealed_tokens || !row.key_id) throw new NoSlackInstallation(query);
    const tokens = JSON.parse(
      this.box.open({ keyId: row.key_id, sealed: row.sealed_tokens }, sealingContext(row)),
    ) as Tokens;
    const installation: Installation & { [FETCHED_ROW]: number } = {
      team: row.is_enterprise_install
        ? undefined
        : { id: row.team_id as string, name: row.team_name ?? undefined },
      enterprise: row.enterprise_id
        ? { id: row.enterprise_id, name: row.enterprise_name ?? undefined }
        : undefined,
      user: {
        id: row.installer_user_id,
        token: tokens.user,
        scopes: row.user_scopes ?? undefined,
        ...(tokens.userRefresh && {
          refreshToken: tokens.userRefresh,
          expiresAt: row.user_token_expires_at ?? undefined,
        }),
      },
      bot: tokens.bot
        ? {
            token: tokens.bot,
            scopes: row.bot_scopes,
            id: row.bot_id ?? '',
            userId: row.bot_user_id ?? '',
            ...(tokens.botRefresh && {
              refreshToken: tokens.botRefresh,
              expiresAt: row.bot_token_expires_at ?? undefined,
            }),
          }
        : undefined,
      appId: row.app_id ?? undefined,
      tokenType: row.token_type === 'bot' ? 'bot' : undefined,
      enterpriseUrl: row.enterprise_url ?? undefined,
      isEnterpriseInstall: row.is_enterprise_install,
      authVersion: 'v2',
      [FETCHED_ROW]: row.id,
    } as Installation & { [FETCHED_ROW]: number };
    return installation;
  }

  /** Bolt's `deleteInstallation`: the installation is disabled, as on `app_uninstalled`. */
  async deleteInstallation(query: InstallationQuery): Promise<void> {
    await this.disable(query);
  }

  /**
   * Disables the installation a request's workspace or enterprise has (uninstalled, or its
   * bot token revoked): its tokens are dropped, everything else stays. Returns whether one was.
   */
  async disable(query: InstallationQuery): Promise<boolean> {
    const row = await this.#enabledRow(query);
    if (!row) return false;
    const disabled = await this.db
      .updateTable('slack_installations')
      .set({ disabled_at: new Date(), sealed_tokens: null, key_id: null, updated_at: new Date() })
      .where('id', '=', row.id)
      .where('disabled_at', 'is', null)
      .executeTakeFirst();
    return Number(disabled.numUpdatedRows) > 0;
  }

  /**
   * A workspace of an enterprise installed org-wide, connected to the enterprise's
   * organization the first time it is seen; undefined when the enterprise has no enabled
   * org-wide install.
   */
  async connectEnterpriseWorkspace(
    teamId: string,
    enterpriseId: string,
  ): Promise<SlackWorkspace | undefined> {
    const row = await this.db
      .selectFrom('slack_installations')
      .select(['organization_id', 'bot_user_id'])
      .where('is_enterprise_install', '=', true)
      .where('enterprise_id', '=', enterpriseId)
      .where('disabled_at', 'is', null)
      .executeTakeFirst();
    if (!row?.organization_id) return undefined;
    await this.db
      .insertInto('slack_workspaces')
      .values({
        team_id: teamId,
        enterprise_id: enterpriseId,
        organization_id: row.organization_id,
        bot_user_id: row.bot_user_id ?? '',
      })
      .onConflict((conflict) => conflict.column('team_id').doNothing())
      .execute();
    return findWorkspace(this.db, teamId);
  }

  /** The enabled installation that serves a query: the workspace's own, else its enterprise's. */
  async #enabledRow(query: InstallationQuery) {
    const base = this.db
      .selectFrom('slack_installations')
      .selectAll()
      .where('disabled_at', 'is', null);
    if (!query.isEnterpriseInstall && query.teamId) {
      const own = await base
        .where('is_enterprise_install', '=', false)
        .where('team_id', '=', query.teamId)
        .executeTakeFirst();
      if (own) return own;
    }
    if (!query.enterpriseId) return undefined;
    return base
      .where('is_enterprise_install', '=', true)
      .where('enterprise_id', '=', query.enterpriseId)
      .executeTakeFirst();
  }

  async #install(trx: Database, installation: Installation): Promise<InstallOutcome> {
    const bot = installation.bot;
    if (!bot) throw new Error('a Slack install without a bot token: the app asks for bot scopes');
    const enterprise = installation.enterprise;
    if (installation.isEnterpriseInstall) {
      if (!enterprise) throw new Error('an org-wide Slack install that names no enterprise');
      await sql`select pg_advisory_xact_lock(hashtext(${`slack enterprise ${enterprise.id}`}))`.execute(
        trx,
      );
      const known = await trx
        .selectFrom('slack_installations')
        .select(['id', 'organization_id'])
        .where('is_enterprise_install', '=', true)
        .where('enterprise_id', '=', enterprise.id)
        .executeTakeFirst();
      const organizationId =
        known?.organization_id ??
        (await createConnectedOrganization(trx, enterprise.name || enterprise.id));
      const values = this.#row(installation, {
        is_enterprise_install: true,
        team_id: null,
        organization_id: organizationId,
      });
      await this.#save(trx, known?.id, values);
      return { organizationId, createdOrganization: known === undefined };
    }
    const team = installation.team;
    if (!team) throw new Error('a Slack workspace install that names no workspace');
    const { workspace, created } = await connectWorkspaceIn(trx, {
      teamId: team.id,
      teamName: team.name ?? '',
      enterpriseId: enterprise?.id ?? null,
      botUserId: bot.userId,
    });
    const known = await trx
      .selectFrom('slack_installations')
      .select('id')
      .where('is_enterprise_install', '=', false)
      .where('team_id', '=', team.id)
      .executeTakeFirst();
    const values = this.#row(installation, {
      is_enterprise_install: false,
      team_id: team.id,
      organization_id: null,
    });
    await this.#save(trx, known?.id, values);
    return { organizationId: workspace.organizationId, createdOrganization: created, workspace };
  }

  async #save(trx: Database, id: number | undefined, values: InstallationRow): Promise<void> {
    if (id === undefined) {
      await trx.insertInto('slack_installations').values(values).execute();
      return;
    }
    // A reinstall: enabled again, with the new tokens and scopes, in the same organization.
    await trx
      .updateTable('slack_installations')
      .set({ ...values, disabled_at: null, installed_at: undefined, updated_at: new Date() })
      .where('id', '=', id)
      .execute();
  }

  #row(
    installation: Installation,
    kind: Pick<InstallationRow, 'is_enterprise_install' | 'team_id' | 'organization_id'>,
  ): InstallationRow {
    const bot = installation.bot;
    const identity = { ...kind, enterprise_id: installation.enterprise?.id ?? null };
    const sealed = this.box.seal(JSON.stringify(tokensOf(installation)), sealingContext(identity));
    return {
      ...identity,
      team_name: installation.team?.name ?? null,
      enterprise_name: installation.enterprise?.name ?? null,
      enterprise_url: (installation.enterpriseUrl as string | undefined) ?? null,
      app_id: (installation.appId as string | undefined) ?? null,
      bot_id: bot?.id ?? null,
      bot_user_id: bot?.userId ?? null,
      bot_scopes: bot?.scopes ?? [],
      bot_token_expires_at: bot?.expiresAt ?? null,
      installer_user_id: installation.user.id,
      user_scopes: installation.user.scopes ?? null,
      user_token_expires_at: installation.user.expiresAt ?? null,
      token_type: installation.tokenType ?? null,
      auth_version: installation.authVersion ?? 'v2',
      key_id: sealed.keyId,
      sealed_tokens: sealed.sealed,
    };
  }

  /** Bolt rotated the tokens of an installation it fetched: they replace the old ones. */
  async #updateTokens(id: number, installation: Installation): Promise<void> {
    const row = await this.db
      .selectFrom('slack_installations')
      .select(['is_enterprise_install', 'team_id', 'enterprise_id'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    const sealed = this.box.seal(JSON.stringify(tokensOf(installation)), sealingContext(row));
    await this.db
      .updateTable('slack_installations')
      .set({
        key_id: sealed.keyId,
        sealed_tokens: sealed.sealed,
        bot_token_expires_at: installation.bot?.expiresAt ?? null,
        user_token_expires_at: installation.user.expiresAt ?? null,
        updated_at: new Date(),
      })
      .where('id', '=', id)
      .where('disabled_at', 'is', null)
      .execute();
  }
}

type InstallationRow = Omit<
  SlackInstallationTable,
  'id' | 'installed_at' | 'updated_at' | 'disabled_at' | 'bot_scopes' | 'auth_version'
> & { bot_scopes: string[]; auth_version: string };

function tokensOf(installation: Installation): Tokens {
  return {
    bot: installation.bot?.token,
    botRefresh: installation.bot?.refreshToken,
    user: installation.user.token,
    userRefresh: installation.user.refreshToken,
  };
}

/** What a sealed value is bound to: its workspace's or enterprise's install, so it opens only there. */
function sealingContext(row: {
  is_enterprise_install: boolean;
  team_id: string | null;
  enterprise_id: string | null;
}): string {
  return row.is_enterprise_install
    ? `slack installation enterprise ${row.enterprise_id}`
    : `slack installation workspace ${row.team_id}`;
}
