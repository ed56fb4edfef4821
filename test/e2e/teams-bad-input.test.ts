import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningPlaudit } from '../../src/app.ts';
import { NUL_IN_MESSAGE } from '../../src/core/nul-text.ts';
import { type Forgery, forgedChannelToken } from '../support/bot-framework-keys.ts';
import { FakeBotConnector } from '../support/fake-bot-connector.ts';
import {
  type OrganizationSnapshot,
  organizationSnapshot,
} from '../support/organization-snapshot.ts';
import {
  cardSubmission,
  postActivity,
  type TeamsScene,
  teamsMessage,
} from '../support/teams-activities.ts';
import {
  connectorToken,
  startTeamsPlaudit,
  teamsScene,
  tenantPeople,
} from '../support/teams-plaudit.ts';

const APP_ID = randomUUID();
const NUL = '\u0000';

const UNAUTHORIZED = {
  error: 'unauthorized',
  message: 'This request carries no valid Bot Framework token for this bot; nothing was done.',
};

/** A response's status and body, the body as JSON when it is JSON (botbuilder answered in text). */
function answered(response: { status: number; body: string }): [number, unknown] {
  try {
    return [response.status, JSON.parse(response.body)];
  } catch {
    return [response.status, response.body];
  }
}

/**
 * Bad input at the Bot Framework endpoint: forged or broken credentials get 401, a body
 * over 256 kB 413, a body that is no activity 400, each with a sentence in JSON; a NUL
 * anywhere in an activity (Postgres cannot store one) gets a sentence in the chat. None
 * changes anything of the organization or sends anything else. Each was a 500, or
 * "Something went wrong".
 */
describe('the Teams adapter, sent bad input', () => {
  const tenantId = randomUUID();
  const connector = new FakeBotConnector();
  let plaudit: RunningPlaudit;
  let scene: TeamsScene;
  let organizationId: number;
  const person = tenantPeople(connector, tenantId);
  const ana = person('Ana');
  const li = person('Li');

  const token = () => connectorToken(connector, APP_ID);
  const repliesTo = (activity: Record<string, unknown>) =>
    connector.answersTo(activity).map((sent) => sent.activity);

  /** What the organization holds and what the bot sent, before and after `act`. */
  async function unchangedBy(act: () => Promise<void>, replies = 0): Promise<void> {
    await plaudit.settled();
    const before: [OrganizationSnapshot, number] = [
      await organizationSnapshot(plaudit.db, organizationId),
      connector.sent.length + replies,
    ];
    await act();
    await plaudit.settled();
    expect([await organizationSnapshot(plaudit.db, organizationId), connector.sent.length]).toEqual(
      before,
    );
  }

  beforeAll(async () => {
    await connector.start();
    scene = teamsScene(connector, APP_ID, tenantId);
    plaudit = await startTeamsPlaudit(connector, APP_ID, { TEAMS_ALLOWED_TENANTS: tenantId });
    // Both have met the bot before anything is compared.
    for (const who of [ana, li]) {
      expect(
        (await postActivity(plaudit.url, teamsMessage(scene, who, 'help'), token())).status,
      ).toBe(200);
    }
    await plaudit.settled();
    const { rows } = await sql<{ organization_id: number }>`
      select organization_id from teams_tenants where tenant_id = ${tenantId}`.execute(plaudit.db);
    organizationId = rows[0]?.organization_id as number;
  });
  afterAll(async () => {
    await plaudit?.close();
    await connector.stop();
  });

  const give = () => teamsMessage(scene, ana, '<at>Li</at> 10 for the forgery', { mentions: [li] });

  describe('answers 401 in JSON to credentials that are not the Bot Framework’s', () => {
    const forgeries: Forgery[] = ['other-key', 'alg-none', 'hs256-with-public-key'];
    for (const forgery of forgeries) {
      it(`a token naming a published key, ${forgery}`, async () => {
        const forged = forgedChannelToken(
          connector.key,
          { appId: APP_ID, serviceUrl: connector.serviceUrl },
          forgery,
        );
        await unchangedBy(async () => {
          const response = await postActivity(plaudit.url, give(), forged);
          expect(answered(response)).toEqual([401, UNAUTHORIZED]);
        });
      });
    }

    it('a malformed Authorization header', async () => {
      await unchangedBy(async () => {
        for (const authorization of [
          'Bearer',
          'Bearer ',
          'Basic YWxhZGRpbjpvcGVu',
          'Bearer a.b.c',
        ]) {
          const response = await fetch(`${plaudit.url}/api/messages`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization },
            body: JSON.stringify(give()),
          });
          const answer = answered({ status: response.status, body: await response.text() });
          expect([authorization, ...answer]).toEqual([authorization, 401, UNAUTHORIZED]);
        }
      });
    });
  });

  it('answers 413 to a body over 256 kB, signed or not', async () => {
    const big = { ...give(), text: `<at>Li</at> 10 for ${'x'.repeat(300_000)}` };
    await unchangedBy(async () => {
      for (const credentials of [token(), undefined]) {
        const response = await postActivity(plaudit.url, big, credentials);
        expect(answered(response)).toEqual([
          413,
          {
            error: 'too_large',
            message:
              'The body is larger than the 262,144 bytes this address takes; nothing was done.',
          },
        ]);
      }
    });
  });

  it('answers 400 to a JSON body that is no activity', async () => {
    await unchangedBy(async () => {
      for (const body of ['{}', '{"type": 5}', '"message"', '{"type": ""}']) {
        const response = await postActivity(plaudit.url, body, token());
        expect([body, ...answered(response)]).toEqual([
          body,
          400,
          { error: 'bad_request', message: expect.stringMatching(/^The body is not/) },
        ]);
      }
    });
  });

  it.each([
    ['<at>Li</at>+++-', '+++-'],
    ['<at>Li</at> + 5 for the launch', '+ 5'],
    ['<at>Li</at> 1e9', '1e9'],
    ['<at>Li</at> \u0663', '\u0663'],
  ])('refuses %j naming what is no amount, and gives nothing (issue 18)', async (text, shown) => {
    // Any command reads (and so first stores) the organization's default settings; the
    // refusal may read them to name the range, and must change nothing beyond.
    await postActivity(plaudit.url, teamsMessage(scene, ana, 'values'), token());
    const typed = teamsMessage(scene, ana, text, { mentions: [li] });
    await unchangedBy(async () => {
      expect((await postActivity(plaudit.url, typed, token())).status).toBe(200);
    }, 1);
    expect(repliesTo(typed).map((reply) => reply.text)).toEqual([
      `'${shown}' is not a number of points; use a whole number from 1 to 100. Give kudos like this: @Plaudit @ana @li 10 for the launch #teamwork`,
    ]);
  });

  it('answers a NUL in a message, a card or the sender’s name with a sentence, storing nothing', async () => {
    const typed = teamsMessage(scene, ana, `<at>Li</at> 10 for the${NUL} launch`, {
      mentions: [li],
    });
    const card = cardSubmission(scene, ana, {
      verb: 'give_kudos',
      recipients: li.aadObjectId,
      amount: '10',
      reason: `the${NUL} launch`,
    });
    const stranger = { id: `29:${randomUUID()}`, aadObjectId: randomUUID(), name: `Ol${NUL}ga` };
    const named = teamsMessage(scene, stranger, 'balance');
    for (const activity of [typed, card, named]) {
      await unchangedBy(async () => {
        expect((await postActivity(plaudit.url, activity, token())).status).toBe(200);
      }, 1);
      expect(repliesTo(activity).map((reply) => reply.text)).toEqual([NUL_IN_MESSAGE]);
    }
  });
});
