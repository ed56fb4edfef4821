import { performance } from 'node:perf_hooks';
import type { Database } from '../db/database.ts';
import { loadRecognitionSettings, type RecognitionSettings } from './settings.ts';

interface Entry {
  readonly read: Promise<{ settings: RecognitionSettings; now: Date }>;
  /** Monotonic milliseconds when the read was sent. */
  readonly at: number;
}

/**
 * Every command needs its organization's settings and the database's clock; reading
 * them costs a round trip, as much as the give's own write. This keeps each
 * organization's settings for `ttlMs` and advances the database time it read with the
 * process's monotonic clock, so the database stays the authority on which period a give
 * falls in (to within the drift of one second). A settings change is seen by every
 * process within `ttlMs`, and at once by this one after {@link invalidate}.
 */
export class RecognitionSettingsCache {
  readonly #entries = new Map<number, Entry>();

  constructor(
    private readonly db: Database,
    /** @defaultValue 1000 */
    private readonly ttlMs = 1000,
    /** Monotonic milliseconds; injectable for tests. */
    private readonly monotonic: () => number = () => performance.now(),
  ) {}

  async load(organizationId: number): Promise<{ settings: RecognitionSettings; now: Date }> {
    const at = this.monotonic();
    let entry = this.#entries.get(organizationId);
    if (!entry || at - entry.at >= this.ttlMs) {
      entry = { read: loadRecognitionSettings(this.db, organizationId), at };
      this.#entries.set(organizationId, entry);
      entry.read.catch(() => this.#entries.delete(organizationId));
    }
    const { settings, now } = await entry.read;
    return { settings, now: new Date(now.getTime() + (this.monotonic() - entry.at)) };
  }

  /** Forgets an organization's settings, after this process changed them. */
  invalidate(organizationId: number): void {
    this.#entries.delete(organizationId);
  }
}
