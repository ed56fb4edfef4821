import { z } from 'zod/v4';
import {
  changeGroupMembers,
  createGroupAsAdmin,
  type GroupView,
  listGroups,
  renameGroup,
  syncMirroredGroups,
} from '../../../admin/group-admin.ts';
import { ok } from '../../../core/result.ts';
import { notFound } from '../api-errors.ts';
import { apiRoute } from '../api-route.ts';
import { id, idParams, memberIds } from '../api-schemas.ts';
import { pageOf, pageOfList, pageQuery } from '../pagination.ts';

const TAG = 'Groups';

const groupSchema = z
  .object({
    id,
    name: z.string(),
    source: z
      .enum(['manual', 'slack', 'teams'])
      .describe(
        '`manual`: made by an admin; otherwise it follows a Slack user group or a Teams team.',
      ),
    externalId: z.string().nullable().describe('The Slack user group or Teams team it follows.'),
    memberIds: z.array(id),
  })
  .meta({ title: 'Group' });

const view = (group: GroupView) => ({ ...group, memberIds: [...group.memberIds] });

const groupName = z.string().trim().min(1).max(100);

const list = apiRoute({
  method: 'get',
  path: '/groups',
  operationId: 'listGroups',
  tag: TAG,
  summary: 'Groups, with their members, in id order',
  roles: ['admin', 'hr'],
  what: 'read groups',
  query: z.object(pageQuery),
  response: pageOf(groupSchema),
  handler: async ({ services, actor, query }) => {
    const groups = await listGroups(services.db, actor.organizationId);
    return ok(pageOfList(groups.map(view), query, (group) => group.id));
  },
});

const get = apiRoute({
  method: 'get',
  path: '/groups/{id}',
  operationId: 'getGroup',
  tag: TAG,
  summary: 'A group, with its members',
  roles: ['admin', 'hr'],
  what: 'read groups',
  params: idParams,
  response: groupSchema,
  handler: async ({ services, actor, params }) => {
    const groups = await listGroups(services.db, actor.organizationId);
    const group = groups.find((candidate) => candidate.id === params.id);
    return group ? ok(view(group)) : notFound(`There is no group ${params.id} here.`);
  },
});

const create = apiRoute({
  method: 'post',
  path: '/groups',
  operationId: 'createGroup',
  tag: TAG,
  summary: 'Makes a group by hand, with its first members',
  roles: ['admin'],
  what: 'create groups',
  action: 'group.create',
  status: 201,
  body: z.object({ name: groupName, memberIds: memberIds.optional() }),
  response: groupSchema,
  handler: async ({ services, actor, body }) => {
    const created = await createGroupAsAdmin(services, actor, {
      name: body.name,
      ...(body.memberIds && { memberIds: body.memberIds }),
    });
    return created.ok ? ok(view(created.value)) : created;
  },
});

const rename = apiRoute({
  method: 'patch',
  path: '/groups/{id}',
  operationId: 'renameGroup',
  tag: TAG,
  summary: 'Renames a hand-made group',
  roles: ['admin'],
  what: 'rename groups',
  action: 'group.rename',
  target: ({ params }) => `group:${params.id}`,
  params: idParams,
  body: z.object({ name: groupName }),
  response: groupSchema,
  handler: async ({ services, actor, params, body }) => {
    const renamed = await renameGroup(services, actor, params.id, body.name);
    return renamed.ok ? ok(view(renamed.value)) : renamed;
  },
});

const changeMembers = apiRoute({
  method: 'patch',
  path: '/groups/{id}/members',
  operationId: 'changeGroupMembers',
  tag: TAG,
  summary: 'Adds members to a hand-made group and takes others out',
  roles: ['admin'],
  what: 'change groups',
  action: 'group.members',
  target: ({ params }) => `group:${params.id}`,
  params: idParams,
  body: z
    .object({ add: memberIds.optional(), remove: memberIds.optional() })
    .refine((change) => (change.add?.length ?? 0) + (change.remove?.length ?? 0) > 0, {
      message: 'name members to add or remove',
    }),
  response: groupSchema,
  handler: async ({ services, actor, params, body }) => {
    const changed = await changeGroupMembers(services, actor, params.id, {
      ...(body.add && { add: body.add }),
      ...(body.remove && { remove: body.remove }),
    });
    return changed.ok ? ok(view(changed.value)) : changed;
  },
});

const sync = apiRoute({
  method: 'post',
  path: '/groups/sync',
  operationId: 'syncGroups',
  tag: TAG,
  summary: 'Mirrors the Slack user groups and Teams teams now',
  roles: ['admin'],
  what: 'sync groups',
  action: 'group.mirror',
  response: z.object({
    platforms: z.array(
      z.object({
        platform: z.enum(['slack', 'teams']),
        groups: z.number().int().describe('Groups read from the platform.'),
        changed: z.number().int().describe('Of those, the ones created or changed.'),
        failed: z.array(z.string()).describe('Groups that could not be mirrored, by name.'),
      }),
    ),
  }),
  handler: async ({ services, actor }) => {
    const synced = await syncMirroredGroups(services, actor);
    if (!synced.ok) return synced;
    return ok({
      platforms: synced.value.map((report) => ({ ...report, failed: [...report.failed] })),
    });
  },
});

export const GROUP_ROUTES = [list, get, create, rename, changeMembers, sync];
