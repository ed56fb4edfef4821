import type { Member } from '../directory/members.ts';
import type { Ledger } from '../ledger/ledger.ts';
import type { TransferSpec } from '../ledger/transfer.ts';
import type { AllowancePeriod } from './allowance-period.ts';
import { allowanceFor, type RecognitionSettings } from './settings.ts';

/**
 * The idempotency key of a member's period opening: the lazy grant on first use and the
 * reset job make the same request under it, so a period is opened once, whoever is first.
 */
export function allowancePeriodKey(memberId: number, period: AllowancePeriod): string {
  return `allowance:${memberId}:${period.cadence}:${period.firstDay}`;
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

  constructor(private readonly ledger: Ledger) {}

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
    let opened = false;
    for (let attempt = 0; attempt < 5 && !opened; attempt++) {
      const left =
        (await this.ledger.balances([own.allowance.id])).get(own.allowance.id)?.available ?? 0;
      const expire = Math.max(0, left - settings.rolloverCap);
      const grant = periodGrant(settings, member, period);
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
