import type { Member } from '../directory/members.ts';
import type { Ledger } from '../ledger/ledger.ts';
import type { PeriodOpening, PeriodOpeningBatch } from '../ledger/period-openings.ts';
import { type AllowancePeriod, periodsStartingWithin } from './allowance-period.ts';
import { allowanceFor, type RecognitionSettings } from './settings.ts';

/**
 * The idempotency key of a member's period opening: the lazy grant on first use and the
 * reset job make the same request under it, so a period is opened once, whoever is first.
 */
export function allowancePeriodKey(
  memberId: number,
  period: Pick<AllowancePeriod, 'cadence' | 'firstDay'>,
): string {
  return `allowance:${memberId}:${period.cadence}:${period.firstDay}`;
}

/**
 * The keys of a member's openings of other cadences' periods that begin within this one:
 * opened only when the organization changed its cadence during this period.
 */
export function overlappingPeriodKeys(memberId: number, period: AllowancePeriod): string[] {
  return periodsStartingWithin(period).map((other) => allowancePeriodKey(memberId, other));
}

/** Two days: more than any time zone change can move a period's start. */
const CADENCE_CHANGE_MARGIN_MS = 2 * 86_400_000;

/**
 * Whether a period may overlap openings of another cadence: only when the cadence changed
 * during it (they open at or after their own start, which is within this period, under
 * the cadence of that time). Otherwise there is nothing to look for.
 */
export function mayOverlapOtherCadences(
  settings: Pick<RecognitionSettings, 'cadenceChangedAt'>,
  period: Pick<AllowancePeriod, 'start'>,
): boolean {
  const changed = settings.cadenceChangedAt;
  return changed !== null && changed.getTime() >= period.start.getTime() - CADENCE_CHANGE_MARGIN_MS;
}

/** The memos of a period's opening transfers, the same whoever opens it. */
export function periodOpeningMemo(period: AllowancePeriod): PeriodOpeningBatch['memo'] {
  return {
    grant: `${period.cadence} allowance from ${period.firstDay}`,
    expire: `unused before ${period.firstDay}`,
  };
}

/** A member's opening of a period, as the reset job and a first give both ask for it. */
export function memberOpening(
  settings: RecognitionSettings,
  member: Pick<Member, 'id' | 'roles' | 'joinedAt'>,
  period: AllowancePeriod,
  allowanceAccountId: number,
): PeriodOpening {
  return {
    accountId: allowanceAccountId,
    grant: periodGrant(settings, member, period),
    key: allowancePeriodKey(member.id, period),
    earlierKeys: mayOverlapOtherCadences(settings, period)
      ? overlappingPeriodKeys(member.id, period)
      : [],
  };
}

const OPENED_CACHE_LIMIT = 100_000;

/**
 * What a member is granted when a period opens: their allowance, or, for someone who
 * joined after the period began in an organization that prorates, the share of it that
 * matches the time left (rounded down). The lazy opening and the reset job agree on it.
 */
export function periodGrant(
  settings: RecognitionSettings,
  member: Pick<Member, 'id' | 'roles' | 'joinedAt'>,
  period: AllowancePeriod,
): number {
  const full = allowanceFor(settings, member);
  if (!settings.prorateNewMembers || member.joinedAt <= period.start) return full;
  const total = period.end.getTime() - period.start.getTime();
  const left = Math.max(0, period.end.getTime() - member.joinedAt.getTime());
  return Math.floor((full * left) / total);
}

/**
 * Opens giving periods on first use: expires what is left of the member's allowance
 * beyond the rollover cap and grants the new period's amount, as the reset job does and
 * through the same ledger call, under the same key and request: whoever is first opens
 * the period, and the other's request is a replay.
 */
export class AllowancePeriods {
  /** Period keys this process has seen opened; opening is idempotent, so this only saves work. */
  readonly #opened = new Set<string>();

  constructor(private readonly ledger: Ledger) {}

  /**
   * Makes sure the member's allowance for the period has been granted. Safe to call often.
   * Resolves to whether this call opened it; throws when its key was used for a different
   * request (a bug, which no retry mends).
   */
  async open(
    settings: RecognitionSettings,
    member: Member,
    period: AllowancePeriod,
  ): Promise<boolean> {
    const key = allowancePeriodKey(member.id, period);
    if (this.#opened.has(key)) return false;
    const org = await this.ledger.organizationAccounts(settings.organizationId);
    const own = await this.ledger.memberAccounts(settings.organizationId, member.id);
    const { opened, conflicts } = await this.ledger.openPeriods({
      organizationId: settings.organizationId,
      accounts: org,
      rolloverCap: settings.rolloverCap,
      memo: periodOpeningMemo(period),
      openings: [memberOpening(settings, member, period, own.allowance.id)],
    });
    if (conflicts.length > 0) {
      throw new Error(`could not open ${key}: the key was used for a different request`);
    }
    if (this.#opened.size >= OPENED_CACHE_LIMIT) this.#opened.clear();
    this.#opened.add(key);
    return opened > 0;
  }
}
