import type { KyselyPlugin } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KudosAnnouncements } from '../../../src/core/announcements.ts';
import { RecipientNotifications } from '../../../src/core/notifier.ts';
import type { Database } from '../../../src/db/database.ts';
import type { Job, Jobs, JobToAdd } from '../../../src/jobs/job-queue.ts';
import {
  KUDOS_GIVEN,
  kudosNotificationHandlers,
} from '../../../src/notifications/kudos-notifications.ts';
import { openTestDatabase } from '../../support/databases.ts';
import { createRecognitionFixture } from '../../support/recognition-fixture.ts';

/**
 * The first job of every kudos (`kudos-given`), which queues its sends: the organization's
 * announcement channel is read as it is when the job runs, never kept with the kudos, and
 * read together with the kudos in one statement.
 */
describe('the kudos-given job, on postgres', () => {
  let db: Database;

  beforeAll(async () => {
    db = await openTestDatabase('postgres');
  });
  afterAll(async () => {
    await db?.destroy();
  });

  it('queues the announcement channel as set when it runs, reading kudos and channel in one statement', async () => {
    const f = await createRecognitionFixture(db, {
      members: { Ana: {}, Li: {} },
      settings: { announcement_channel: 'CANNOUNCE' },
    });
    const reply = await f.kudos('Ana', '@Li 5 for the launch');
    const recognitionId = reply.events[0]?.recognitionId as number;
    expect(recognitionId).toBeGreaterThan(0);

    let statements = 0;
    const counting: KyselyPlugin = {
      transformQuery: (args) => args.node,
      transformResult: async (args) => {
        statements += 1;
        return args.result;
      },
    };
    const queued: Array<{ name: string; data: unknown; jobId: string | undefined }> = [];
    const jobs = {
      addBulk: async (_queue: string, added: JobToAdd[]) => {
        for (const { name, data, options } of added) {
          queued.push({ name, data, jobId: options?.jobId });
        }
      },
    } as unknown as Jobs;
    const announcements = new KudosAnnouncements(new RecipientNotifications());
    // The fixture gives in local mode: its kudos are celebrated there.
    announcements.celebrateOn('local', async () => {});
    const handlers = kudosNotificationHandlers(
      db.withPlugin(counting),
      jobs,
      announcements,
      pino({ level: 'silent' }),
    );
    const run = async () => {
      queued.length = 0;
      statements = 0;
      const job: Job = {
        id: `kudos-${recognitionId}`,
        name: KUDOS_GIVEN,
        data: { recognitionId },
        attemptsMade: 0,
        updateProgress: async () => {},
        pace: async () => {},
      };
      await handlers[KUDOS_GIVEN]?.(job);
      return queued.filter((add) => add.jobId === `announce-${recognitionId}`);
    };

    expect(await run()).toEqual([
      {
        name: 'celebrate-kudos',
        data: {
          recognitionId,
          channel: 'CANNOUNCE',
          notification: { event: expect.objectContaining({ recognitionId }), origin: 'local' },
        },
        jobId: `announce-${recognitionId}`,
      },
    ]);
    expect(statements).toBe(1);

    // The same kudos's job again (a retry), the channel changed since: the new one, though
    // the kudos itself was read before.
    await db
      .updateTable('recognition_settings')
      .set({ announcement_channel: 'CNEW' })
      .where('organization_id', '=', f.organizationId)
      .execute();
    expect((await run()).map((add) => add.data)).toEqual([
      expect.objectContaining({ recognitionId, channel: 'CNEW' }),
    ]);
    expect(statements).toBe(1);

    await db
      .updateTable('recognition_settings')
      .set({ announcement_channel: null })
      .where('organization_id', '=', f.organizationId)
      .execute();
    expect(await run()).toEqual([]);
  });
});
