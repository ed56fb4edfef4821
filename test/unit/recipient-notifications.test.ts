import { describe, expect, it } from 'vitest';
import {
  RecipientNotifications,
  type RecipientNotifier,
  UndeliverableMessage,
} from '../../src/core/notifier.ts';
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

const pace = async () => {};

/**
 * A platform that knows some members and may fail for some, recording whom it was asked
 * to tell.
 */
function platform(
  name: Platform,
  knows: number[],
  calls: Array<[Platform, number]>,
  fails: Map<number, Error> = new Map(),
) {
  return {
    platform: name,
    async tellRecipient(_given: KudosGiven, memberId: number) {
      return this.tellPerson(1, memberId, '', pace);
    },
    async tellPerson(_organizationId: number, memberId: number) {
      calls.push([name, memberId]);
      const failure = fails.get(memberId);
      if (failure) throw failure;
      return knows.includes(memberId) ? ('told' as const) : ('not-here' as const);
    },
  } satisfies RecipientNotifier;
}

describe('RecipientNotifications', () => {
  it('tries the platform the kudos came from first, then the others', async () => {
    const calls: Array<[Platform, number]> = [];
    const notifications = new RecipientNotifications();
    notifications.register(platform('slack', [2, 3], calls));
    notifications.register(platform('teams', [3, 4], calls));
    expect((await notifications.tell(event, 'teams', 3, pace)).platform).toBe('teams');
    expect((await notifications.tell(event, 'teams', 2, pace)).platform).toBe('slack');
    expect((await notifications.tell(event, 'slack', 3, pace)).platform).toBe('slack');
    expect(calls).toEqual([
      ['teams', 3],
      ['teams', 2],
      ['slack', 2],
      ['slack', 3],
    ]);
  });

  it('says nobody told, and nothing undeliverable, when no platform knows the member', async () => {
    const notifications = new RecipientNotifications();
    notifications.register(platform('slack', [2], []));
    notifications.register(platform('teams', [], []));
    expect(await notifications.tell(event, 'slack', 4, pace)).toEqual({
      platform: undefined,
      undeliverable: [],
    });
  });

  it('passes over a platform that can never reach the member, and says why', async () => {
    const calls: Array<[Platform, number]> = [];
    const gone = new UndeliverableMessage('slack', 'sending a direct message: account_inactive');
    const notifications = new RecipientNotifications();
    notifications.register(platform('slack', [2], calls, new Map([[2, gone]])));
    notifications.register(platform('teams', [2], calls));
    expect(await notifications.tell(event, 'slack', 2, pace)).toEqual({
      platform: 'teams',
      undeliverable: [gone],
    });

    const nowhere = new RecipientNotifications();
    nowhere.register(platform('slack', [2], [], new Map([[2, gone]])));
    expect(await nowhere.tell(event, 'slack', 2, pace)).toEqual({
      platform: undefined,
      undeliverable: [gone],
    });
  });

  it('throws a passing failure at once, so a retry starts again from the origin', async () => {
    const calls: Array<[Platform, number]> = [];
    const notifications = new RecipientNotifications();
    notifications.register(
      platform('teams', [2], calls, new Map([[2, new Error('503 from the Connector')]])),
    );
    notifications.register(platform('slack', [2], calls));
    await expect(notifications.tell(event, 'teams', 2, pace)).rejects.toThrow('503');
    expect(calls).toEqual([['teams', 2]]);
  });

  it('sends a personal message on the first platform, in the order they registered, that knows the member', async () => {
    const calls: Array<[Platform, number]> = [];
    const notifications = new RecipientNotifications();
    notifications.register(platform('teams', [3], calls));
    notifications.register(platform('slack', [2, 3], calls));
    expect((await notifications.tellPerson(1, 2, 'Your reward is on its way', pace)).platform).toBe(
      'slack',
    );
    expect((await notifications.tellPerson(1, 3, 'Your reward is on its way', pace)).platform).toBe(
      'teams',
    );
    expect(calls).toEqual([
      ['teams', 2],
      ['slack', 2],
      ['teams', 3],
    ]);
  });
});
