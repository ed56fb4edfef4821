import { describe, expect, it } from 'vitest';
import { RecipientNotifications, type RecipientNotifier } from '../../src/core/notifier.ts';
import type { KudosGiven } from '../../src/core/reply.ts';
import type { Platform } from '../../src/db/tables.ts';

const event: KudosGiven = {
  kind: 'kudos_given',
  recognitionId: 1,
  organizationId: 1,
  giver: { memberId: 1, name: 'Ana' },
  recipients: [
    { memberId: 2, name: 'Li' },
    { memberId: 3, name: 'José' },
    { memberId: 4, name: 'Kim' },
  ],
  amountEach: 5,
  message: 'the launch',
  values: [],
  channel: 'C1',
};

/** A platform that reaches some members, recording whom it was asked to tell. */
function platform(name: Platform, reaches: number[], calls: Array<[Platform, number[]]>) {
  return {
    platform: name,
    async tellRecipients(given: KudosGiven, told: ReadonlySet<number>) {
      const asked = given.recipients.map((r) => r.memberId).filter((id) => !told.has(id));
      calls.push([name, asked]);
      return asked.filter((id) => reaches.includes(id));
    },
  } satisfies RecipientNotifier;
}

describe('RecipientNotifications', () => {
  it('tries the platform the kudos came from first, then the others for whoever is left', async () => {
    const calls: Array<[Platform, number[]]> = [];
    const notifications = new RecipientNotifications();
    notifications.register(platform('slack', [2, 3], calls));
    notifications.register(platform('teams', [3, 4], calls));
    const told = await notifications.kudosGiven(event, 'teams');
    expect(calls).toEqual([
      ['teams', [2, 3, 4]],
      ['slack', [2]],
    ]);
    expect([...told].sort()).toEqual([2, 3, 4]);
  });

  it('stops asking once everyone is told, and reports who could not be reached', async () => {
    const calls: Array<[Platform, number[]]> = [];
    const notifications = new RecipientNotifications();
    notifications.register(platform('slack', [2, 3, 4], calls));
    notifications.register(platform('teams', [], calls));
    expect([...(await notifications.kudosGiven(event, 'slack'))].sort()).toEqual([2, 3, 4]);
    expect(calls).toEqual([['slack', [2, 3, 4]]]);

    const nobody = new RecipientNotifications();
    nobody.register(platform('teams', [], []));
    expect((await nobody.kudosGiven(event, 'slack')).size).toBe(0);
  });

  it('goes on to the next platform when one fails', async () => {
    const calls: Array<[Platform, number[]]> = [];
    const notifications = new RecipientNotifications();
    notifications.register({
      platform: 'teams',
      tellRecipients: async () => {
        throw new Error('the database went away');
      },
    });
    notifications.register(platform('slack', [2, 3, 4], calls));
    expect([...(await notifications.kudosGiven(event, 'teams'))].sort()).toEqual([2, 3, 4]);
    expect(calls).toEqual([['slack', [2, 3, 4]]]);
  });
});
