import type { MentionResolver } from '../core/command.ts';
import type { Database } from '../db/database.ts';
import { findGroupByName, groupMemberIds } from '../directory/groups.ts';
import { listMembers, type Member } from '../directory/members.ts';
import type { RecipientRef } from '../recognition/grammar/give-grammar.ts';
import { DEMO_TENANT } from './demo-organization.ts';

const fold = (text: string) => text.normalize('NFC').toLocaleLowerCase().replace(/\s+/g, '');

/**
 * Resolves `@name` in the local console: a handle (`@ana`), a full name without spaces
 * (`@anasilva`), a first name that only one member has (`@José`), or a group (`@design`).
 */
export class LocalMentionResolver implements MentionResolver {
  constructor(private readonly db: Database) {}

  async resolve(organizationId: number, refs: readonly RecipientRef[]) {
    const members: Member[] = [];
    const unknown: string[] = [];
    const named = new Set<number>();
    const throughGroups = new Set<number>();
    const everyone = await this.#members(organizationId);
    for (const ref of refs) {
      if (ref.kind !== 'name') {
        unknown.push('that mention');
        continue;
      }
      const found = await this.#byName(organizationId, everyone, ref.name);
      if (found.members.length === 0) unknown.push(`@${ref.name}`);
      members.push(...found.members);
      for (const member of found.members) (found.group ? throughGroups : named).add(member.id);
    }
    const throughGroupsOnly = [...throughGroups].filter((id) => !named.has(id));
    return { members, unknown, throughGroupsOnly };
  }

  /** The organization's members with their console handles, read once per command. */
  async #members(
    organizationId: number,
  ): Promise<Array<{ member: Member; handle: string | null }>> {
    const [members, handles] = await Promise.all([
      listMembers(this.db, organizationId),
      this.db
        .selectFrom('platform_identities')
        .select(['member_id', 'user_id'])
        .where('platform', '=', 'local')
        .where('tenant_id', '=', DEMO_TENANT)
        .where('organization_id', '=', organizationId)
        .execute(),
    ]);
    const handleOf = new Map(handles.map((row) => [row.member_id, row.user_id]));
    return members.map((member) => ({ member, handle: handleOf.get(member.id) ?? null }));
  }

  async #byName(
    organizationId: number,
    everyone: ReadonlyArray<{ member: Member; handle: string | null }>,
    name: string,
  ): Promise<{ members: Member[]; group: boolean }> {
    const wanted = fold(name);
    const firstName = (display: string) => fold(display.split(/\s+/)[0] ?? '');
    const exact = everyone.filter(
      ({ member, handle }) =>
        (handle && fold(handle) === wanted) || fold(member.displayName) === wanted,
    );
    const person = (found: typeof everyone) => ({
      members: found.map(({ member }) => member),
      group: false,
    });
    if (exact.length > 0) return person(exact);
    const byFirst = everyone.filter(({ member }) => firstName(member.displayName) === wanted);
    if (byFirst.length === 1) return person(byFirst);
    const group = await findGroupByName(this.db, organizationId, name);
    if (!group) return { members: [], group: false };
    const ids = new Set(await groupMemberIds(this.db, group));
    const members = everyone.filter(({ member }) => ids.has(member.id));
    return { members: members.map(({ member }) => member), group: true };
  }
}
