import { sql } from 'kysely';
import type { Database } from '../db/database.ts';
import type { Member } from '../directory/members.ts';
import type { Ledger } from '../ledger/ledger.ts';
import type { TransferSpec } from '../ledger/transfer.ts';
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

/** What a member was already granted within a period, under another cadence. */
export interface EarlierGrants {
  /** Whether any period of another cadence was opened within this one. */
  readonly opened: boolean;
  /** Allowance those openings granted. */
  readonly granted: number;
}

/**
 * A period's opening, given what was granted within it under another cadence. Normally
 * nothing was: unused allowance beyond the rollover cap expires and the grant is made.
 * After a cadence change within the period, what is left is already this period's, so
 * nothing expires, and only what the member was not yet granted in it is granted:
 * switching cadence back and forth never grants more within one span than its allowance.
 */
export function periodOpening(
  grant: number,
  left: number,
  rolloverCap: number,
  earlier: EarlierGrants,
): { grant: number; expire: number } {
  if (!earlier.opened) return { grant, expire: Math.max(0, left - rolloverCap) };
  return { grant: Math.max(0, grant - earlier.granted), expire: 0 };
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
 * Opens giving periods: expires what is left of the member's allowance beyond the
 * rollover cap and grants the new period's amount, as one linked ledger request.
 */
export class AllowancePeriods {
  /** Period keys this process has seen opened; opening is idempotent, so this only saves work. */
  readonly #opened = new Set<string>();

  constructor(
    private readonly ledger: Ledger,
    /** Where openings under another cadence are looked up. */
    private readonly db: Database,
  ) {}

  /** What openings of other cadences' periods within this one granted the member. */
  async #earlierGrants(
    organizationId: number,
    memberId: number,
    period: AllowancePeriod,
  ): Promise<EarlierGrants> {
    const { rows } = await sql<{ opened: number; granted: number }>`
      select count(distinct r.id)::int as opened,
        coalesce(sum(t.amount) filter (where t.kind = 'allowance_grant'), 0)::bigint as granted
      from ledger_requests r
      left join ledger_transfers t on t.request_id = r.id
      where r.organization_id = ${organizationId}
        and r.idempotency_key = any(${overlappingPeriodKeys(memberId, period)}::text[])`.execute(
      this.db,
    );
    return { opened: (rows[0]?.opened ?? 0) > 0, granted: Number(rows[0]?.granted ?? 0) };
  }

  /** Makes sure the member's allowance for the period has been granted. Safe to call often. */
  async open(
    settings: RecognitionSettings,
    member: Member,
    period: AllowancePeriod,
  ): Promise<void> {
    const key = allowancePeriodKey(member.id, period);
    if (this.#opened.has(key)) return;
    const org = await this.ledger.organizationAccounts(settings.organizationId);
    const own = await this.ledger.memberAccounts(settings.organizationId, member.id);
    const earlier = mayOverlapOtherCadences(settings, period)
      ? await this.#earlierGrants(settings.organizationId, member.id, period)
      : { opened: false, granted: 0 };
    let opened = false;
    for (let attempt = 0; attempt < 5 && !opened; attempt++) {
      const left =
        (await this.ledger.balances([own.allowance.id])).get(own.allowance.id)?.available ?? 0;
      const { grant, expire } = periodOpening(
        periodGrant(settings, member, period),
        left,
        settings.rolloverCap,
        earlier,
      );
      const transfers: TransferSpec[] = [];
      if (expire > 0) {
        transfers.push({
          debitAccountId: own.allowance.id,
          creditAccountId: org.allowance_expired.id,
          amount: expire,
          kind: 'allowance_expire',
          memo: `unused before ${period.firstDay}`,
        });
      }
      if (grant > 0) {
        transfers.push({
          debitAccountId: org.allowance_pool.id,
          creditAccountId: own.allowance.id,
          amount: grant,
          kind: 'allowance_grant',
          memo: `${period.cadence} allowance from ${period.firstDay}`,
        });
      }
      if (transfers.length === 0) {
        opened = true;
        break;
      }
      const result = await this.ledger.transfer({
        organizationId: settings.organizationId,
        idempotencyKey: key,
        transfers,
      });
      // A conflict means someone opened the period first, with the balance they saw.
      opened = result.ok || result.code === 'idempotency_conflict';
      // Otherwise the balance moved between reading and expiring it: read it again.
      if (!result.ok && !opened && result.code !== 'insufficient_balance') {
        throw new Error(`could not open ${key}: ${result.message}`);
      }
    }
    if (!opened) throw new Error(`could not open ${key}: the allowance kept changing`);
    if (this.#opened.size >= OPENED_CACHE_LIMIT) this.#opened.clear();
    this.#opened.add(key);
  }
}
