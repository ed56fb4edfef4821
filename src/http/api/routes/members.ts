import { z } from 'zod/v4';
import { changeRole, listRoleHolders } from '../../../admin/roles.ts';
import { ok } from '../../../core/result.ts';
import { notFound } from '../api-errors.ts';
import { apiRoute } from '../api-route.ts';
import { id, idParams, idText, role } from '../api-schemas.ts';
import { encodeCursor, pageOf, pageOfList, pageQuery } from '../pagination.ts';
import { memberSchema, readMembers } from './member-reads.ts';

const TAG = 'Members';

const listMembers = apiRoute({
  method: 'get',
  path: '/members',
  operationId: 'listMembers',
  tag: TAG,
  summary: 'Members, with their points and allowance, in id order',
  roles: ['admin', 'hr'],
  what: 'read members',
  query: z.object(pageQuery),
  response: pageOf(memberSchema),
  handler: async ({ services, actor, query }) => {
    const members = await readMembers(services, actor.organizationId, {
      kind: 'page',
      after: query.cursor,
      limit: query.limit,
    });
    const page = members.slice(0, query.limit);
    const last = page.at(-1);
    return ok({
      items: page,
      next_cursor: members.length > query.limit && last ? encodeCursor(last.id) : null,
    });
  },
});

const lookupQuery = z
  .object({
    slack: z.string().min(1).max(100).optional().describe('A Slack user id, e.g. U0123ABCD.'),
    teams: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe('A Teams user id (29:…) or Azure AD object id.'),
    email: z.string().min(3).max(320).optional().describe('An email address.'),
  })
  .refine(
    (query) => [query.slack, query.teams, query.email].filter((v) => v !== undefined).length === 1,
    { message: 'name exactly one of slack, teams or email' },
  );

const lookupMember = apiRoute({
  method: 'get',
  path: '/members/lookup',
  operationId: 'lookupMember',
  tag: TAG,
  summary: 'The member behind a Slack or Teams account, or an email address',
  roles: ['admin', 'hr'],
  what: 'read members',
  notFound: true,
  query: lookupQuery,
  response: memberSchema,
  handler: async ({ services, actor, query }) => {
    const filter =
      query.slack !== undefined
        ? ({ kind: 'identity', platform: 'slack', userId: query.slack } as const)
        : query.teams !== undefined
          ? ({ kind: 'identity', platform: 'teams', userId: query.teams } as const)
          : ({ kind: 'email', email: query.email ?? '' } as const);
    const [member] = await readMembers(services, actor.organizationId, filter);
    return member ? ok(member) : notFound('No member of this organization has that account.');
  },
});

const getMember = apiRoute({
  method: 'get',
  path: '/members/{id}',
  operationId: 'getMember',
  tag: TAG,
  summary: 'A member, with their points and allowance',
  roles: ['admin', 'hr'],
  what: 'read members',
  params: idParams,
  response: memberSchema,
  handler: async ({ services, actor, params }) => {
    const [member] = await readMembers(services, actor.organizationId, {
      kind: 'id',
      id: params.id,
    });
    return member ? ok(member) : notFound(`There is no member ${params.id} here.`);
  },
});

const roleHolder = z
  .object({ memberId: id, displayName: z.string(), roles: z.array(role) })
  .meta({ title: 'RoleHolder' });

const listRoles = apiRoute({
  method: 'get',
  path: '/roles',
  operationId: 'listRoles',
  tag: 'Roles',
  summary: 'Everyone who holds admin or hr',
  roles: ['admin'],
  what: 'read who holds which role',
  query: z.object(pageQuery),
  response: pageOf(roleHolder),
  handler: async ({ services, actor, query }) => {
    const holders = await listRoleHolders(services.db, actor.organizationId);
    return ok(
      pageOfList(
        holders.map((holder) => ({ ...holder, roles: [...holder.roles] })),
        query,
        (holder) => holder.memberId,
      ),
    );
  },
});

const roleParams = z.object({
  id: idText.describe("The member's id."),
  role: z.enum(['admin', 'hr']).describe('The role to grant or revoke.'),
});

const roleChange = (change: 'grant' | 'revoke') =>
  apiRoute({
    method: change === 'grant' ? 'put' : 'delete',
    path: '/members/{id}/roles/{role}',
    operationId: change === 'grant' ? 'grantRole' : 'revokeRole',
    tag: 'Roles',
    summary:
      change === 'grant'
        ? 'Grants a member a role (granting it again changes nothing)'
        : 'Revokes a role from a member; the last admin keeps theirs',
    roles: ['admin'],
    what: 'change roles',
    action: `role.${change}`,
    target: ({ params }) => `member:${params.id}`,
    params: roleParams,
    response: roleHolder,
    handler: async ({ services, actor, params }) => {
      const changed = await changeRole(services.db, actor, {
        memberId: params.id,
        role: params.role,
        change,
      });
      if (!changed.ok) return changed;
      return ok({ ...changed.value, roles: [...changed.value.roles] });
    },
  });

export const MEMBER_ROUTES = [
  listMembers,
  lookupMember,
  getMember,
  listRoles,
  roleChange('grant'),
  roleChange('revoke'),
];
