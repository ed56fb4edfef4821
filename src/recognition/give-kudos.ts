import type { Command } from '../core/command.ts';
import { type RecognitionEvent, type Reply, refusalReply } from '../core/reply.ts';
import { RefusalAbort, refuse } from '../core/result.ts';
import type { Database } from '../db/database.ts';
import { retryOnConflict } from '../db/retry.ts';
import type { Member } from '../directory/members.ts';
import type { LedgerResult } from '../ledger/ledger.ts';
import type { TransferSpec } from '../ledger/transfer.ts';
import { allowancePeriodAt, periodNoun } from './allowance-period.ts';
import {
  defaultAmountNote,
  type GiveNote,
  LEFT_OUT_OF_GROUP,
  uncountedHashtagsNote,
  withoutGiverFromGroup,
} from './give-notes.ts';
import { checkGivePolicy, type GiveRefusal, matchCompanyValues } from './give-policy.ts';
import type { GiveRequest } from './grammar/give-grammar.ts';
import { toParticipants } from './participants.ts';
import type { RecognitionServices } from './recognition-services.ts';
import {
  type NewRecognition,
  RECOGNITION_ID,
  type RecordedRecognition,
  recognitionByLedgerRequest,
  recognitionCtes,
  recorded,
  recordRecognition,
} from './recognition-store.ts';
import type { RecognitionSettings } from './settings.ts';
import { listNames, outsidersSentence, points, sentence } from './wording.ts';

interface Given {
  readonly recognition: RecordedRecognition;
  /** The giver's allowance left, when the write reported it. */
  readonly left?: number;
}

/**
 * Gives kudos: resolves the recipients, applies the organization's policy, opens the
 * giver's allowance period if needed, then moves the points and records the recognition
 * atomically. A redelivered command replays the first answer and moves nothing. A boost
 * is a give like any other, recorded as boosting `variant.boostOf`.
 */
export async function giveKudos(
  services: RecognitionServices,
  command: Command,
  request: GiveRequest,
  variant: { readonly boostOf?: number } = {},
): Promise<Reply> {
  const { db, ledger } = services;
  const organizationId = command.actor.organizationId;
  const { settings, now } = await services.settings.load(organizationId);
  const resolved = await recipientsOf(command, request);
  if ('text' in resolved) return resolved;
  const { recipients } = resolved;
  const notes: GiveNote[] = [...resolved.notes];
  const [giver, ...others] = await toParticipants(db, settings, [command.actor, ...recipients]);
  const amountEach = request.amount ?? settings.defaultAmount;
  const values = matchCompanyValues(settings, request.values);
  for (const note of [
    uncountedHashtagsNote(settings, request.values, values),
    defaultAmountNote(settings, request),
  ]) {
    if (note) notes.push(note);
  }
  const refusal = checkGivePolicy(settings, {
    giver: giver as (typeof others)[number],
    recipients: others,
    amountEach,
    reason: request.reason,
    values,
  });
  if (refusal) return refusalReply(refusal.code, refusal.message);

  const period = allowancePeriodAt(now, settings.allowanceCadence, settings.timezone);
  await services.periods.open(settings, command.actor, period);
  const org = await ledger.organizationAccounts(organizationId);
  const giverAccounts = await ledger.memberAccounts(organizationId, command.actor.id);
  const transfers: TransferSpec[] = [];
  for (const recipient of recipients) {
    const accounts = await ledger.memberAccounts(organizationId, recipient.id);
    transfers.push(
      {
        debitAccountId: giverAccounts.allowance.id,
        creditAccountId: org.allowance_spent.id,
        amount: amountEach,
        kind: 'kudos',
      },
      {
        debitAccountId: org.issuance.id,
        creditAccountId: accounts.earned.id,
        amount: amountEach,
        kind: 'kudos',
      },
    );
  }
  const ledgerRequest = {
    organizationId,
    idempotencyKey: `kudos:${command.idempotencyKey}`,
    transfers,
  };
  const input: NewRecognition = {
    giver: command.actor,
    recipients,
    amountEach,
    message: request.reason,
    values,
    platform: command.platform,
    channel: command.channel,
    ...(variant.boostOf !== undefined && { boostOf: variant.boostOf }),
  };

  let given: Given;
  try {
    if (settings.dailyPairCap === null) {
      // The common case: one statement moves the points and records the recognition.
      const moved = await ledger.transfer(ledgerRequest, {
        attachment: { ctes: recognitionCtes(settings, input), result: RECOGNITION_ID },
      });
      given = await givenFrom(db, moved, (value) => ({
        recognition: recorded(input, Number(value.attached)),
        left: value.balancesAfter?.get(giverAccounts.allowance.id)?.available,
      }));
    } else {
      // The pair cap must be read after the giver's allowance row is locked: a transaction.
      given = await retryOnConflict(() =>
        db.transaction().execute(async (trx) => {
          const moved = await ledger.transfer(ledgerRequest, { within: trx });
          // Inside the transaction, read through it: PGlite has one connection.
          return givenFrom(trx, moved, async (value) => ({
            recognition: await recordRecognition(trx, settings, now, input, value.requestId),
          }));
        }),
      );
    }
  } catch (error) {
    if (!(error instanceof RefusalAbort)) throw error;
    // Read only now: a failed transaction has been rolled back and its connection freed.
    const refusal =
      error.refusal.code === 'insufficient_balance'
        ? await allowanceShortfall(
            services,
            settings,
            command.actor,
            amountEach * recipients.length,
          )
        : error.refusal;
    return refusalReply(refusal.code, refusal.message);
  }
  return confirmation(services, settings, command, given, notes, variant.boostOf);
}

/**
 * The members a give names, each once; a giver who came in only through a group they
 * thanked is left out, with a note saying so. A refusal when nobody can be thanked.
 */
async function recipientsOf(
  command: Command,
  request: GiveRequest,
): Promise<{ recipients: Member[]; notes: GiveNote[] } | Reply> {
  const organizationId = command.actor.organizationId;
  const resolved = await command.mentionResolver.resolve(organizationId, request.recipients);
  if (resolved.outsiders?.length) {
    return refusalReply('outsider', outsidersSentence(resolved.outsiders));
  }
  if (resolved.unknown.length > 0) {
    return refusalReply(
      'unknown_recipient',
      `I do not know who ${listNames(resolved.unknown)} is; check the name or pick them from the list.`,
    );
  }
  const named = [...new Map(resolved.members.map((member) => [member.id, member])).values()];
  if (named.length === 0) {
    return refusalReply(
      'unknown_recipient',
      'Nobody is in that group yet, so there is nobody to thank.',
    );
  }
  const withoutGiver = withoutGiverFromGroup(command.actor, named, resolved.throughGroupsOnly);
  if (withoutGiver?.length === 0) {
    return refusalReply(
      'self_kudos',
      'You are the only one in the group you thanked, and kudos cannot go to yourself; nothing was given.',
    );
  }
  if (withoutGiver) return { recipients: withoutGiver, notes: [LEFT_OUT_OF_GROUP] };
  return { recipients: named, notes: [] };
}

/** A refusal aborts (and rolls back); a replay answers with the first recognition. */
async function givenFrom(
  reader: Database,
  moved: LedgerResult,
  fresh: (value: Extract<LedgerResult, { ok: true }>['value']) => Given | Promise<Given>,
): Promise<Given> {
  if (!moved.ok) throw new RefusalAbort(moved);
  if (!moved.value.replayed) return fresh(moved.value);
  const first = await recognitionByLedgerRequest(reader, moved.value.requestId);
  if (!first) throw new Error(`ledger request ${moved.value.requestId} has no recognition`);
  return { recognition: first };
}

async function allowanceLeft(
  services: RecognitionServices,
  settings: RecognitionSettings,
  member: Member,
) {
  const accounts = await services.ledger.memberAccounts(settings.organizationId, member.id);
  const balances = await services.ledger.balances([accounts.allowance.id]);
  return balances.get(accounts.allowance.id)?.available ?? 0;
}

async function allowanceShortfall(
  services: RecognitionServices,
  settings: RecognitionSettings,
  giver: Member,
  needed: number,
): Promise<GiveRefusal> {
  const left = await allowanceLeft(services, settings, giver);
  return refuse(
    'insufficient_allowance',
    `You have ${points(left)} left to give this ${periodNoun(settings.allowanceCadence)}; this needs ${needed}.`,
  );
}

async function confirmation(
  services: RecognitionServices,
  settings: RecognitionSettings,
  command: Command,
  { recognition, left: reported }: Given,
  notes: readonly GiveNote[],
  boostOf: number | undefined,
): Promise<Reply> {
  const left = reported ?? (await allowanceLeft(services, settings, command.actor));
  const names = listNames(recognition.recipients.map((recipient) => recipient.name));
  const reason = recognition.message ? ` for ${recognition.message}` : '';
  const noun = periodNoun(settings.allowanceCadence);
  const gave = sentence(`You gave ${points(recognition.amountEach)} to ${names}${reason}`);
  const event: RecognitionEvent = {
    kind: 'kudos_given',
    recognitionId: recognition.id,
    organizationId: settings.organizationId,
    giver: { memberId: command.actor.id, name: command.actor.displayName },
    recipients: recognition.recipients,
    amountEach: recognition.amountEach,
    message: recognition.message,
    values: recognition.values,
    channel: recognition.channel,
    ...(boostOf !== undefined && { boostOf }),
  };
  return {
    text: [gave, ...notes, `You have ${points(left)} left to give this ${noun}.`].join(' '),
    blocks: [
      { kind: 'text', text: gave },
      ...notes.map((note) => ({ kind: 'context' as const, text: note })),
      { kind: 'context', text: `${points(left)} left to give this ${noun}.` },
    ],
    visibility: 'private',
    outcome: 'ok',
    // A replay answers as the first delivery did, but announces nothing again.
    events: recognition.replayed ? [] : [event],
  };
}
