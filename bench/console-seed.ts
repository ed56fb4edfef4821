/**
 * The organizations bench:console measures, seeded with set-based SQL into the real tables:
 * see bench/console.ts for their shape.
 */
import { sql, type Transaction } from 'kysely';
import type { Database } from '../src/db/database.ts';
import type { Tables } from '../src/db/tables.ts';
import { createOrganization } from '../src/directory/organizations.ts';
import { createRecognitionServices } from '../src/recognition/recognition-services.ts';
import { verifyOrganization } from '../src/verification/ledger-verification.ts';

export const TIMEZONE = 'Europe/Paris';
/** Kudos received a member a year. */
const KUDOS_PER_MEMBER = 200;
/** Recipients a recognition, on average (1, 2 or 3). */
const RECIPIENTS_EACH = 1.43;
/** Every this-many-th recognition is reversed. */
const REVERSE_EVERY = 233;
const REDEMPTIONS_PER_MEMBER = 6;
const MONTHLY_ALLOWANCE = 1_000;

/** One organization's size. */
export interface Size {
  readonly kudos: number;
  readonly members: number;
  readonly recognitions: number;
  readonly redemptions: number;
  readonly auditEntries: number;
  /** The last members never receive kudos (quiet), the very last never give either. */
  readonly neverReceive: number;
  readonly neverGive: number;
}

export function sizeOf(kudos: number): Size {
  const members = Math.max(50, Math.round(kudos / KUDOS_PER_MEMBER));
  return {
    kudos,
    members,
    recognitions: Math.round(kudos / RECIPIENTS_EACH),
    redemptions: members * REDEMPTIONS_PER_MEMBER,
    auditEntries: 3_000,
    neverReceive: Math.ceil(members * 0.08),
    neverGive: Math.ceil(members * 0.04),
  };
}

/** The organization, seeded in one transaction; returns its id and its admin's. */
export async function seed(
  db: Database,
  size: Size,
): Promise<{ organizationId: number; adminId: number }> {
  const organization = await createOrganization(db, {
    name: 'Bench',
    timezone: TIMEZONE,
    currency: 'EUR',
  });
  if (!organization.ok) throw new Error(organization.message);
  const o = organization.value.id;
  const accounts = await createRecognitionServices(db).ledger.organizationAccounts(o);
  const [pool, spent, issuance, hold, redeemed] = [
    accounts.allowance_pool,
    accounts.allowance_spent,
    accounts.issuance,
    accounts.redemption_hold,
    accounts.redeemed,
  ].map((account) => account.id);
  /** The number a seeded idempotency key ends with. */
  const tail = (key: string) => sql.raw(`split_part(${key}, ':', -1)::bigint`);

  await db.transaction().execute(async (trx) => {
    const bulk = bulkWrites(trx);
    for (const query of [
      sql`select setseed(0.42)`,
      sql`insert into recognition_settings (organization_id, allowance_amount)
        values (${o}, ${MONTHLY_ALLOWANCE})`,
      sql`insert into reward_settings (organization_id, monthly_budget_minor)
        values (${o}, 1000000)`,
      sql`insert into company_values (organization_id, name)
        select ${o}, unnest(array['teamwork', 'ownership', 'customer-first', 'curiosity', 'candor'])`,
      // People: admins and HR here and there, a few guests and leavers, one bot.
      sql`insert into members (organization_id, display_name, email, roles, status, is_guest,
          is_bot, created_at, deactivated_at)
        select ${o}, f.name || ' ' || l.name, lower(f.name || '.' || l.name)
          || case when n > 500 then n::text else '' end || '@example.com',
          case when n = 1 then '{member,admin,hr}' when n % 100 = 0 then '{member,admin}'
            when n % 125 = 0 then '{member,hr}' else '{member}' end::text[],
          case when n % 50 = 7 then 'deactivated' else 'active' end,
          n % 97 = 3, n = ${size.members}, now() - interval '400 days',
          case when n % 50 = 7 then now() - interval '30 days' end
        from generate_series(1, ${size.members}::int) n
        cross join lateral (select (array['Anna', 'Ben', 'Carla', 'Daniel', 'Eva', 'Farid',
          'Greta', 'Hannah', 'Ivan', 'Julia', 'Karim', 'Lena', 'Marco', 'Nina', 'Omar', 'Paula',
          'Quentin', 'Rosa', 'Sven', 'Tara'])[1 + n % 20] as name) f
        cross join lateral (select (array['Adams', 'Berg', 'Costa', 'Dubois', 'Evans', 'Fischer',
          'Garcia', 'Hansen', 'Ito', 'Jansen', 'Kowalski', 'Larsen', 'Martin', 'Novak', 'Olsen',
          'Petit', 'Quinn', 'Rossi', 'Silva', 'Tanaka', 'Urban', 'Vogel', 'Weber', 'Young',
          'Zimmer'])[1 + (n / 20) % 25] as name) l
        order by n`,
      // Each limited account with its balance row (the database moves it with the transfers).
      sql`with created as (
          insert into ledger_accounts (organization_id, asset, code, member_id,
            debits_must_not_exceed_credits)
          select ${o}, a.asset, a.code, m.id, true
          from members m cross join (values ('allowance', 'allowance'), ('points', 'earned')) a(asset, code)
          where m.organization_id = ${o}
          returning id)
        insert into ledger_balances (account_id, debits_must_not_exceed_credits)
        select id, true from created`,
      // Statistics of the rows just written, so the joins below are not planned as if empty.
      sql`analyze members, ledger_accounts`,
      sql`create temp table bench_people on commit drop as
        select row_number() over (order by m.id)::int as n, m.id, al.id as allowance, ea.id as earned
        from members m
        join ledger_accounts al on al.member_id = m.id and al.code = 'allowance'
        join ledger_accounts ea on ea.member_id = m.id and ea.code = 'earned'
        where m.organization_id = ${o}`,
      sql`insert into groups (organization_id, name)
        select ${o}, unnest(array['Engineering', 'Sales', 'Marketing', 'Support', 'Finance',
          'People', 'Design', 'Operations', 'Legal', 'Research'])`,
      // Everyone in one group but every 25th in none; every 7th in a second one.
      sql`insert into group_members (organization_id, group_id, member_id)
        select ${o}, g.id, p.id
        from bench_people p
        join (select id, row_number() over (order by id) as k from groups
          where organization_id = ${o}) g
          on g.k = 1 + p.n % 10 or (p.n % 7 = 0 and g.k = 1 + (p.n + 3) % 10)
        where p.n % 25 <> 0`,
      bulk.start,
      // A year of allowance: one grant a member a month.
      sql`with q as (
          insert into ledger_requests (organization_id, idempotency_key, request_hash, operation,
            created_at)
          select ${o}, 'allowance:bench:' || (p.n * 100 + m), 'bench', 'transfer',
            date_trunc('month', now()) - make_interval(months => m)
          from bench_people p cross join generate_series(0, 12) m
          returning id, idempotency_key, created_at)
        insert into ledger_transfers (organization_id, request_id, asset, debit_account_id,
          credit_account_id, amount, kind, status, memo, created_at)
        select ${o}, q.id, 'allowance', ${pool}::bigint, p.allowance, ${MONTHLY_ALLOWANCE},
          'allowance_grant', 'posted', 'monthly allowance', q.created_at
        from q join bench_people p on p.n = ${tail('q.idempotency_key')} / 100`,
      // The kudos: who gave, when, how much each, which values, to how many people.
      // Numbered in time order, as they would have been written.
      sql`create temp table bench_kudos on commit drop as
        select row_number() over (order by created_at)::int as g, *
        from (
          select 1 + floor(random() * ${size.members - size.neverGive})::int as giver_n,
            now() - random() * interval '365 days' as created_at,
            (array[5, 5, 10, 10, 10, 15, 20, 25])[1 + floor(random() * 8)::int] as amount,
            (array['{}', '{teamwork}', '{ownership}', '{customer-first,teamwork}', '{curiosity}',
              '{candor}', '{teamwork}'])[1 + floor(random() * 7)::int]::text[] as company_values,
            1 + (random() < 0.333)::int + (random() < 0.1)::int as recipients,
            floor(${size.members - size.neverReceive} * power(random(), 1.5))::int as spread
          from generate_series(1, ${size.recognitions}::int)) drawn`,
      sql`analyze bench_people, bench_kudos`,
      sql`with q as (
          insert into ledger_requests (organization_id, idempotency_key, request_hash, operation,
            created_at)
          select ${o}, 'kudos:bench:' || g, 'bench', 'transfer', created_at from bench_kudos
          order by g
          returning id, idempotency_key)
        insert into recognitions (organization_id, giver_id, ledger_request_id, amount_each,
          message, company_values, platform, channel, created_at)
        select ${o}, p.id, q.id, k.amount, 'Thanks for the help with release ' || k.g,
          k.company_values, 'slack', 'C0BENCH', k.created_at
        from q
        join bench_kudos k on k.g = ${tail('q.idempotency_key')}
        join bench_people p on p.n = k.giver_n
        order by k.g`,
      sql`analyze ledger_requests, recognitions`,
      // Recipients: distinct, never the giver, skewed towards the first members.
      sql`create temp table bench_recipients on commit drop as
        select r.id as recognition_id, r.ledger_request_id as request_id, r.giver_id,
          gp.allowance as giver_allowance, rp.id as recipient_id, rp.earned as recipient_earned,
          r.amount_each as amount, r.created_at, k.g
        from bench_kudos k
        join ledger_requests q on q.organization_id = ${o}
          and q.idempotency_key = 'kudos:bench:' || k.g
        join recognitions r on r.ledger_request_id = q.id
        join bench_people gp on gp.n = k.giver_n
        cross join generate_series(0, k.recipients - 1) j
        cross join lateral (
          select 1 + (k.spread + j * 153) % ${size.members - size.neverReceive} as c) c
        join bench_people rp on rp.n = case when c.c = k.giver_n
          then 1 + c.c % ${size.members - size.neverReceive} else c.c end`,
      sql`insert into recognition_recipients (recognition_id, organization_id, giver_id,
          recipient_id, amount, created_at)
        select recognition_id, ${o}, giver_id, recipient_id, amount, created_at
        from bench_recipients order by recognition_id, recipient_id`,
      sql`insert into ledger_transfers (organization_id, request_id, asset, debit_account_id,
          credit_account_id, amount, kind, status, created_at)
        select ${o}, request_id, asset, debit, credit, amount, 'kudos', 'posted', created_at
        from (
          select request_id, 'allowance' as asset, giver_allowance as debit,
            ${spent}::bigint as credit, amount, created_at, recognition_id, 1 as leg
          from bench_recipients
          union all
          select request_id, 'points', ${issuance}::bigint, recipient_earned, amount, created_at,
            recognition_id, 2
          from bench_recipients) t
        order by recognition_id, leg`,
      bulk.rebuildIndexes,
      // Reversed by the admin two days later: the points are taken back.
      sql`with q as (
          insert into ledger_requests (organization_id, idempotency_key, request_hash, operation,
            created_at)
          select ${o}, 'admin-reversal:bench:' || g, 'bench', 'reverse',
            least(created_at + interval '2 days', now())
          from bench_kudos where g % ${REVERSE_EVERY} = 0
          returning id, idempotency_key, created_at),
        reversals as (
          insert into recognition_reversals (recognition_id, organization_id, ledger_request_id,
            reversed_by_member_id, reason, created_at)
          select r.id, ${o}, q.id, (select id from bench_people where n = 1), 'given by mistake',
            q.created_at
          from q
          join ledger_requests kq on kq.organization_id = ${o}
            and kq.idempotency_key = 'kudos:bench:' || ${tail('q.idempotency_key')}
          join recognitions r on r.ledger_request_id = kq.id
          returning recognition_id, ledger_request_id, created_at)
        insert into ledger_transfers (organization_id, request_id, asset, debit_account_id,
          credit_account_id, amount, kind, status, reverses_transfer_id, memo, created_at)
        select ${o}, v.ledger_request_id, t.asset, t.credit_account_id, t.debit_account_id,
          t.amount, 'reversal', 'posted', t.id, 'recognition #' || v.recognition_id || ' reversed',
          v.created_at
        from reversals v
        join recognitions r on r.id = v.recognition_id
        join ledger_transfers t on t.request_id = r.ledger_request_id and t.asset = 'points'`,
      sql`insert into reward_items (organization_id, name, points_cost, price_minor, fulfilment,
          webhook_url, active, retired_at)
        select ${o}, 'Reward ' || k, 10 + 5 * (k % 8), 500 + 250 * (k % 8),
          case when k % 3 = 0 then 'webhook' else 'manual' end,
          case when k % 3 = 0 then 'https://rewards.example.com/fulfil' end,
          k <= 10, case when k > 10 then now() - interval '60 days' end
        from generate_series(1, 12) k`,
      sql`create temp table bench_items on commit drop as
        select row_number() over (order by id)::int as k, * from reward_items
        where organization_id = ${o}`,
      // Redemptions: most fulfilled, some refused, cancelled or expired, recent ones held.
      sql`create temp table bench_redemptions on commit drop as
        select n, member_n, item_k, requested_at, status,
          case when status = 'held' then null
            when status = 'expired' then requested_at + interval '336 hours'
            else least(requested_at + random() * interval '3 days', now()) end as resolved_at
        from (
          select n, member_n, item_k, requested_at,
            case when requested_at > now() - interval '14 days' and fate < 0.5 then 'held'
              when fate < 0.88 then 'fulfilled' when fate < 0.93 then 'rejected'
              when fate < 0.97 or requested_at > now() - interval '14 days' then 'cancelled'
              else 'expired' end as status
          from (
            select row_number() over (order by requested_at)::int as n, *
            from (
              select 1 + floor(random() * ${size.members - size.neverReceive})::int as member_n,
                1 + floor(random() * 12)::int as item_k,
                now() - random() * interval '365 days' as requested_at, random() as fate
              from generate_series(1, ${size.redemptions}::int)) drawn) numbered) decided`,
      sql`analyze bench_recipients, bench_items, bench_redemptions`,
      sql`with q as (
          insert into ledger_requests (organization_id, idempotency_key, request_hash, operation,
            created_at)
          select ${o}, 'redemption:hold:bench:' || n, 'bench', 'transfer', requested_at
          from bench_redemptions order by n
          returning id, idempotency_key)
        insert into ledger_transfers (organization_id, request_id, asset, debit_account_id,
          credit_account_id, amount, kind, status, memo, created_at, resolved_at)
        select ${o}, q.id, 'points', p.earned, ${hold}::bigint, i.points_cost, 'redemption',
          case b.status when 'held' then 'pending' when 'fulfilled' then 'posted_from_pending'
            else 'voided' end,
          'redemption hold', b.requested_at, b.resolved_at
        from q
        join bench_redemptions b on b.n = ${tail('q.idempotency_key')}
        join bench_people p on p.n = b.member_n
        join bench_items i on i.k = b.item_k`,
      sql`insert into redemptions (organization_id, item_id, member_id, requested_by, request_key,
          status, points, price_minor, currency, fulfilment, webhook_url, hold_transfer_id,
          requested_at, expires_at, resolved_at, resolved_by, reason)
        select ${o}, i.id, p.id, p.id, 'bench:' || b.n, b.status, i.points_cost, i.price_minor,
          'EUR', i.fulfilment, i.webhook_url, t.id, b.requested_at,
          b.requested_at + interval '336 hours', b.resolved_at,
          case when b.status in ('rejected', 'fulfilled') and i.fulfilment = 'manual'
            then (select id from bench_people where n = 1)
            when b.status = 'cancelled' then p.id end,
          case when b.status = 'rejected' then 'Out of stock this month' end
        from bench_redemptions b
        join ledger_requests q on q.organization_id = ${o}
          and q.idempotency_key = 'redemption:hold:bench:' || b.n
        join ledger_transfers t on t.request_id = q.id
        join bench_people p on p.n = b.member_n
        join bench_items i on i.k = b.item_k
        order by b.requested_at`,
      sql`insert into ledger_requests (organization_id, idempotency_key, request_hash, operation,
          transfer_id, created_at)
        select ${o}, 'redemption:' || case when status = 'fulfilled' then 'post' else 'void' end
            || ':' || id, 'bench',
          case when status = 'fulfilled' then 'post' else 'void' end, hold_transfer_id, resolved_at
        from redemptions where organization_id = ${o} and resolved_at is not null`,
      sql`with q as (
          insert into ledger_requests (organization_id, idempotency_key, request_hash, operation,
            created_at)
          select ${o}, 'redemption:redeem:' || id, 'bench', 'transfer', resolved_at
          from redemptions where organization_id = ${o} and status = 'fulfilled'
          returning id, idempotency_key, created_at)
        insert into ledger_transfers (organization_id, request_id, asset, debit_account_id,
          credit_account_id, amount, kind, status, memo, created_at)
        select ${o}, q.id, 'points', ${hold}::bigint, ${redeemed}::bigint, r.points,
          'redemption', 'posted', 'redemption #' || r.id, q.created_at
        from q join redemptions r on r.id = ${tail('q.idempotency_key')}`,
      sql`insert into billing_charges (organization_id, redemption_id, item_id, member_id,
          amount_minor, currency, charged_at)
        select ${o}, id, item_id, member_id, price_minor, currency, resolved_at
        from redemptions where organization_id = ${o} and status = 'fulfilled'
        order by resolved_at`,
      sql`insert into audit_log (organization_id, actor_member_id, via, action, target, outcome,
          refusal_code, before, after, created_at)
        select ${o}, p.id, (array['console', 'slack', 'teams'])[1 + g % 3],
          (array['redemption.fulfil', 'redemption.reject', 'recognition.reverse', 'role.grant',
            'settings.change', 'reward.edit', 'adjustment.grant', 'group.members',
            'console.sign_in', 'rule.set'])[1 + g % 10],
          'member:' || (g % ${size.members} + 1),
          case when g % 9 = 0 then 'refused' else 'done' end,
          case when g % 9 = 0 then 'not_allowed' end,
          jsonb_build_object('roles', jsonb_build_array('member'), 'amount', g % 50),
          jsonb_build_object('roles', jsonb_build_array('member', 'admin'), 'amount', g % 70),
          now() - (${size.auditEntries} - g) * interval '2 hours 50 minutes'
        from generate_series(1, ${size.auditEntries}::int) g
        join bench_people p on p.n = case when g % 4 = 0 then 100 else 1 end
        order by g`,
      bulk.sumBalances(o),
      bulk.countKudos(o),
    ]) {
      const started = performance.now();
      const label =
        'label' in query ? query.label : query.compile(trx).sql.replace(/\s+/g, ' ').slice(0, 70);
      if ('label' in query) await query.run();
      else await query.execute(trx);
      console.error(`  seed ${((performance.now() - started) / 1000).toFixed(1)} s: ${label}`);
    }
  });
  const admin = await db
    .selectFrom('members')
    .select('id')
    .where('organization_id', '=', o)
    .orderBy('id')
    .executeTakeFirstOrThrow();
  return { organizationId: o, adminId: admin.id };
}

/** A step of the seed that is more than one statement. */
interface SeedStep {
  readonly label: string;
  readonly run: () => Promise<void>;
}

/** The tables the seed writes millions of rows to, whose plain indexes are built after. */
const BULK_TABLES = ['ledger_transfers', 'recognitions', 'recognition_recipients'] as const;

/**
 * The seed's millions of rows written as bench:ledger writes its own (bench/ledger-volume.ts),
 * in minutes instead of an hour at ten million kudos, with the same result:
 *
 * - `start`: the session is put in replica mode, which skips the triggers: the
 *   foreign-key checks (every id written is one the seed read or wrote), the balance
 *   trigger and the kudos counts' triggers (migrations/0025; those of 0027 do nothing before
 *   the first roll-up), whose work `finish` then does once for the whole seed; and the
 *   plain indexes of the largest tables are dropped;
 * - `rebuildIndexes`: they are built again from their own definitions once the kudos are
 *   in (a sort instead of tens of millions of insertions), before the statements that
 *   look transfers up by their request;
 * - `sumBalances`, `countKudos`: each account's transfers are added to its balance row, with the amounts the
 *   balance trigger adds (posted and pending by status), and the organization's kudos are
 *   counted by the database's own recount (`kudos_recount`, as a change of time zone does).
 *
 * What it leaves is checked by `ledger:verify`'s check after the seed (bench/console.ts).
 */
function bulkWrites(trx: Transaction<Tables>): {
  start: SeedStep;
  rebuildIndexes: SeedStep;
  sumBalances: (organizationId: number) => SeedStep;
  countKudos: (organizationId: number) => SeedStep;
} {
  const dropped: string[] = [];
  return {
    start: {
      label: "replica mode (no triggers), the large tables' plain indexes dropped",
      run: async () => {
        await sql`set local session_replication_role = replica`.execute(trx);
        await sql`set local work_mem = '256MB'`.execute(trx);
        await sql`set local maintenance_work_mem = '1GB'`.execute(trx);
        const plain = (
          await sql<{ name: string; definition: string }>`
            select i.indexrelid::regclass::text as name,
              pg_get_indexdef(i.indexrelid) as definition
            from pg_index i
            where i.indrelid = any(${[...BULK_TABLES]}::regclass[])
              and not exists (select 1 from pg_constraint c where c.conindid = i.indexrelid)`.execute(
            trx,
          )
        ).rows;
        for (const index of plain) {
          await sql`drop index ${sql.id(index.name)}`.execute(trx);
          dropped.push(index.definition);
        }
      },
    },
    rebuildIndexes: {
      label: 'the plain indexes built again',
      run: async () => {
        for (const definition of dropped.splice(0)) await sql.raw(definition).execute(trx);
        for (const table of [...BULK_TABLES, 'ledger_requests']) {
          await sql`analyze ${sql.table(table)}`.execute(trx);
        }
      },
    },
    sumBalances: (organizationId) => ({
      label: 'the balance rows summed',
      run: async () => {
        await sql`
          with moved as (
            select debit_account_id as account_id, ledger_posted_amount(status, amount) as dp,
              0::bigint as cp, ledger_pending_amount(status, amount) as dpe, 0::bigint as cpe
            from ledger_transfers where organization_id = ${organizationId}
            union all
            select credit_account_id, 0, ledger_posted_amount(status, amount),
              0, ledger_pending_amount(status, amount)
            from ledger_transfers where organization_id = ${organizationId}
          ),
          net as (
            select account_id, sum(dp) as dp, sum(cp) as cp, sum(dpe) as dpe, sum(cpe) as cpe
            from moved group by account_id
          )
          update ledger_balances b set debits_posted = b.debits_posted + n.dp,
            credits_posted = b.credits_posted + n.cp,
            debits_pending = b.debits_pending + n.dpe,
            credits_pending = b.credits_pending + n.cpe
          from net n where b.account_id = n.account_id`.execute(trx);
      },
    }),
    countKudos: (organizationId) => ({
      label: 'the kudos counted per day (kudos_recount)',
      run: () => sql`select kudos_recount(${organizationId})`.execute(trx).then(() => undefined),
    }),
  };
}

/**
 * The seed skipped the triggers: `ledger:verify`'s check says the ledger is what its
 * writes would have left, and the kudos counted per day (organization, value, person and
 * pair rows) must add up to the kudos and recognitions kept. Throws when either fails.
 */
export async function checkSeed(db: Database, organizationId: number): Promise<void> {
  const verification = await verifyOrganization(db, organizationId, 5);
  if (verification.total > 0) {
    throw new Error(`the seeded ledger fails verification: ${JSON.stringify(verification)}`);
  }
  const { rows } = await sql<Record<string, string>>`
    with kept as (
      select rr.* from recognition_recipients rr
      where rr.organization_id = ${organizationId}
        and not exists (select 1 from recognition_reversals v
          where v.recognition_id = rr.recognition_id)
    ),
    kept_recognitions as (
      select r.* from recognitions r where r.organization_id = ${organizationId}
        and not exists (select 1 from recognition_reversals v where v.recognition_id = r.id)
    )
    select
      (select count(*) from kept) as kudos,
      (select coalesce(sum(amount), 0) from kept) as points,
      (select count(*) from kept_recognitions) as recognitions,
      (select count(*) from kept_recognitions, unnest(company_values)) as values_named,
      (select coalesce(sum(kudos), 0) from kudos_days where organization_id = ${organizationId})
        as day_kudos,
      (select coalesce(sum(points), 0) from kudos_days where organization_id = ${organizationId})
        as day_points,
      (select coalesce(sum(recognitions), 0) from kudos_days
        where organization_id = ${organizationId}) as day_recognitions,
      (select coalesce(sum(recognitions), 0) from kudos_value_days
        where organization_id = ${organizationId}) as day_values_named,
      (select coalesce(sum(received), 0) from kudos_member_days
        where organization_id = ${organizationId}) as person_kudos,
      (select coalesce(sum(given_points), 0) from kudos_member_days
        where organization_id = ${organizationId}) as person_points,
      (select coalesce(sum(kudos), 0) from kudos_pair_days
        where organization_id = ${organizationId}) as pair_kudos`.execute(db);
  const c = rows[0] as Record<string, string>;
  const pairs: Array<[string, string]> = [
    ['kudos', 'day_kudos'],
    ['points', 'day_points'],
    ['recognitions', 'day_recognitions'],
    ['values_named', 'day_values_named'],
    ['kudos', 'person_kudos'],
    ['points', 'person_points'],
    ['kudos', 'pair_kudos'],
  ];
  const wrong = pairs.filter(([kept, counted]) => c[kept] !== c[counted]);
  if (wrong.length > 0) {
    throw new Error(`the seeded kudos are not counted right: ${JSON.stringify(c)}`);
  }
}
