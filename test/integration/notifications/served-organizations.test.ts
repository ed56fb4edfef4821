import { randomBytes, randomUUID } from 'node:crypto';
import type * as bolt from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/database.ts';
import { createConnectedOrganization } from '../../../src/directory/organizations.ts';
import { organizationsServedAtStart } from '../../../src/notifications/served-organizations.ts';
import { SecretBox } from '../../../src/security/secret-box.ts';
import { SlackInstallationStore } from '../../../src/slack/slack-installation-store.ts';
import { connectWorkspace, findWorkspace } from '../../../src/slack/slack-workspaces.ts';
import { connectTenant } from '../../../src/teams/teams-tenants.ts';
import { openTestDatabase } from '../../support/databases.ts';

/** A workspace or Grid org-wide install as Bolt's installer hands it to the store. */
function install(
  place: { teamId: string } | { enterpriseId: string },
): bolt.Installation<'v2', boolean> {
  const enterprise = 'enterpriseId' in place;
  return {
    team: enterprise ? undefined : { id: place.teamId, name: `Team ${place.teamId}` },
    enterprise: enterprise ? { id: place.enterpriseId, name: 'Grid' } : undefined,
    user: { id: 'UINSTALLER', token: undefined, scopes: undefined },
    bot: { token: `xoxb-${randomUUID()}`, scopes: ['commands'], id: 'B1', userId: 'UBOT' },
    tokenType: 'bot',
    isEnterpriseInstall: enterprise,
    appId: 'A1',
    authVersion: 'v2',
  } as bolt.Installation<'v2', boolean>;
}

/**
 * The organizations a process relays from its start: kudos of any of them may be waiting in
 * the outbox, given while Redis was away by a process that has stopped since.
 */
describe('the organizations served at start, on postgres', () => {
  let db: Database;
  let store: SlackInstallationStore;
  const run = randomUUID().slice(0, 6).toUpperCase();

  beforeAll(async () => {
    db = await openTestDatabase('postgres');
    store = new SlackInstallationStore(db, new SecretBox(randomBytes(32)));
  });
  afterAll(async () => {
    await db?.destroy();
  });

  it("are the configured ones, every enabled Slack installation's, and with any tenant every tenant's", async () => {
    await store.storeInstallation(install({ teamId: `TSERVED${run}` }));
    const installed = (await findWorkspace(db, `TSERVED${run}`))?.organizationId as number;
    await store.storeInstallation(install({ teamId: `TGONE${run}` }));
    const uninstalled = (await findWorkspace(db, `TGONE${run}`))?.organizationId as number;
    await store.deleteInstallation({
      teamId: `TGONE${run}`,
      enterpriseId: undefined,
      isEnterpriseInstall: false,
    });
    const enterpriseId = `ESERVED${run}`;
    await store.storeInstallation(install({ enterpriseId }));
    // A workspace of the Grid, connected on its first request, then linked elsewhere.
    const linkedTo = await createConnectedOrganization(db, 'Linked');
    await connectWorkspace(
      db,
      { teamId: `TGRID${run}`, teamName: 'Grid one', enterpriseId, botUserId: 'UBOT' },
      linkedTo,
    );
    const grid = await db
      .selectFrom('slack_installations')
      .select('organization_id')
      .where('enterprise_id', '=', enterpriseId)
      .executeTakeFirstOrThrow();
    const tenant = await connectTenant(db, randomUUID());
    const configured = await createConnectedOrganization(db, 'Configured');

    const slackOnly = await organizationsServedAtStart(db, {
      organizations: [configured],
      slackInstallations: true,
      anyTeamsTenant: false,
    });
    expect(slackOnly).toEqual(
      expect.arrayContaining([configured, installed, grid.organization_id, linkedTo]),
    );
    expect(slackOnly).not.toContain(uninstalled);
    expect(slackOnly).not.toContain(tenant.organizationId);

    const teamsAny = await organizationsServedAtStart(db, {
      organizations: [configured],
      slackInstallations: false,
      anyTeamsTenant: true,
    });
    expect(teamsAny).toEqual(expect.arrayContaining([configured, tenant.organizationId]));
    expect(teamsAny).not.toContain(installed);

    expect(
      await organizationsServedAtStart(db, {
        organizations: [configured],
        slackInstallations: false,
        anyTeamsTenant: false,
      }),
    ).toEqual([configured]);
  });
});
