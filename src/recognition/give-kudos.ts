import type { Command } from '../core/command.ts';
import { type RecognitionEvent, type Reply, refusalReply } from '../core/reply.ts';
import { RefusalAbort, refuse } from '../core/result.ts';
import { retryOnConflict } from '../db/retry.ts';
import type { Member } from '../directory/members.ts';
import type { TransferSpec } from '../ledger/transfer.ts';
import { allowancePeriodAt, periodNoun } from './allowance-period.ts';
import { checkGivePolicy, type GiveRefusal, matchCompanyValues } from './give-policy.ts';
import type { GiveRequest } from './grammar/give-grammar.ts';
import { toParticipants } from './participants.ts';
import type { RecognitionServices } from './recognition-services.ts';
import {
  type RecordedRecognition,
  recognitionByLedgerRequest,
  recordRecognition,
} from './recognition-store.ts';
import { loadRecognitionSettings, type RecognitionSettings } from './settings.ts';
import { listNames, points, sentence } from './wording.ts';

/**
 * Gives kudos: resolves the recipients, applies the organization's policy, opens the
 * giver's allowance period if needed, then moves the points and records the recognition
 * in one database transaction, all or nothing. A redelivered command replays the first
 * answer and moves nothing.
 */
export async function giveKudos(
  services: RecognitionServices,
  command: Command,
  request: GiveRequest,
): Promise<Reply> {
  const { db, ledger } = services;
  const organizationId = command.actor.organizationId;
  const { settings, now } = await loadRecognitionSettings(db, organizationId);
  const resolved = await command.mentionResolver.resolve(organizationId, request.recipients);
  if (resolved.unknown.length > 0) {
    return refusalReply(
      'unknown_recipient',
      `I do not know who ${listNames(resolved.unknown)} is; check the name or pick them from the list.`,
    );
  }
  const recipients = [...new Map(resolved.members.map((member) => [member.id, member])).values()];
  if (recipients.length === 0) {
    return refusalReply(
      'unknown_recipient',
      'Nobody is in that group yet, so there is nobody to thank.',
    );
  }
  const [giver, ...others] = await toParticipants(db, settings, [command.actor, ...recipients]);
  const amountEach = request.amount ?? settings.defaultAmount;
  const values = matchCompanyValues(settings, request.values);
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
        kind: 'kudos' as const,
      },
      {
        debitAccountId: org.issuance.id,
        creditAccountId: accounts.earned.id,
        amount: amountEach,
        kind: 'kudos' as const,
      },
    );
  }

  let recorded: RecordedRecognition;
  try {
    recorded = await retryOnConflict(() =>
      db.transaction().execute(async (trx) => {
        const moved = await ledger.transfer(
          { organizationId, idempotencyKey: `kudos:${command.idempotencyKey}`, transfers },
          trx,
        );
        if (!moved.ok) throw new RefusalAbort(moved);
        if (moved.value.replayed) {
          const first = await recognitionByLedgerRequest(trx, moved.value.requestId);
          if (!first) throw new Error(`ledger request ${moved.value.requestId} has no recognition`);
          return first;
        }
        return recordRecognition(trx, settings, now, {
          ledgerRequestId: moved.value.requestId,
          giver: command.actor,
          recipients,
          amountEach,
          message: request.reason,
          values,
          platform: command.platform,
          channel: command.channel,
        });
      }),
    );
  } catch (error) {
    if (!(error instanceof RefusalAbort)) throw error;
    // Read only now: the failed transaction has been rolled back and its connection freed.
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
  return confirmation(services, settings, command, recorded);
}

async function allowanceShortfall(
  services: RecognitionServices,
  settings: RecognitionSettings,
  giver: Member,
  needed: number,
): Promise<GiveRefusal> {
  const accounts = await services.ledger.memberAccounts(settings.organizationId, giver.id);
  const left =
    (await services.ledger.balances([accounts.allowance.id])).get(accounts.allowance.id)
      ?.available ?? 0;
  return refuse(
    'insufficient_allowance',
    `You have ${points(left)} left to give this ${periodNoun(settings.allowanceCadence)}; this needs ${needed}.`,
  );
}

async function confirmation(
  services: RecognitionServices,
  settings: RecognitionSettings,
  command: Command,
  recorded: RecordedRecognition,
): Promise<Reply> {
  const accounts = await services.ledger.memberAccounts(settings.organizationId, command.actor.id);
  const left =
    (await services.ledger.balances([accounts.allowance.id])).get(accounts.allowance.id)
      ?.available ?? 0;
  const names = listNames(recorded.recipients.map((recipient) => recipient.name));
  const reason = recorded.message ? ` for ${recorded.message}` : '';
  const gave = sentence(`You gave ${points(recorded.amountEach)} to ${names}${reason}`);
  const text = `${gave} You have ${points(left)} left to give this ${periodNoun(settings.allowanceCadence)}.`;
  const event: RecognitionEvent = {
    kind: 'kudos_given',
    recognitionId: recorded.id,
    organizationId: settings.organizationId,
    giver: { memberId: command.actor.id, name: command.actor.displayName },
    recipients: recorded.recipients,
    amountEach: recorded.amountEach,
    message: recorded.message,
    values: recorded.values,
    channel: recorded.channel,
  };
  return {
    text,
    blocks: [
      { kind: 'text', text: gave },
      {
        kind: 'context',
        text: `${points(left)} left to give this ${periodNoun(settings.allowanceCadence)}.`,
      },
    ],
    visibility: 'private',
    outcome: 'ok',
    // A replay answers as the first delivery did, but announces nothing again.
    events: recorded.replayed ? [] : [event],
  };
}
