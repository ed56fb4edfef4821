import { z } from 'zod/v4';
import { readPermissionRules, setPermissionRule } from '../../../admin/permission-rules.ts';
import { changeProgramSettings, readProgramSettings } from '../../../admin/program-settings.ts';
import type { PermissionRule } from '../../../core/permission-rule.ts';
import { ok } from '../../../core/result.ts';
import { apiRoute } from '../api-route.ts';
import { id, role } from '../api-schemas.ts';

const whole = z.number().int();
const cadence = z.enum(['weekly', 'monthly', 'quarterly']);

const programSettings = z
  .object({
    timezone: z.string().describe('An IANA time zone, e.g. Europe/Lisbon.'),
    currency: z.string().describe('An ISO 4217 code, e.g. EUR.'),
    allowance: z.object({
      amount: whole.describe('Points each member may give per period.'),
      cadence,
      rolloverCap: whole.describe('Unused allowance kept into the next period, at most.'),
      prorateNewMembers: z.boolean(),
    }),
    roleAllowances: z
      .object({ member: whole.optional(), admin: whole.optional(), hr: whole.optional() })
      .describe('Allowance per period by role; the largest of a member’s roles applies.'),
    memberAllowances: z.array(z.object({ memberId: id, amount: whole })),
    defaultAmount: whole,
    minAmount: whole,
    maxAmount: whole,
    maxRecipients: whole,
    dailyPairCap: whole.nullable().describe('Most points a giver may give one person a day.'),
    values: z.array(z.string()).describe('Company values, lower-case.'),
    valueRequired: z.boolean(),
    minReasonLength: whole,
    maxReasonLength: whole.describe('The longest reason a kudos may give, in characters.'),
    announcementChannel: z.string().nullable(),
    guestsMayParticipate: z.boolean(),
    leaverRedeemDays: whole.describe('Days a deactivated member may still redeem.'),
    reactionPoints: z
      .record(z.string(), whole)
      .describe('Reaction emoji (short names, no colons) that give points, with the points each.'),
    reactionGraceMinutes: whole.describe(
      'Minutes after a reaction during which removing it takes its points back.',
    ),
    boostsAllowed: z
      .boolean()
      .describe('Whether colleagues may boost a kudos with points of their own.'),
    pointValueMilli: whole.describe('What a point is worth, in thousandths of a minor unit.'),
    monthlyBudgetMinor: whole
      .nullable()
      .describe('Most the company is billed a month, in minor units.'),
    holdHours: whole.describe('How long a redemption may wait for HR.'),
  })
  .meta({ title: 'ProgramSettings' });

const orNull = (schema: z.ZodType) => schema.nullable();

/** A change names only what changes; a null override amount removes the override. */
const settingsChange = z
  .strictObject({
    timezone: z.string(),
    currency: z.string(),
    allowance: z
      .strictObject({
        amount: whole,
        cadence,
        rolloverCap: whole,
        prorateNewMembers: z.boolean(),
      })
      .partial(),
    roleAllowances: z
      .strictObject({
        member: orNull(whole).optional(),
        admin: orNull(whole).optional(),
        hr: orNull(whole).optional(),
      })
      .describe('Sets the overrides it names; null removes one.'),
    memberAllowances: z
      .array(z.strictObject({ memberId: id, amount: whole.nullable() }))
      .describe('Sets the overrides it names; an amount of null removes one.'),
    defaultAmount: whole,
    minAmount: whole,
    maxAmount: whole,
    maxRecipients: whole,
    dailyPairCap: whole.nullable(),
    values: z.array(z.string()).describe('Replaces the list.'),
    valueRequired: z.boolean(),
    minReasonLength: whole,
    maxReasonLength: whole,
    announcementChannel: z.string().nullable(),
    guestsMayParticipate: z.boolean(),
    leaverRedeemDays: whole,
    reactionPoints: z
      .record(z.string(), whole)
      .describe('Replaces the list; {} turns reactions off.'),
    reactionGraceMinutes: whole,
    boostsAllowed: z.boolean(),
    pointValueMilli: whole,
    monthlyBudgetMinor: whole.nullable(),
    holdHours: whole,
  })
  .partial()
  .meta({ title: 'ProgramSettingsChange' });

const readSettings = apiRoute({
  method: 'get',
  path: '/settings',
  operationId: 'readSettings',
  tag: 'Settings',
  summary: "The program's settings: allowance, amounts, values, channel, rewards",
  roles: ['admin', 'hr'],
  what: 'read the settings',
  response: programSettings,
  handler: async ({ services, actor }) =>
    ok(await readProgramSettings(services.db, actor.organizationId)),
});

const changeSettings = apiRoute({
  method: 'patch',
  path: '/settings',
  operationId: 'changeSettings',
  tag: 'Settings',
  summary: 'Changes the settings it names, all or nothing; effective at once',
  description:
    'Every bad value is named in the 422 message and nothing changes. A new cadence or time zone moves the allowance reset schedule.',
  roles: ['admin'],
  what: "change the program's settings",
  action: 'settings.change',
  body: settingsChange,
  response: programSettings,
  handler: ({ services, actor, body }) =>
    changeProgramSettings(services, actor, body as Parameters<typeof changeProgramSettings>[2]),
});

const permissionRule = z
  .discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('everyone') }),
    z.strictObject({
      kind: z.enum(['only', 'everyone_except']),
      members: z.array(id).max(1000).optional(),
      groups: z.array(id).max(1000).optional(),
      roles: z.array(role).optional(),
    }),
  ])
  .meta({ title: 'PermissionRule' });

const rulesSchema = z
  .object({
    give: permissionRule.describe('Who may give recognition.'),
    receive: permissionRule.describe('Who may receive recognition.'),
  })
  .meta({ title: 'PermissionRules' });

/** A rule as JSON: its lists copied, so the response owns them. */
const ruleView = (rule: PermissionRule) =>
  rule.kind === 'everyone'
    ? { kind: rule.kind }
    : {
        kind: rule.kind,
        ...(rule.members && { members: [...rule.members] }),
        ...(rule.groups && { groups: [...rule.groups] }),
        ...(rule.roles && { roles: [...rule.roles] }),
      };

const readRules = apiRoute({
  method: 'get',
  path: '/rules',
  operationId: 'readRules',
  tag: 'Settings',
  summary: 'Who may give and who may receive recognition',
  roles: ['admin', 'hr'],
  what: 'read the rules',
  response: rulesSchema,
  handler: async ({ services, actor }) => {
    const rules = await readPermissionRules(services.db, actor.organizationId);
    return ok({ give: ruleView(rules.give), receive: ruleView(rules.receive) });
  },
});

const setRule = (which: 'give' | 'receive') =>
  apiRoute({
    method: 'put',
    path: `/rules/${which}`,
    operationId: which === 'give' ? 'setGiveRule' : 'setReceiveRule',
    tag: 'Settings',
    summary:
      which === 'give'
        ? 'Sets who may give: everyone, only the listed, or everyone except the listed'
        : 'Sets who may receive: everyone, only the listed, or everyone except the listed',
    description: 'Members and groups are named by id, and must be of this organization.',
    roles: ['admin'],
    what: 'change who may give and receive',
    action: 'rule.set',
    target: () => `rule:${which}`,
    body: permissionRule,
    response: permissionRule,
    handler: async ({ services, actor, body }) => {
      const set = await setPermissionRule(services, actor, which, body as PermissionRule);
      return set.ok ? ok(ruleView(set.value)) : set;
    },
  });

export const SETTINGS_ROUTES = [
  readSettings,
  changeSettings,
  readRules,
  setRule('give'),
  setRule('receive'),
];
