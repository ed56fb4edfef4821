import { key } from '../../support/ledger-fixture.ts';
import type { ApiOrganization } from './api-organization.ts';

/** One request to an operation, with the ids of the organization it was built for. */
export interface Example {
  readonly params?: Record<string, string | number>;
  readonly query?: Record<string, string | number>;
  readonly body?: unknown;
  /** Sends an `Idempotency-Key` (the walker makes a fresh one). */
  readonly idempotent?: boolean;
}

type Build = (org: ApiOrganization) => Promise<Example> | Example;

/**
 * A valid request for every operation of the API, by operationId; the walking tests
 * fail for an operation in the document that has none here. Writes that use something
 * up (a reversal, a retirement, a decision, a revocation) make a fresh one first. Names
 * of new things carry no organization's tag, so an echo is never taken for a leak.
 */
export const EXAMPLES: Record<string, Build> = {
  listMembers: () => ({ query: { limit: 2 } }),
  lookupMember: (org) => ({ query: { slack: org.slackUserId } }),
  getMember: (org) => ({ params: { id: org.members.member.id } }),
  listRoles: () => ({}),
  grantRole: (org) => ({ params: { id: org.members.other.id, role: 'hr' } }),
  revokeRole: async (org) => ({ params: { id: (await org.fresh.hrMember()).id, role: 'hr' } }),

  listGroups: () => ({}),
  getGroup: (org) => ({ params: { id: org.groupId } }),
  createGroup: (org) => ({
    body: { name: `Group ${key('g')}`, memberIds: [org.members.member.id] },
  }),
  renameGroup: (org) => ({ params: { id: org.groupId }, body: { name: `Group ${key('g')}` } }),
  changeGroupMembers: (org) => ({
    params: { id: org.groupId },
    body: { add: [org.members.other.id], remove: [org.members.admin.id] },
  }),
  syncGroups: () => ({}),

  listRecognitions: (org) => ({
    query: {
      giver: org.members.admin.id,
      recipient: org.members.member.id,
      value: 'teamwork',
      since: '2000-01-01T00:00:00Z',
      until: '2999-01-01T00:00:00+01:00',
    },
  }),
  getRecognition: (org) => ({ params: { id: org.recognitionId } }),
  reverseRecognition: async (org) => ({
    params: { id: await org.fresh.recognition() },
    body: { reason: 'given by mistake' },
    idempotent: true,
  }),
  readLeaderboard: () => ({ query: { window: 'all', limit: 5 } }),

  readSettings: () => ({}),
  changeSettings: (org) => ({
    body: {
      defaultAmount: 5,
      allowance: { rolloverCap: 10 },
      memberAllowances: [{ memberId: org.members.member.id, amount: 70 }],
    },
  }),
  readRules: () => ({}),
  setGiveRule: (org) => ({
    body: { kind: 'everyone_except', members: [org.members.other.id], groups: [org.groupId] },
  }),
  setReceiveRule: (org) => ({
    body: { kind: 'everyone_except', members: [org.members.hr.id], roles: ['hr'] },
  }),

  listAdjustments: (org) => ({ query: { member: org.members.member.id } }),
  adjustPoints: (org) => ({
    body: { memberId: org.members.member.id, amount: 5, reason: 'a late bonus' },
    idempotent: true,
  }),

  listRewards: () => ({ query: { inactive: 'false' } }),
  getReward: (org) => ({ params: { id: org.rewardId } }),
  createReward: () => ({ body: { name: `Hat ${key('h')}`, pointsCost: 3, priceMinor: 100 } }),
  editReward: (org) => ({ params: { id: org.rewardId }, body: { stock: 50 } }),
  retireReward: async (org) => ({ params: { id: await org.fresh.reward() } }),
  readRewardSettings: () => ({}),
  changeRewardSettings: () => ({ body: { holdHours: 72, monthlyBudgetMinor: 1_000_000 } }),

  listRedemptions: (org) => ({ query: { status: 'held', member: org.members.member.id } }),
  getRedemption: (org) => ({ params: { id: org.heldRedemptionId } }),
  decideRedemption: async (org) => ({
    params: { id: await org.fresh.heldRedemption() },
    body: { decision: 'reject', reason: 'out of stock at the supplier' },
  }),
  redeemForMember: (org) => ({
    body: { memberId: org.members.member.id, rewardId: org.rewardId },
    idempotent: true,
  }),

  listCharges: () => ({ query: { since: '2000-01-01T00:00:00Z' } }),
  readStatement: (org) => ({ params: { month: org.month } }),
  readAuditLog: () => ({ query: { outcome: 'done', limit: 20 } }),

  listTokens: () => ({}),
  getToken: (org) => ({ params: { id: org.tokens.hr.id } }),
  createToken: () => ({ body: { name: `ci ${key('t')}`, role: 'hr' } }),
  revokeToken: async (org) => ({ params: { id: await org.fresh.token() } }),
};
