import type { Command } from '../core/command.ts';
import type { CommandRouter } from '../core/command-router.ts';
import { type Reply, type ReplyAction, refusalReply, textReply } from '../core/reply.ts';
import type { Refusal } from '../core/result.ts';
import { points } from '../recognition/wording.ts';
import type { RewardItem } from './catalog.ts';
import { hrCommand } from './hr-commands.ts';
import { REDEMPTION_STATUS_WORDS, type Redemption } from './redemptions.ts';
import type { RewardDesk } from './reward-desk.ts';

/** Most items or redemptions one reply lists (and buttons it shows). */
export const LISTED = 15;

/**
 * The rewards commands, on every adapter through the router: the catalog, redeeming,
 * one's own redemptions, and HR's `hr …` commands.
 */
export function registerRewardCommands(router: CommandRouter, desk: RewardDesk): void {
  router
    .register({
      name: 'rewards',
      aliases: ['catalog'],
      usage: '',
      summary: 'the rewards you can redeem your points for',
      handle: (command) => showCatalog(desk, command),
    })
    .register({
      name: 'redeem',
      usage: '<reward>',
      summary: 'spend your points on a reward',
      handle: (command, args) => redeem(desk, command, args),
    })
    .register({
      name: 'redemptions',
      usage: '[cancel <id>]',
      summary: 'your redemptions and where they stand',
      handle: (command, args) => myRedemptions(desk, command, args),
    })
    .register({
      name: 'hr',
      usage:
        'pending | fulfil <id> | reject <id> <reason> | redeem @someone <reward> | reward … | statement [YYYY-MM] | settings …',
      summary: 'HR: the redemption queue, the catalog, billing',
      handle: (command, args) => hrCommand(desk, command, args),
    });
}

async function showCatalog(desk: RewardDesk, command: Command): Promise<Reply> {
  const items = await desk.catalog.list(command.actor.organizationId);
  if (items.length === 0) {
    return textReply('There are no rewards in the catalog yet; HR adds them.');
  }
  const shown = items.slice(0, LISTED);
  const lines = shown.map(catalogLine);
  const more = items.length > shown.length ? [`…and ${items.length - shown.length} more.`] : [];
  return {
    ...textReply([...lines, ...more].join('\n')),
    blocks: [
      { kind: 'heading', text: 'Rewards' },
      { kind: 'list', items: [...lines, ...more] },
      {
        kind: 'actions',
        actions: shown
          .filter((item) => item.stock !== 0)
          .map(
            (item): ReplyAction => ({
              label: `Redeem ${item.name}`,
              command: `redeem #${item.id}`,
            }),
          ),
      },
      { kind: 'context', text: `Redeem one with ${command.commandName} redeem <reward>.` },
    ],
  };
}

export function catalogLine(item: RewardItem): string {
  const stock =
    item.stock === null ? '' : item.stock === 0 ? ', out of stock' : `, ${item.stock} left`;
  const description = item.description ? ` (${item.description})` : '';
  return `#${item.id} ${item.name}: ${points(item.pointsCost)}${stock}${description}`;
}

async function redeem(desk: RewardDesk, command: Command, args: string): Promise<Reply> {
  if (args.trim().length === 0) {
    return textReply(
      `Name the reward: ${command.commandName} redeem <reward>. See them with ${command.commandName} rewards.`,
      { outcome: 'usage', code: 'usage' },
    );
  }
  const organizationId = command.actor.organizationId;
  const item = await desk.catalog.lookup(organizationId, args);
  if (!item.ok) return refused(item, command);
  const result = await desk.redeem({
    organizationId,
    memberId: command.actor.id,
    requestedBy: command.actor.id,
    itemId: item.value.id,
    requestKey: command.idempotencyKey,
  });
  if (!result.ok) return refused(result, command);
  const { redemption } = result.value;
  return textReply(
    `You redeemed “${redemption.itemName}” (redemption #${redemption.id}). ${points(redemption.points)} are held until HR fulfils it; you will hear from me then.`,
  );
}

async function myRedemptions(desk: RewardDesk, command: Command, args: string): Promise<Reply> {
  const [verb, id] = args.trim().split(/\s+/);
  const organizationId = command.actor.organizationId;
  if (verb?.toLowerCase() === 'cancel') {
    const redemptionId = parseId(id);
    if (redemptionId === undefined) {
      return textReply(`Name the redemption: ${command.commandName} redemptions cancel <id>.`, {
        outcome: 'usage',
        code: 'usage',
      });
    }
    const mine = await desk.redemptions.find(organizationId, redemptionId);
    if (mine?.memberId !== command.actor.id) {
      return refusalReply('not_yours', `You have no redemption #${redemptionId}.`);
    }
    const cancelled = await desk.resolve(organizationId, redemptionId, 'cancelled', {
      memberId: command.actor.id,
    });
    if (!cancelled.ok) return refused(cancelled, command);
    return textReply(
      `Redemption #${redemptionId} is cancelled; your ${points(cancelled.value.points)} are back to spend.`,
    );
  }
  const redemptions = await desk.redemptions.ofMember(organizationId, command.actor.id, LISTED);
  if (redemptions.length === 0) {
    return textReply(
      `You have not redeemed anything yet. See the rewards with ${command.commandName} rewards.`,
    );
  }
  const lines = redemptions.map(redemptionLine);
  const cancellable = redemptions.filter((redemption) => redemption.status === 'held');
  return {
    ...textReply(lines.join('\n')),
    blocks: [
      { kind: 'heading', text: 'Your redemptions' },
      { kind: 'list', items: lines },
      ...(cancellable.length > 0
        ? [
            {
              kind: 'actions' as const,
              actions: cancellable.map(
                (redemption): ReplyAction => ({
                  label: `Cancel #${redemption.id}`,
                  command: `redemptions cancel ${redemption.id}`,
                  style: 'danger',
                }),
              ),
            },
          ]
        : []),
    ],
  };
}

export function redemptionLine(redemption: Redemption): string {
  const reason = redemption.reason ? ` (${redemption.reason})` : '';
  return `#${redemption.id} ${redemption.itemName}, ${points(redemption.points)}: ${REDEMPTION_STATUS_WORDS[redemption.status]}${reason}`;
}

export function parseId(text: string | undefined): number | undefined {
  const match = /^#?(\d{1,15})$/.exec(text ?? '');
  return match ? Number(match[1]) : undefined;
}

/**
 * A refusal as a chat reply. An unknown reward also points to the catalog, with the
 * command as people invoke it here (the console and the HTTP API answer without it).
 */
export function refused(refusal: Refusal, command: Command): Reply {
  const hint =
    refusal.code === 'unknown_item' ? ` See the catalog with ${command.commandName} rewards.` : '';
  return refusalReply(refusal.code, `${refusal.message}${hint}`);
}
