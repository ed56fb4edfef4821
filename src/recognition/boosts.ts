import { type Kysely, sql } from 'kysely';
import { z } from 'zod/v4';
import { systemClock } from '../core/clock.ts';
import type { Command, MentionResolver } from '../core/command.ts';
import { type KudosGiven, type Reply, refusalReply } from '../core/reply.ts';
import { compiledQuery } from '../db/compiled-query.ts';
import type { Database } from '../db/database.ts';
import type { Platform, Tables } from '../db/tables.ts';
import { findMember, type Member } from '../directory/members.ts';
import { allowancePeriodAt } from './allowance-period.ts';
import { giveKudos } from './give-kudos.ts';
import type { RecognitionServices } from './recognition-services.ts';
import { points, quoted } from './wording.ts';

/** A kudos as a boost of it sees it: who gave it, to whom, for what, and whether it stands. */
export interface BoostableKudos {
  readonly id: number;
  readonly organizationId: number;
  readonly giverId: number;
  readonly giverName: string;
  readonly recipients: ReadonlyArray<{ readonly memberId: number; readonly name: string }>;
  readonly amountEach: number;
  readonly message: string;
  readonly values: readonly string[];
  /** Taken back (by an admin, or its reaction removed): nothing is left to boost. */
  readonly reversed: boolean;
  /** A private kudos: told only to its recipients, so there is nothing public to boost. */
  readonly private: boolean;
  /** The booster's own boost of it, if they made one. */
  readonly boostedBy?: { readonly amountEach: number };
}

/** One boost as a celebration shows it. */
export interface ShownBoost {
  readonly giverName: string;
  readonly amountEach: number;
}

/** What a celebration shows besides the kudos: its boosts, and whether it takes more. */
export interface CelebrationBoosts {
  readonly boosts: readonly ShownBoost[];
  /** Whether the Boost action is shown: boosts are on here. */
  readonly boostable: boolean;
}

/** A celebration as first posted: no boosts yet, and a Boost action when boosts are on. */
export const NO_BOOSTS: CelebrationBoosts = { boosts: [], boostable: false };

/** What a person asks: to add `amount` points to each recipient of kudos `recognitionId`. */
export interface BoostRequest {
  readonly booster: Member;
  readonly recognitionId: number;
  /** As the form sent it; read by {@link boostAmount}. */
  readonly amount: unknown;
  readonly platform: Platform;
  /** The Slack workspace or Teams tenant the click came from. */
  readonly tenantId: string;
  /** Where the celebration was clicked; the boost's answer goes there. */
  readonly channel: string | null;
}

/** A whole number of points, typed in a form (`"5"`) or sent as a number. */
const typedAmount = z.union([
  z.int().positive(),
  z
    .string()
    .trim()
    .regex(/^\d{1,9}$/)
    .transform(Number)
    .pipe(z.int().positive()),
]);

/** The points a boost form asked for, or the sentence saying why it is no amount. */
export function boostAmount(raw: unknown): number | Reply {
  const parsed = typedAmount.safeParse(raw);
  if (parsed.success) return parsed.data;
  if (raw === undefined || raw === null || String(raw).trim() === '') {
    return refusalReply('usage', 'Say how many points to add to each person.');
  }
  return refusalReply(
    'usage',
    `${quoted(raw)} is not a number of points; use a whole number, like 5. Nothing was given.`,
  );
}

/** The ledger's key for a person's boost of a kudos: one a kudos and person, however sent. */
export function boostKey(recognitionId: number, boosterId: number): string {
  return `boost:${recognitionId}:${boosterId}`;
}

/** A kudos of the organization, with the booster's boost of it; undefined when there is none. */
async function boostableKudos(
  db: Database,
  booster: Member,
  recognitionId: number,
): Promise<BoostableKudos | undefined> {
  const row = await db
    .selectFrom('recognitions as r')
    .innerJoin('members as g', 'g.id', 'r.giver_id')
    .select([
      'r.id',
      'r.organization_id',
      'r.giver_id',
      'g.display_name',
      'r.amount_each',
      'r.message',
      'r.company_values',
      'r.boost_of',
      'r.private',
      sql<Array<{ memberId: number; name: string }>>`(select json_agg(json_build_object(
          'memberId', m.id, 'name', m.display_name) order by rr.recipient_id)
        from recognition_recipients rr join members m on m.id = rr.recipient_id
        where rr.recognition_id = r.id)`.as('recipients'),
      sql<boolean>`exists (select 1 from recognition_reversals v
        where v.recognition_id = r.id)`.as('reversed'),
      sql<number | null>`(select b.amount_each from recognitions b
        where b.boost_of = r.id and b.giver_id = ${booster.id})`.as('boosted_by'),
    ])
    .where('r.organization_id', '=', booster.organizationId)
    .where('r.id', '=', recognitionId)
    .executeTakeFirst();
  if (!row) return undefined;
  // A boost's own celebration is the kudos it boosts: boosting it boosts that one.
  if (row.boost_of !== null) return boostableKudos(db, booster, Number(row.boost_of));
  return {
    id: Number(row.id),
    organizationId: Number(row.organization_id),
    giverId: Number(row.giver_id),
    giverName: row.display_name,
    recipients: row.recipients.map((recipient) => ({
      memberId: Number(recipient.memberId),
      name: recipient.name,
    })),
    amountEach: row.amount_each,
    message: row.message,
    values: row.company_values,
    reversed: row.reversed,
    private: row.private,
    ...(row.boosted_by !== null && { boostedBy: { amountEach: Number(row.boosted_by) } }),
  };
}

/**
 * Why a person may not boost a kudos, before any amount is asked: boosts are off, the
 * kudos is theirs or for them, was taken back, or they boosted it already. Undefined
 * when they may (the give itself still checks policy, caps and allowance).
 */
export async function boostRefusal(
  services: RecognitionServices,
  booster: Member,
  recognitionId: number,
): Promise<{ refusal: Reply } | { kudos: BoostableKudos }> {
  const { settings } = await services.settings.load(booster.organizationId);
  if (!settings.boostsAllowed) {
    return {
      refusal: refusalReply(
        'boosts_off',
        'Boosts are turned off here, so nothing was added. You can still give kudos of your own.',
      ),
    };
  }
  const kudos = await boostableKudos(services.db, booster, recognitionId);
  if (!kudos) {
    return { refusal: refusalReply('unknown_kudos', 'I cannot find that kudos here anymore.') };
  }
  if (kudos.reversed) {
    return {
      refusal: refusalReply(
        'kudos_reversed',
        'That kudos was taken back, so it cannot be boosted; nothing was given.',
      ),
    };
  }
  // No post carries a Boost button for it; a forged click must not make it public.
  if (kudos.private) {
    return { refusal: refusalReply('unknown_kudos', 'I cannot find that kudos here anymore.') };
  }
  if (kudos.giverId === booster.id) {
    return {
      refusal: refusalReply(
        'own_kudos',
        'That kudos is yours: you cannot boost your own kudos, only a colleague’s.',
      ),
    };
  }
  if (kudos.recipients.some((recipient) => recipient.memberId === booster.id)) {
    return {
      refusal: refusalReply(
        'boost_received',
        'That kudos is for you, so you cannot boost it; nothing was given.',
      ),
    };
  }
  if (kudos.boostedBy) return { refusal: alreadyBoosted(kudos.boostedBy.amountEach) };
  return { kudos };
}

const alreadyBoosted = (amountEach: number | undefined) =>
  refusalReply(
    'already_boosted',
    amountEach === undefined
      ? 'You boosted this kudos already; a kudos takes one boost from each person.'
      : `You boosted this kudos already, with ${points(amountEach)}; a kudos takes one boost from each person.`,
  );

/** The kudos' recipients, as they are now (one who left is refused by the give's policy). */
function recipientsOf(members: readonly Member[]): MentionResolver {
  return { resolve: async () => ({ members: [...members], unknown: [] }) };
}

/**
 * Adds points from the booster's own allowance to each recipient of a kudos, for the same
 * reason and values, through {@link giveKudos}: the same policy, caps, allowance and
 * ledger as every give, recorded as a recognition linked to the one it boosts. Keyed on
 * the kudos and the booster, so a redelivery or a second click at once moves nothing
 * twice (and is answered that the kudos was boosted already).
 */
export async function boostKudos(
  services: RecognitionServices,
  request: BoostRequest,
): Promise<Reply> {
  const amount = boostAmount(request.amount);
  if (typeof amount !== 'number') return amount;
  const checked = await boostRefusal(services, request.booster, request.recognitionId);
  if ('refusal' in checked) return checked.refusal;
  const { kudos } = checked;
  const recipients: Member[] = [];
  for (const { memberId } of kudos.recipients) {
    const member = await findMember(services.db, kudos.organizationId, memberId);
    if (member) recipients.push(member);
  }
  const command: Command = {
    actor: request.booster,
    text: '',
    mentions: [],
    idempotencyKey: boostKey(kudos.id, request.booster.id),
    platform: request.platform,
    tenantId: request.tenantId,
    channel: request.channel,
    commandName: '',
    mentionResolver: recipientsOf(recipients),
    clock: systemClock,
  };
  const reply = await giveKudos(
    services,
    command,
    {
      recipients: recipients.map((member) => ({ kind: 'name', name: member.displayName })),
      amount,
      reason: kudos.message,
      values: [...kudos.values],
      private: false,
    },
    { boostOf: kudos.id },
  );
  // The same boost asked twice at once: one moved the points, the other finds its key
  // used (for another amount) or replays it; either way, this one moved nothing.
  if (reply.code === 'idempotency_conflict') return alreadyBoosted(undefined);
  if (reply.outcome === 'ok' && reply.events.length === 0) return alreadyBoosted(undefined);
  if (reply.outcome !== 'ok') return reply;
  return { ...reply, text: `You boosted ${kudos.giverName}’s kudos. ${reply.text}` };
}

/**
 * What a person has left to give this period, their period opened first (a grant on
 * first use, as a give makes it), for the boost form to say.
 */
export async function leftToGive(services: RecognitionServices, member: Member): Promise<number> {
  const { settings, now } = await services.settings.load(member.organizationId);
  await services.periods.open(
    settings,
    member,
    allowancePeriodAt(now, settings.allowanceCadence, settings.timezone),
  );
  const { allowance } = await services.ledger.memberAccounts(member.organizationId, member.id);
  const balances = await services.ledger.balances([allowance.id]);
  return balances.get(allowance.id)?.available ?? 0;
}

/** The points a boost form starts with: the kudos' own, within the organization's limits. */
export function suggestedBoost(
  kudos: BoostableKudos,
  limits: { readonly minAmount: number; readonly maxAmount: number },
): number {
  return Math.min(Math.max(kudos.amountEach, limits.minAmount), limits.maxAmount);
}

/**
 * The boosts of a kudos that stand (not reversed), oldest first: their givers' names and
 * points. Its own statement here, and a part of the statement that finds where a Slack
 * celebration goes.
 */
export function standingBoosts(db: Kysely<Tables>, recognitionId: number) {
  return db
    .selectFrom('recognitions as b')
    .innerJoin('members as m', 'm.id', 'b.giver_id')
    .select(['b.id', 'm.display_name', 'b.amount_each'])
    .where('b.boost_of', '=', recognitionId)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('recognition_reversals as v')
            .select(sql<number>`1`.as('one'))
            .whereRef('v.recognition_id', '=', 'b.id'),
        ),
      ),
    )
    .orderBy('b.id');
}

/** Read by every redrawn celebration: compiled once. */
const boostsOfQuery = compiledQuery(standingBoosts);

/** A row of {@link standingBoosts} as a celebration shows it. */
export function shownBoost(row: { display_name: string; amount_each: number }): ShownBoost {
  return { giverName: row.display_name, amountEach: row.amount_each };
}

export async function boostsOf(db: Database, recognitionId: number): Promise<ShownBoost[]> {
  const rows = await boostsOfQuery(db, recognitionId);
  return rows.map(shownBoost);
}

/** The boosts as one line: `Boosted: +3 from Li, +5 from José`; empty when there are none. */
export function boostsLine(boosts: readonly ShownBoost[]): string {
  if (boosts.length === 0) return '';
  return `Boosted: ${boosts.map((boost) => `+${boost.amountEach} from ${boost.giverName}`).join(', ')}`;
}

/** Read by the first job of every kudos: compiled once. */
const announcedKudosQuery = compiledQuery((db, recognitionId: number) =>
  db
    .selectFrom('notification_outbox')
    .select(['origin', 'event'])
    .where('recognition_id', '=', recognitionId),
);

/**
 * A kudos as it was announced, and the platform it was given on: the notification the
 * outbox keeps, written with the recognition. Celebrations are drawn (and redrawn, as
 * boosts come) from it.
 */
export async function announcedKudos(
  db: Database,
  recognitionId: number,
): Promise<{ event: KudosGiven; origin: Platform } | undefined> {
  const [row] = await announcedKudosQuery(db, recognitionId);
  return row && { event: row.event as unknown as KudosGiven, origin: row.origin as Platform };
}
