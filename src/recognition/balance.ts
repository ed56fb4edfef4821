import type { Command } from '../core/command.ts';
import type { Reply } from '../core/reply.ts';
import { allowancePeriodAt, periodNoun } from './allowance-period.ts';
import type { RecognitionServices } from './recognition-services.ts';
import { allowanceFor } from './settings.ts';
import { points, shortDate } from './wording.ts';

/** `balance`: allowance left this period with its reset date, and points earned. */
export async function showBalance(services: RecognitionServices, command: Command): Promise<Reply> {
  const { ledger } = services;
  const member = command.actor;
  const { settings, now } = await services.settings.load(member.organizationId);
  const period = allowancePeriodAt(now, settings.allowanceCadence, settings.timezone);
  await services.periods.open(settings, member, period);
  const accounts = await ledger.memberAccounts(member.organizationId, member.id);
  const balances = await ledger.balances([accounts.allowance.id, accounts.earned.id]);
  const left = balances.get(accounts.allowance.id)?.available ?? 0;
  const earned = balances.get(accounts.earned.id);
  const available = earned?.available ?? 0;
  const held = earned?.debitsPending ?? 0;
  const resets = shortDate(period.end, settings.timezone);
  const noun = periodNoun(settings.allowanceCadence);
  const heldText = held > 0 ? ` (${points(held)} more are held for redemptions)` : '';
  const text = `You have ${points(left)} left to give this ${noun} (of ${allowanceFor(settings, member)}; resets ${resets}). You have earned ${points(available)} to spend${heldText}.`;
  return {
    text,
    blocks: [
      { kind: 'heading', text: 'Your kudos balance' },
      {
        kind: 'fields',
        fields: [
          {
            label: `Left to give this ${noun}`,
            value: `${left} of ${allowanceFor(settings, member)}`,
          },
          { label: 'Resets', value: resets },
          { label: 'Earned, to spend', value: String(available) },
          ...(held > 0 ? [{ label: 'Held for redemptions', value: String(held) }] : []),
        ],
      },
    ],
    visibility: 'private',
    outcome: 'ok',
    events: [],
  };
}
