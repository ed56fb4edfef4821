import type { Database } from '../db/database.ts';
import type { MemberRole } from '../db/tables.ts';
import type { RecognitionSettings } from '../recognition/settings.ts';

/** A member whose giving period a reset opens. */
export interface Giver {
  readonly id: number;
  readonly roles: MemberRole[];
  readonly created_at: Date;
  /** Their allowance account; null until their first period is opened. */
  readonly account_id: number | null;
}

/**
 * The members of an organization who may give, in pages of `pageSize` in id order, each
 * page starting after the last id of the one before, so that no member is met twice
 * however the pages before it were changed.
 */
export async function* giverPages(
  db: Database,
  settings: RecognitionSettings,
  pageSize: number,
): AsyncGenerator<Giver[]> {
  let after = 0;
  for (;;) {
    let query = db
      .selectFrom('members as m')
      .select((eb) => [
        'm.id',
        'm.roles',
        'm.created_at',
        // Looked up member by member through the accounts' unique key: as a join, the
        // planner sorted all the organization's accounts for every page whenever its
        // statistics predated them (right after the first reset created them), which cost
        // more than the page's ledger writes.
        eb
          .selectFrom('ledger_accounts as a')
          .select('a.id')
          .whereRef('a.organization_id', '=', 'm.organization_id')
          .where('a.asset', '=', 'allowance')
          .where('a.code', '=', 'allowance')
          .whereRef('a.member_id', '=', 'm.id')
          .as('account_id'),
      ])
      .where('m.organization_id', '=', settings.organizationId)
      .where('m.status', '=', 'active')
      .where('m.is_bot', '=', false)
      .where('m.id', '>', after);
    if (!settings.guestsMayParticipate) query = query.where('m.is_guest', '=', false);
    const page = await query.orderBy('m.id').limit(pageSize).execute();
    if (page.length === 0) return;
    after = page.at(-1)?.id ?? after;
    yield page;
    if (page.length < pageSize) return;
  }
}
