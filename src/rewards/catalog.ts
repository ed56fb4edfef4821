import type { Selectable } from 'kysely';
import type { AdminActor } from '../admin/admin-actor.ts';
import { writeAudit } from '../admin/audit-log.ts';
import { ok, type Result } from '../core/result.ts';
import type { Database } from '../db/database.ts';
import { violatedUniqueConstraint } from '../db/retry.ts';
import type { Fulfilment, RewardItemTable } from '../db/tables.ts';
import { auditedWrite, requireHrActor } from './hr-access.ts';
import { type RewardRefusal, type RewardRefusalCode, rewardRefusal } from './reward-refusals.ts';
import { WebhookAllowList } from './webhook-addresses.ts';

/** A catalog item as HR describes it. */
export interface RewardItem {
  readonly id: number;
  readonly organizationId: number;
  readonly name: string;
  readonly description: string;
  readonly pointsCost: number;
  /** Price in the organization's currency, in minor units (cents). */
  readonly priceMinor: number;
  /** Null: unlimited. */
  readonly stock: number | null;
  readonly active: boolean;
  readonly fulfilment: Fulfilment;
  readonly webhookUrl: string | null;
  readonly retired: boolean;
}

/** What HR sets on a new item; `edit` takes any part of it. */
export interface RewardItemFields {
  readonly name: string;
  readonly description?: string;
  readonly pointsCost: number;
  readonly priceMinor: number;
  /** @defaultValue null (unlimited) */
  readonly stock?: number | null;
  /** @defaultValue true */
  readonly active?: boolean;
  /** @defaultValue 'manual' */
  readonly fulfilment?: Fulfilment;
  /** Required for `webhook` fulfilment: where the worker POSTs the signed redemption. */
  readonly webhookUrl?: string | null;
}

type ItemResult = Result<RewardItem, RewardRefusalCode>;

export function toRewardItem(row: Selectable<RewardItemTable>): RewardItem {
  return {
    id: row.id,
    organizationId: row.organization_id,
    name: row.name,
    description: row.description,
    pointsCost: row.points_cost,
    priceMinor: row.price_minor,
    stock: row.stock,
    active: row.active,
    fulfilment: row.fulfilment,
    webhookUrl: row.webhook_url,
    retired: row.retired_at !== null,
  };
}

const LONGEST_URL = 2048;

/** The refusal for the first field that is not right, if any. */
export function checkItemFields(fields: Partial<RewardItemFields>): RewardRefusal | undefined {
  const bad = (message: string) => rewardRefusal('invalid_item', message);
  if (fields.name !== undefined && !/^\S.{0,119}$/su.test(fields.name.trim())) {
    return bad('Give the reward a name of 1 to 120 characters.');
  }
  if (fields.description !== undefined && fields.description.length > 2000) {
    return bad('Keep the description under 2,000 characters.');
  }
  if (
    fields.pointsCost !== undefined &&
    (!Number.isSafeInteger(fields.pointsCost) || fields.pointsCost < 1 || fields.pointsCost > 1e9)
  ) {
    return bad('The points cost is a whole number from 1 to 1,000,000,000.');
  }
  if (
    fields.priceMinor !== undefined &&
    (!Number.isSafeInteger(fields.priceMinor) || fields.priceMinor < 0)
  ) {
    return bad('The price is an amount of money of at least 0, like 25 or 25.50.');
  }
  if (
    fields.stock !== undefined &&
    fields.stock !== null &&
    (!Number.isSafeInteger(fields.stock) || fields.stock < 0 || fields.stock > 2_000_000_000)
  ) {
    return bad('The stock is a whole number of at least 0, or unlimited.');
  }
  if (fields.webhookUrl !== undefined && fields.webhookUrl !== null) {
    // Longer than browsers and proxies carry; only the forms' size bounded it.
    if (fields.webhookUrl.length > LONGEST_URL) {
      return bad(
        `A webhook address is at most ${LONGEST_URL.toLocaleString('en')} characters; this one is ${fields.webhookUrl.length.toLocaleString('en')}.`,
      );
    }
    if (!isWebhookUrl(fields.webhookUrl)) {
      return bad('The webhook is an http:// or https:// address.');
    }
  }
  return undefined;
}

function isWebhookUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

/** The catalog HR runs: items are created, edited and retired, never deleted. */
export class RewardCatalog {
  /** `allowList`: the internal hosts webhooks may go to besides addresses on the internet. */
  constructor(
    private readonly db: Database,
    private readonly allowList: WebhookAllowList = WebhookAllowList.NONE,
  ) {}

  /**
   * Adds an item. Given the actor (HR, in chat or over HTTP), the role is checked and the
   * change audited as `reward.create`, in the same transaction; so are edit and retire.
   */
  async create(
    organizationId: number,
    fields: RewardItemFields,
    actor?: AdminActor,
  ): Promise<ItemResult> {
    const denied = await requireHrActor(this.db, actor, 'change the catalog', {
      action: 'reward.create',
      wanted: auditedFields(fields),
    });
    if (denied) return denied;
    const fulfilment = fields.fulfilment ?? 'manual';
    const invalid =
      checkItemFields(fields) ??
      checkFulfilment(fulfilment, fields.webhookUrl) ??
      (fulfilment === 'webhook' ? this.#checkWebhookAddress(fields.webhookUrl) : undefined);
    if (invalid) return invalid;
    try {
      const item = await auditedWrite(this.db, actor, async (db) => {
        const row = await db
          .insertInto('reward_items')
          .values({
            organization_id: organizationId,
            name: fields.name.trim(),
            description: fields.description ?? '',
            points_cost: fields.pointsCost,
            price_minor: fields.priceMinor,
            stock: fields.stock ?? null,
            active: fields.active ?? true,
            fulfilment,
            webhook_url: fulfilment === 'webhook' ? (fields.webhookUrl ?? null) : null,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        const created = toRewardItem(row);
        if (actor) {
          await writeAudit(db, actor, {
            action: 'reward.create',
            target: `reward:${created.id}`,
            outcome: 'done',
            after: auditedItem(created),
          });
        }
        return created;
      });
      return ok(item);
    } catch (error) {
      return duplicateName(error, fields.name);
    }
  }

  /** Changes an item that is not retired; the redemptions already made keep their terms. */
  async edit(
    organizationId: number,
    itemId: number,
    fields: Partial<RewardItemFields>,
    actor?: AdminActor,
  ): Promise<ItemResult> {
    const target = `reward:${itemId}`;
    const denied = await requireHrActor(this.db, actor, 'change the catalog', {
      action: 'reward.edit',
      target,
      wanted: auditedFields(fields),
    });
    if (denied) return denied;
    const invalid = checkItemFields(fields);
    if (invalid) return invalid;
    let name = fields.name;
    try {
      return await auditedWrite(this.db, actor, async (db): Promise<ItemResult> => {
        // Locked while it changes, so the audit entry's `before` is what was changed.
        const current = await findItem(db, organizationId, itemId, { lock: actor !== undefined });
        if (!current.ok) return current;
        name ??= current.value.name;
        const fulfilment = fields.fulfilment ?? current.value.fulfilment;
        const webhookUrl =
          fulfilment === 'webhook' ? (fields.webhookUrl ?? current.value.webhookUrl) : null;
        // The address is judged when it is set or switched on; an item saved before the
        // guard keeps its other edits (its sends are refused anyway).
        const setting = fields.webhookUrl !== undefined || fields.fulfilment === 'webhook';
        const wrong =
          checkFulfilment(fulfilment, webhookUrl) ??
          (setting ? this.#checkWebhookAddress(webhookUrl) : undefined);
        if (wrong) return wrong;
        const row = await db
          .updateTable('reward_items')
          .set({
            ...(fields.name !== undefined && { name: fields.name.trim() }),
            ...(fields.description !== undefined && { description: fields.description }),
            ...(fields.pointsCost !== undefined && { points_cost: fields.pointsCost }),
            ...(fields.priceMinor !== undefined && { price_minor: fields.priceMinor }),
            ...(fields.stock !== undefined && { stock: fields.stock }),
            ...(fields.active !== undefined && { active: fields.active }),
            fulfilment,
            webhook_url: webhookUrl,
            updated_at: new Date(),
          })
          .where('organization_id', '=', organizationId)
          .where('id', '=', itemId)
          .where('retired_at', 'is', null)
          .returningAll()
          .executeTakeFirst();
        if (!row) return retiredItem(current.value.name);
        const edited = toRewardItem(row);
        if (actor) {
          await writeAudit(db, actor, {
            action: 'reward.edit',
            target,
            outcome: 'done',
            before: auditedItem(current.value),
            after: auditedItem(edited),
          });
        }
        return ok(edited);
      });
    } catch (error) {
      return duplicateName(error, name ?? '');
    }
  }

  /** Takes an item out of the catalog for good; its redemptions and charges keep naming it. */
  async retire(organizationId: number, itemId: number, actor?: AdminActor): Promise<ItemResult> {
    const target = `reward:${itemId}`;
    const denied = await requireHrActor(this.db, actor, 'change the catalog', {
      action: 'reward.retire',
      target,
    });
    if (denied) return denied;
    return auditedWrite(this.db, actor, async (db): Promise<ItemResult> => {
      const row = await db
        .updateTable('reward_items')
        .set({ retired_at: new Date(), active: false, updated_at: new Date() })
        .where('organization_id', '=', organizationId)
        .where('id', '=', itemId)
        .where('retired_at', 'is', null)
        .returningAll()
        .executeTakeFirst();
      if (row) {
        const retired = toRewardItem(row);
        if (actor) {
          await writeAudit(db, actor, {
            action: 'reward.retire',
            target,
            outcome: 'done',
            after: auditedItem(retired),
          });
        }
        return ok(retired);
      }
      const known = await findItem(db, organizationId, itemId);
      return known.ok ? retiredItem(known.value.name) : known;
    });
  }

  /** The refusal of a webhook address that leads inside the network, unless allowed. */
  #checkWebhookAddress(webhookUrl: string | null | undefined): RewardRefusal | undefined {
    const refusal = webhookUrl ? this.allowList.refusalOfUrl(webhookUrl) : undefined;
    return refusal ? rewardRefusal('invalid_item', refusal) : undefined;
  }

  find(organizationId: number, itemId: number): Promise<ItemResult> {
    return findItem(this.db, organizationId, itemId);
  }

  /**
   * The item a person means: `#12` or `12` by id, otherwise by name (exactly, ignoring
   * case, or the one item whose name starts with the words given).
   */
  async lookup(organizationId: number, reference: string): Promise<ItemResult> {
    const text = reference.trim();
    const byId = /^#?(\d{1,15})$/.exec(text);
    if (byId) return this.find(organizationId, Number(byId[1]));
    const items = await this.list(organizationId, { includeInactive: true });
    const wanted = text.toLowerCase();
    const exact = items.find((item) => item.name.toLowerCase() === wanted);
    if (exact) return ok(exact);
    const starting = items.filter((item) => item.name.toLowerCase().startsWith(wanted));
    if (starting.length === 1 && starting[0]) return ok(starting[0]);
    if (starting.length > 1) {
      const names = starting.slice(0, 5).map((item) => `“${item.name}” (#${item.id})`);
      return rewardRefusal(
        'ambiguous_item',
        `Several rewards start with “${text}”: ${names.join(', ')}. Name one, or use its #id.`,
      );
    }
    return unknownItem(text);
  }

  /** The items not retired, by name; the active ones only unless asked. */
  async list(
    organizationId: number,
    options: { includeInactive?: boolean } = {},
  ): Promise<RewardItem[]> {
    let query = this.db
      .selectFrom('reward_items')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .where('retired_at', 'is', null);
    if (!options.includeInactive) query = query.where('active', '=', true);
    const rows = await query.orderBy('name').execute();
    return rows.map(toRewardItem);
  }
}

async function findItem(
  db: Database,
  organizationId: number,
  itemId: number,
  options: { lock?: boolean } = {},
): Promise<ItemResult> {
  let query = db
    .selectFrom('reward_items')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where('id', '=', itemId);
  // `no key update`, as a redemption locks it: redemptions referencing it may go on.
  if (options.lock) query = query.forNoKeyUpdate();
  const row = await query.executeTakeFirst();
  if (!row) return unknownItem(`#${itemId}`);
  return ok(toRewardItem(row));
}

/**
 * An item as the audit log keeps it. A webhook address may carry a secret in its path or
 * query, so only its origin is kept.
 */
function auditedItem(item: RewardItem) {
  return { ...item, webhookUrl: item.webhookUrl && webhookOrigin(item.webhookUrl) };
}

function auditedFields(fields: Partial<RewardItemFields>) {
  return fields.webhookUrl
    ? { ...fields, webhookUrl: webhookOrigin(fields.webhookUrl) }
    : { ...fields };
}

function webhookOrigin(url: string): string {
  try {
    return `${new URL(url).origin}/…`;
  } catch {
    return '…';
  }
}

function checkFulfilment(
  fulfilment: Fulfilment,
  webhookUrl: string | null | undefined,
): RewardRefusal | undefined {
  if (fulfilment === 'webhook' && !webhookUrl) {
    return rewardRefusal(
      'invalid_item',
      'A reward fulfilled by webhook needs the address to send redemptions to.',
    );
  }
  return undefined;
}

function duplicateName(error: unknown, name: string): RewardRefusal {
  if (violatedUniqueConstraint(error) === 'reward_items_name') {
    return rewardRefusal(
      'duplicate_item',
      `There is already a reward called “${name.trim()}”; pick another name.`,
    );
  }
  throw error;
}

export function unknownItem(reference: string): RewardRefusal {
  return rewardRefusal('unknown_item', `There is no reward “${reference}”.`);
}

function retiredItem(name: string): RewardRefusal {
  return rewardRefusal('retired_item', `“${name}” was retired and can no longer change.`);
}
