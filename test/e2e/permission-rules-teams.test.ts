import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningPlaudit } from '../../src/app.ts';
import { FakeBotConnector, type FakeTeamsUser } from '../support/fake-bot-connector.ts';
import { type KnownMember, memberOf, pointsOf } from '../support/member-rewards.ts';
import { postActivity, type TeamsScene, teamsMessage } from '../support/teams-activities.ts';
import {
  connectorToken,
  startTeamsPlaudit,
  teamsScene,
  tenantPeople,
} from '../support/teams-plaudit.ts';

const APP_ID = randomUUID();

describe('who may give and receive, set and enforced through Bot Framework activities', () => {
  const tenantId = randomUUID();
  const connector = new FakeBotConnector();
  let plaudit: RunningPlaudit;
  let scene: TeamsScene;
  let organizationId: number;
  const person = tenantPeople(connector, tenantId);
  const hal = person('Hal');
  const mei = person('Mei');
  const ren = person('Ren');
  const sol = person('Sol');
  const members = new Map<FakeTeamsUser, KnownMember>();

  const token = () => connectorToken(connector, APP_ID);

  /**
   * Says something to the bot in the person's chat with it, `<at>Name</at>` for each
   * person mentioned; resolves with the text of the bot's answer.
   */
  async function say(from: FakeTeamsUser, text: string, mentions: FakeTeamsUser[] = []) {
    const message = teamsMessage(scene, from, text, { mentions });
    const response = await postActivity(plaudit.url, message, token());
    expect(response.status).toBe(200);
    await plaudit.settled();
    const answer = connector.answersTo(message).at(-1)?.activity;
    return String(answer?.text ?? answer?.summary);
  }

  /** Everything a give would touch: the organization's transfers and recognitions. */
  async function ledger() {
    const { rows } = await sql<{ transfers: number; recognitions: number }>`
      select
        (select count(*) from ledger_transfers where organization_id = ${organizationId})::int
          as transfers,
        (select count(*) from recognitions where organization_id = ${organizationId})::int
          as recognitions`.execute(plaudit.db);
    return rows[0];
  }

  const earned = async (user: FakeTeamsUser) =>
    (await pointsOf(plaudit.db, members.get(user) as KnownMember)).available;

  async function gives(giver: FakeTeamsUser, recipient: FakeTeamsUser) {
    const before = await earned(recipient);
    const reply = await say(giver, `<at>${recipient.name}</at> 5 for the rollout`, [recipient]);
    expect(reply).toMatch(new RegExp(`^You gave 5 points to ${recipient.name} for the rollout\\.`));
    expect(await earned(recipient)).toBe(before + 5);
  }

  async function isRefused(giver: FakeTeamsUser, recipient: FakeTeamsUser, refusal: string) {
    const before = await ledger();
    const reply = await say(giver, `<at>${recipient.name}</at> 5 for the rollout`, [recipient]);
    expect(reply).toBe(refusal);
    expect(await ledger()).toEqual(before);
  }

  beforeAll(async () => {
    await connector.start();
    scene = teamsScene(connector, APP_ID, tenantId);
    plaudit = await startTeamsPlaudit(
      connector,
      APP_ID,
      { TEAMS_ALLOWED_TENANTS: tenantId },
      { PLAUDIT_INITIAL_ADMINS: hal.email ?? '' },
    );
    // Hal is named by PLAUDIT_INITIAL_ADMINS: its admin.
    for (const user of [hal, mei, ren, sol]) {
      await say(user, 'balance');
      members.set(
        user,
        await memberOf(plaudit.db, { platform: 'teams', tenantId, userId: user.aadObjectId }),
      );
    }
    organizationId = members.get(hal)?.organizationId as number;
    expect(await say(hal, 'admin groups create "Ops" <at>Ren</at>', [ren])).toContain('Ops');
  });
  afterAll(async () => {
    await plaudit?.close();
    await connector.stop();
  });

  it('giving, only a member: lets Mei give, and refuses Ren, naming the admin to ask', async () => {
    expect(await say(hal, 'admin allow-give only <at>Mei</at>', [mei])).toBe(
      'Done. Only Mei may give kudos.',
    );
    await gives(mei, sol);
    await isRefused(
      ren,
      sol,
      'Giving kudos is limited to some people here, and you are not among them; ask Hal (admin) if that seems wrong.',
    );
  });

  it('giving, everyone except a role: refuses admins, lets the others give', async () => {
    expect(await say(hal, 'admin allow-give except role:admin')).toBe(
      'Done. Everyone except admins may give kudos.',
    );
    await gives(ren, sol);
    await isRefused(
      hal,
      sol,
      'You have been left out of giving kudos here; ask Hal (admin) if that seems wrong.',
    );
    expect(await say(hal, 'admin allow-give everyone')).toBe('Done. Everyone may give kudos.');
  });

  it('receiving, everyone except a group: refuses Ren of Ops, lets Sol receive', async () => {
    expect(await say(hal, 'admin allow-receive except group:"Ops"')).toBe(
      'Done. Everyone except the Ops group may receive kudos.',
    );
    await gives(mei, sol);
    await isRefused(
      mei,
      ren,
      'Ren has been left out of receiving kudos here; ask Hal (admin) if that seems wrong.',
    );
  });

  it('receiving, only a role: lets admins receive, refuses the others', async () => {
    expect(await say(hal, 'admin allow-receive only role:admin')).toBe(
      'Done. Only admins may receive kudos.',
    );
    await gives(mei, hal);
    await isRefused(
      mei,
      sol,
      'Receiving kudos is limited to some people here, and Sol is not among them; ask Hal (admin) if that seems wrong.',
    );
  });

  it('refuses a rule from someone who is not an admin, and changes nothing', async () => {
    expect(await say(mei, 'admin allow-receive everyone')).toBe(
      'Only admins can change who may receive kudos; ask an admin if this needs doing.',
    );
    await isRefused(
      mei,
      sol,
      'Receiving kudos is limited to some people here, and Sol is not among them; ask Hal (admin) if that seems wrong.',
    );
  });
});
