import type { Logger } from 'pino';
import type { Database } from '../db/database.ts';
import type { Jobs } from '../jobs/job-queue.ts';
import type { Ledger } from '../ledger/ledger.ts';
import type { RecognitionSettingsCache } from '../recognition/settings-cache.ts';
import type { RewardDesk } from '../rewards/reward-desk.ts';
import type { GroupMirror } from './group-admin.ts';

/** What the admin features work with, in chat and over HTTP alike; one per process. */
export interface AdminServices {
  readonly db: Database;
  readonly ledger: Ledger;
  /** Forgotten for an organization whose settings change, so the change holds at once. */
  readonly settings: RecognitionSettingsCache;
  /** The allowance reset schedule follows cadence and time zone changes. */
  readonly jobs: Jobs;
  readonly desk: RewardDesk;
  readonly logger: Logger;
  /**
   * The chat platforms' mirrors of their groups (Slack user groups, Teams teams), filled in
   * as each adapter starts; `groups sync` runs them.
   */
  readonly groupMirrors?: GroupMirror[];
}
