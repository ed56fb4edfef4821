import { sql } from 'kysely';
import { systemClock } from '../core/clock.ts';
import type { Command, MentionResolver } from '../core/command.ts';
import type { Reply } from '../core/reply.ts';
import { RefusalAbort } from '../core/result.ts';
import type { Platform } from '../db/tables.ts';
import type { Member } from '../directory/members.ts';
import { allowancePeriodAt } from './allowance-period.ts';
import { giveKudos } from './give-kudos.ts';
import type { RecognitionServices } from './recognition-services.ts';
import { undoRecognition } from './recognition-undo.ts';
import type { RecognitionSettings } from './settings.ts';

/** Someone's reaction, with an emoji, to a message, as any platform reports it. */
export interface Reaction {
  readonly reactor: Member;
  /**
   * Whom the reaction thanks: the message's author in Slack; in Teams, where a bot hears
   * only of reactions to its own messages, the recipients of the kudos a celebration
   * post announced.
   */
  readonly thanked: readonly Member[];
  /** The emoji's short name, without colons (`taco`, `thumbsup::skin-tone-2`, Teams' `like`). */
  readonly emoji: string;
  readonly platform: Platform;
  /** The Slack workspace (team id) or Teams tenant the message is in. */
  readonly tenantId: string;
  readonly channel: string;
  /** The message's id on its platform (Slack's `ts`, the Bot Connector's activity id). */
  readonly messageId: string;
  /** A link to the message: the kudos' reason, so the celebration points at it. */
  readonly link: string;
}

/**
 * One reaction's identity, whichever delivery carries it: a redelivered `reaction_added`
 * gives once, and the `reaction_removed` that follows finds the give it undoes.
 */
export function reactionKey(reaction: Reaction): string {
  const { platform, tenantId, channel, messageId, reactor, emoji } = reaction;
  return `reaction:${platform}:${tenantId}:${channel}:${messageId}:${reactor.id}:${emoji}`;
}

/** The ledger keys of the gives a reaction made, the first one's and the later ones' (`#2`…). */
const givesOf = (organizationId: number, key: string) =>
  sql<boolean>`q.organization_id = ${organizationId}
    and (q.idempotency_key = ${`kudos:${key}`} or starts_with(q.idempotency_key, ${`kudos:${key}#`}))`;

/**
 * The key of the reaction's next give: its own the first time, and a new one for each
 * time it was given and taken back within the grace period, so reacting again gives
 * again, while a redelivery (nothing reversed in between) replays.
 */
async function nextGiveKey(services: RecognitionServices, reaction: Reaction): Promise<string> {
  const key = reactionKey(reaction);
  const { rows } = await sql<{ reversed: number }>`
    select count(*)::int as reversed from ledger_requests q
      join recognitions r on r.ledger_request_id = q.id
      join recognition_reversals v on v.recognition_id = r.id
    where ${givesOf(reaction.reactor.organizationId, key)}`.execute(services.db);
  const reversed = rows[0]?.reversed ?? 0;
  return reversed === 0 ? key : `${key}#${reversed + 1}`;
}

/** The points an emoji gives here; a skin tone counts as the emoji it colours. */
export function reactionPointsOf(settings: RecognitionSettings, emoji: string): number | undefined {
  return (
    settings.reactionPoints.get(emoji) ?? settings.reactionPoints.get(emoji.split('::')[0] ?? '')
  );
}

/** The people a reaction thanks are its recipients, whatever the text says. */
function thankedOnly(thanked: readonly Member[]): MentionResolver {
  return { resolve: async () => ({ members: [...thanked], unknown: [] }) };
}

/**
 * Gives the people a reaction thanks the points the organization gives for the emoji, from the
 * reactor's allowance, through {@link giveKudos}: the same policy, caps and ledger as a
 * typed give, and its refusals' sentences. Undefined when the emoji gives nothing here.
 */
export async function giveForReaction(
  services: RecognitionServices,
  reaction: Reaction,
): Promise<Reply | undefined> {
  const { settings } = await services.settings.load(reaction.reactor.organizationId);
  const amount = reactionPointsOf(settings, reaction.emoji);
  if (amount === undefined) return undefined;
  const command: Command = {
    actor: reaction.reactor,
    text: '',
    mentions: [],
    idempotencyKey: await nextGiveKey(services, reaction),
    platform: reaction.platform,
    tenantId: reaction.tenantId,
    channel: reaction.channel,
    commandName: '',
    mentionResolver: thankedOnly(reaction.thanked),
    clock: systemClock,
  };
  return giveKudos(services, command, {
    recipients: reaction.thanked.map((member) => ({ kind: 'name', name: member.displayName })),
    amount,
    reason: `:${reaction.emoji}: on ${reaction.link}`,
    values: [],
  });
}

/** What removing a reaction did. */
export type ReactionRemoval =
  | 'reversed'
  | 'after-grace'
  | 'nothing-given'
  | 'already-reversed'
  | 'points-spent';

/**
 * Takes back the kudos a reaction gave when it is removed within the organization's grace
 * period (by the database's clock); after it, or when the reaction gave nothing, nothing
 * changes. A redelivered removal finds the kudos reversed already. A recipient who has
 * already spent the points keeps the kudos: the refusal aborts and nothing moves.
 */
export async function removeReaction(
  services: RecognitionServices,
  reaction: Reaction,
): Promise<ReactionRemoval> {
  const { db, ledger } = services;
  const organizationId = reaction.reactor.organizationId;
  const { settings } = await services.settings.load(organizationId);
  const key = reactionKey(reaction);
  try {
    return await db.transaction().execute(async (trx) => {
      const given = await trx
        .selectFrom('ledger_requests as q')
        .innerJoin('recognitions as r', 'r.ledger_request_id', 'q.id')
        .select([
          'r.id',
          'r.ledger_request_id',
          'r.created_at',
          sql<Date>`now()`.as('now'),
          sql<boolean>`r.created_at + make_interval(mins => ${settings.reactionGraceMinutes}) > now()`.as(
            'in_grace',
          ),
        ])
        .where(givesOf(organizationId, key))
        .orderBy('q.id', 'desc')
        .limit(1)
        .forNoKeyUpdate('r')
        .executeTakeFirst();
      if (!given) return 'nothing-given';
      // Read after the lock, in a statement of its own: a removal that held the lock
      // before this one has committed its reversal, which the locking statement's own
      // snapshot would not show.
      const reversed = await trx
        .selectFrom('recognition_reversals')
        .select('recognition_id')
        .where('recognition_id', '=', given.id)
        .executeTakeFirst();
      if (reversed) return 'already-reversed';
      if (!given.in_grace) return 'after-grace';
      const period = allowancePeriodAt(
        new Date(given.now),
        settings.allowanceCadence,
        settings.timezone,
      );
      await undoRecognition(trx, ledger, {
        organizationId,
        recognition: given,
        periodStart: period.start,
        key: `reversal:${key}:${given.id}`,
        memo: `recognition #${given.id} reversed: the :${reaction.emoji}: reaction was removed`,
        reason: `the :${reaction.emoji}: reaction was removed`,
        reversedBy: { memberId: reaction.reactor.id, tokenId: null },
      });
      return 'reversed';
    });
  } catch (error) {
    // The recipient spent or redeemed the points already: they keep the kudos.
    if (error instanceof RefusalAbort) return 'points-spent';
    throw error;
  }
}
