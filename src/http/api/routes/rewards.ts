import { z } from 'zod/v4';
import { ok } from '../../../core/result.ts';
import type { RewardItem } from '../../../rewards/catalog.ts';
import {
  changeRewardSettings,
  loadRewardSettings,
  type RewardSettings,
} from '../../../rewards/reward-settings.ts';
import { apiRoute } from '../api-route.ts';
import { id, idParams } from '../api-schemas.ts';
import { pageOf, pageOfList, pageQuery } from '../pagination.ts';

const TAG = 'Rewards';

const rewardSchema = z
  .object({
    id,
    name: z.string(),
    description: z.string(),
    pointsCost: z.number().int(),
    priceMinor: z.number().int().describe("Price in the organization's currency, in minor units."),
    stock: z.number().int().nullable().describe('Null: unlimited.'),
    active: z.boolean(),
    fulfilment: z.enum(['manual', 'webhook']),
    webhookUrl: z.string().nullable(),
    retired: z.boolean(),
  })
  .meta({ title: 'Reward' });

const view = ({ organizationId: _organization, ...item }: RewardItem) => item;

const fields = {
  name: z.string().min(1).max(120),
  description: z.string().max(2000),
  pointsCost: z.number().int().min(1),
  priceMinor: z.number().int().min(0),
  stock: z.number().int().min(0).nullable(),
  active: z.boolean(),
  fulfilment: z.enum(['manual', 'webhook']),
  webhookUrl: z.url().max(2048).nullable(),
};

const list = apiRoute({
  method: 'get',
  path: '/rewards',
  operationId: 'listRewards',
  tag: TAG,
  summary: 'The catalog, in id order (retired rewards are left out)',
  roles: ['admin', 'hr'],
  what: 'read the catalog',
  query: z.object({
    ...pageQuery,
    inactive: z
      .enum(['true', 'false'])
      .default('true')
      .describe('Whether rewards switched off for now are listed too.'),
  }),
  response: pageOf(rewardSchema),
  handler: async ({ services, actor, query }) => {
    const items = await services.desk.catalog.list(actor.organizationId, {
      includeInactive: query.inactive === 'true',
    });
    return ok(pageOfList(items.map(view), query, (item) => item.id));
  },
});

const get = apiRoute({
  method: 'get',
  path: '/rewards/{id}',
  operationId: 'getReward',
  tag: TAG,
  summary: 'A reward, retired ones too',
  roles: ['admin', 'hr'],
  what: 'read the catalog',
  params: idParams,
  response: rewardSchema,
  handler: async ({ services, actor, params }) => {
    const found = await services.desk.catalog.find(actor.organizationId, params.id);
    return found.ok ? ok(view(found.value)) : found;
  },
});

const create = apiRoute({
  method: 'post',
  path: '/rewards',
  operationId: 'createReward',
  tag: TAG,
  summary: 'Adds a reward to the catalog',
  roles: ['hr'],
  what: 'run the catalog',
  action: 'reward.create',
  status: 201,
  body: z.object({
    ...fields,
    description: fields.description.optional(),
    stock: fields.stock.optional(),
    active: fields.active.optional(),
    fulfilment: fields.fulfilment.optional(),
    webhookUrl: fields.webhookUrl.optional(),
  }),
  response: rewardSchema,
  handler: async ({ services, actor, body }) => {
    const created = await services.desk.catalog.create(actor.organizationId, body, actor);
    return created.ok ? ok(view(created.value)) : created;
  },
});

const edit = apiRoute({
  method: 'patch',
  path: '/rewards/{id}',
  operationId: 'editReward',
  tag: TAG,
  summary: 'Changes a reward; redemptions already made keep their terms',
  roles: ['hr'],
  what: 'run the catalog',
  action: 'reward.edit',
  target: ({ params }) => `reward:${params.id}`,
  params: idParams,
  body: z.strictObject(fields).partial(),
  response: rewardSchema,
  handler: async ({ services, actor, params, body }) => {
    const edited = await services.desk.catalog.edit(actor.organizationId, params.id, body, actor);
    return edited.ok ? ok(view(edited.value)) : edited;
  },
});

const retire = apiRoute({
  method: 'post',
  path: '/rewards/{id}/retirement',
  operationId: 'retireReward',
  tag: TAG,
  summary: 'Retires a reward for good; its redemptions and charges keep naming it',
  roles: ['hr'],
  what: 'run the catalog',
  action: 'reward.retire',
  target: ({ params }) => `reward:${params.id}`,
  params: idParams,
  response: rewardSchema,
  handler: async ({ services, actor, params }) => {
    const retired = await services.desk.catalog.retire(actor.organizationId, params.id, actor);
    return retired.ok ? ok(view(retired.value)) : retired;
  },
});

const rewardSettingsSchema = z
  .object({
    currency: z.string().describe("The organization's currency (ISO 4217)."),
    timezone: z.string(),
    pointValueMilli: z
      .number()
      .int()
      .describe('What a point is worth, in thousandths of a minor unit (1000: a cent).'),
    holdHours: z.number().int().describe('How long a redemption may wait for HR.'),
    monthlyBudgetMinor: z
      .number()
      .int()
      .nullable()
      .describe('The most the company is billed a month, in minor units; null for none.'),
  })
  .meta({ title: 'RewardSettings' });

const settingsView = ({ organizationId: _organization, ...settings }: RewardSettings) => settings;

const readRewardSettings = apiRoute({
  method: 'get',
  path: '/reward-settings',
  operationId: 'readRewardSettings',
  tag: TAG,
  summary: "How rewards are run: a point's worth, how long holds last, the monthly budget",
  roles: ['admin', 'hr'],
  what: 'read the rewards settings',
  response: rewardSettingsSchema,
  handler: async ({ services, actor }) =>
    ok(settingsView(await loadRewardSettings(services.db, actor.organizationId))),
});

const changeRewardSettingsRoute = apiRoute({
  method: 'patch',
  path: '/reward-settings',
  operationId: 'changeRewardSettings',
  tag: TAG,
  summary: 'Changes the rewards settings it names (HR’s part of the settings)',
  roles: ['hr'],
  what: 'change the rewards settings',
  action: 'reward_settings.change',
  body: z
    .strictObject({
      pointValueMilli: z.number().int(),
      holdHours: z.number().int(),
      monthlyBudgetMinor: z.number().int().nullable(),
    })
    .partial(),
  response: rewardSettingsSchema,
  handler: async ({ services, actor, body }) => {
    const changed = await changeRewardSettings(services.db, actor.organizationId, body, actor);
    return changed.ok ? ok(settingsView(changed.value)) : changed;
  },
});

export const REWARD_ROUTES = [
  list,
  get,
  create,
  edit,
  retire,
  readRewardSettings,
  changeRewardSettingsRoute,
];
