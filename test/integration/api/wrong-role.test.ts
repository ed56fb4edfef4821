import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuditEntry, readAudit } from '../../../src/admin/audit-log.ts';
import type { RunningPlaudit } from '../../../src/app.ts';
import {
  type OrganizationSnapshot,
  organizationSnapshot,
} from '../../support/organization-snapshot.ts';
import { EXAMPLES, type Example } from './api-examples.ts';
import { type ApiOrganization, createApiOrganization } from './api-organization.ts';
import { type ApiPlaudit, startApiPlaudit } from './api-plaudit.ts';
import { type OpenApiDocument, type Operation, operationsOf, sendExample } from './api-walk.ts';

type Role = 'admin' | 'hr';

interface Expected {
  readonly action: string;
  readonly target: string | null;
}

const pathId = (example: Example) => example.params?.id;
const bodyMember = (example: Example) => (example.body as { memberId: number }).memberId;

/**
 * What the audit log must say of each operation only one role may call, tried with the
 * other role's token: the action in the log's own words and what it was done to. Written
 * out here rather than read from the routes, so a route that logs the wrong thing fails.
 */
const REFUSED_AS: Record<string, (example: Example) => Expected> = {
  listRoles: () => ({ action: 'api.read', target: null }),
  grantRole: (e) => ({ action: 'role.grant', target: `member:${pathId(e)}` }),
  revokeRole: (e) => ({ action: 'role.revoke', target: `member:${pathId(e)}` }),
  createGroup: () => ({ action: 'group.create', target: null }),
  renameGroup: (e) => ({ action: 'group.rename', target: `group:${pathId(e)}` }),
  changeGroupMembers: (e) => ({ action: 'group.members', target: `group:${pathId(e)}` }),
  syncGroups: () => ({ action: 'group.mirror', target: null }),
  reverseRecognition: (e) => ({
    action: 'recognition.reverse',
    target: `recognition:${pathId(e)}`,
  }),
  changeSettings: () => ({ action: 'settings.change', target: null }),
  setGiveRule: () => ({ action: 'rule.set', target: 'rule:give' }),
  setReceiveRule: () => ({ action: 'rule.set', target: 'rule:receive' }),
  listAdjustments: () => ({ action: 'api.read', target: null }),
  adjustPoints: (e) => ({
    action: (e.body as { amount: number }).amount < 0 ? 'adjustment.deduct' : 'adjustment.grant',
    target: `member:${bodyMember(e)}`,
  }),
  createReward: () => ({ action: 'reward.create', target: null }),
  editReward: (e) => ({ action: 'reward.edit', target: `reward:${pathId(e)}` }),
  retireReward: (e) => ({ action: 'reward.retire', target: `reward:${pathId(e)}` }),
  changeRewardSettings: () => ({ action: 'reward_settings.change', target: null }),
  listRedemptions: () => ({ action: 'api.read', target: null }),
  getRedemption: () => ({ action: 'api.read', target: null }),
  decideRedemption: (e) => ({
    action:
      (e.body as { decision: string }).decision === 'reject'
        ? 'redemption.reject'
        : 'redemption.fulfil',
    target: `redemption:${pathId(e)}`,
  }),
  redeemForMember: (e) => ({
    action: 'redemption.redeem_for',
    target: `member:${bodyMember(e)}`,
  }),
  listCharges: () => ({ action: 'api.read', target: null }),
  readStatement: () => ({ action: 'api.read', target: null }),
  readAuditLog: () => ({ action: 'api.read', target: null }),
  listTokens: () => ({ action: 'api.read', target: null }),
  getToken: () => ({ action: 'api.read', target: null }),
  createToken: () => ({ action: 'token.create', target: null }),
  revokeToken: (e) => ({ action: 'token.revoke', target: `token:${pathId(e)}` }),
};

/**
 * The other branch of writes whose action depends on the request: a deduction, and a
 * decision to fulfil, so both of their actions are logged right.
 */
const VARIANTS: Record<string, (example: Example) => Example> = {
  adjustPoints: (example) => ({
    ...example,
    body: { ...(example.body as object), amount: -5 },
  }),
  decideRedemption: (example) => ({ ...example, body: { decision: 'fulfil' } }),
};

/**
 * Every operation only one role may call, sent with the other role's token: refused with
 * 403, nothing of the organization changed, and exactly one `refused` entry in its audit
 * log per request, naming what was tried, on what, by which token.
 */
describe('the HTTP API, called by a token of the wrong role', () => {
  let running: ApiPlaudit;
  let plaudit: RunningPlaudit;
  let org: ApiOrganization;
  let document: OpenApiDocument;
  let base: string;

  beforeAll(async () => {
    running = await startApiPlaudit();
    plaudit = running.plaudit;
    org = await createApiOrganization(plaudit.db);
    document = (await (
      await fetch(`${plaudit.url}/api/v1/openapi.json`)
    ).json()) as OpenApiDocument;
    base = `${plaudit.url}${document.servers[0]?.url}`;
  });
  afterAll(async () => {
    await running?.close();
  });

  /** Entries newer than `afterId`, oldest first. */
  const auditSince = async (afterId: number): Promise<AuditEntry[]> => {
    const { entries } = await readAudit(plaudit.db, org.organizationId, { limit: 100 });
    return entries.filter((entry) => entry.id > afterId).reverse();
  };
  const lastAuditId = async () =>
    (await readAudit(plaudit.db, org.organizationId, { limit: 1 })).entries[0]?.id ?? 0;
  // A token's last use is bookkeeping the authentication itself writes, refused or not.
  const snapshot = (): Promise<OrganizationSnapshot> =>
    organizationSnapshot(plaudit.db, org.organizationId, {
      without: { api_tokens: ['last_used_at'] },
    });

  it('is refused with 403, audited once as refused with its action and target, and changes nothing', async () => {
    // Every request is built first (some make a fresh thing to act on), then the
    // organization is photographed, then the requests are sent.
    const requests: Array<{ operation: Operation; example: Example; by: Role }> = [];
    for (const operation of operationsOf(document)) {
      if (operation.roles.length !== 1) continue;
      const build = EXAMPLES[operation.operationId];
      expect(build, `an example for ${operation.operationId}`).toBeDefined();
      expect(
        REFUSED_AS[operation.operationId],
        `the refusal of ${operation.operationId}`,
      ).toBeDefined();
      const by: Role = operation.roles[0] === 'admin' ? 'hr' : 'admin';
      const example = await (build as NonNullable<typeof build>)(org);
      requests.push({ operation, example, by });
      const variant = VARIANTS[operation.operationId];
      if (variant) requests.push({ operation, example: variant(example), by });
    }
    expect(requests.length).toBeGreaterThan(25);
    expect(new Set(requests.map((request) => request.by))).toEqual(new Set(['admin', 'hr']));

    const before = await snapshot();
    const firstId = await lastAuditId();
    let seen = firstId;
    for (const { operation, example, by } of requests) {
      const sent = await sendExample(base, operation, example, org.tokens[by].secret);
      const label = `${by} → ${operation.method.toUpperCase()} ${operation.path}: ${sent.text.slice(0, 200)}`;
      expect(sent.status, label).toBe(403);
      const { error } = JSON.parse(sent.text) as { error: string };
      expect(error, label).toBe(by === 'admin' ? 'not_hr' : 'not_admin');

      const written = await auditSince(seen);
      const expected = (REFUSED_AS[operation.operationId] as (e: Example) => Expected)(example);
      expect(
        written.map((entry) => ({
          action: entry.action,
          target: entry.target,
          outcome: entry.outcome,
          refusalCode: entry.refusalCode,
          actorTokenId: entry.actorTokenId,
          actorMemberId: entry.actorMemberId,
          via: entry.via,
        })),
        label,
      ).toEqual([
        {
          ...expected,
          outcome: 'refused',
          refusalCode: error,
          actorTokenId: org.tokens[by].id,
          actorMemberId: null,
          via: 'api',
        },
      ]);
      seen = written.at(-1)?.id ?? seen;
    }

    const after = await snapshot();
    // The audit log grew by the refusals above and nothing else; everything else is as it was.
    const added = (await auditSince(firstId)).filter((entry) => entry.outcome !== 'refused');
    expect(added).toEqual([]);
    expect((await auditSince(firstId)).length).toBe(requests.length);
    expect(after.audit_log?.length).toBe((before.audit_log?.length ?? 0) + requests.length);
    expect(after.audit_log).toEqual(expect.arrayContaining(before.audit_log ?? []));
    expect({ ...after, audit_log: [] }).toEqual({ ...before, audit_log: [] });
  });
});
