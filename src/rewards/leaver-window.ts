import { sql } from 'kysely';
import { RefusalAbort } from '../core/result.ts';
import type { Database } from '../db/database.ts';
import { days, shortDate } from '../recognition/wording.ts';
import { rewardRefusal } from './reward-refusals.ts';

const DAY_MS = 86_400_000;

/**
 * Lets a redemption for a member through while they are active, or, once they have
 * left, for the organization's `leaver_redeem_days` after they were deactivated (0: not
 * at all); otherwise throws the refusal, to roll the request back. Read in the request's
 * transaction, by the database's clock.
 */
export async function checkLeaverWindow(
  trx: Database,
  organizationId: number,
  memberId: number,
  requestedBy: number,
): Promise<void> {
  const { rows } = await sql<{
    display_name: string;
    status: string;
    deactivated_at: Date | null;
    days: number;
    timezone: string;
    now: Date;
  }>`
    select m.display_name, m.status, m.deactivated_at, o.timezone,
      coalesce(s.leaver_redeem_days, 0) as days, now() as now
    from members m
    join organizations o on o.id = m.organization_id
    left join recognition_settings s on s.organization_id = m.organization_id
    where m.organization_id = ${organizationId} and m.id = ${memberId}`.execute(trx);
  const member = rows[0];
  if (!member || member.status === 'active') return;
  const self = requestedBy === memberId;
  if (member.days === 0 || member.deactivated_at === null) {
    throw new RefusalAbort(
      rewardRefusal(
        'member_left',
        `${self ? 'Your account is' : `${member.display_name} is`} no longer active here, and people who leave cannot redeem their points.`,
      ),
    );
  }
  const ends = new Date(new Date(member.deactivated_at).getTime() + member.days * DAY_MS);
  if (new Date(member.now) >= ends) {
    throw new RefusalAbort(
      rewardRefusal(
        'member_left',
        `People who leave may redeem their points for ${days(member.days)}; ${self ? 'yours' : `${member.display_name}'s`} ended on ${shortDate(ends, member.timezone)}.`,
      ),
    );
  }
}
