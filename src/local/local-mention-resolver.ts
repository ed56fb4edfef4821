import type { MentionResolver } from '../core/command.ts';
import type { Database } from '../db/database.ts';
import { findGroupByName, groupMemberIds } from '../directory/groups.ts';
import { findMember, type Member } from '../directory/members.ts';
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
    const everyone = await this.#members(organizationId);
    for (const ref of refs) {
      if (ref.kind !== 'name') {
        unknown.push('that mention');
        continue;
      }
      const found = await this.#byName(organizationId, everyone, ref.name);
      if (found.length === 0) unknown.push(`@${ref.name}`);
      members.push(...found);
    }
    return { members, unknown };
  }

  async #members(organizationId: number) {
    return this.db
      .selectFrom('members as m')
      .leftJoin('platform_identities as p', (join) =>
        join
          .onRef('p.member_id', '=', 'm.id')
          .on('p.platform', '=', 'local')
          .on('p.tenant_id', '=', DEMO_TENANT),
      )
      .select(['m.id', 'm.display_name', 'p.user_id as handle'])
      .where('m.organization_id', '=', organizationId)
      .execute();
  }

  async #byName(
    organizationId: number,
    everyone: Array<{ id: number; display_name: string; handle: string | null }>,
    name: string,
  ): Promise<Member[]> {
    const wanted = fold(name);
    const firstName = (display: string) => fold(display.split(/\s+/)[0] ?? '');
    const exact = everyone.filter(
      (m) => (m.handle && fold(m.handle) === wanted) || fold(m.display_name) === wanted,
    );
    const byFirst = everyone.filter((m) => firstName(m.display_name) === wanted);
    const ids =
      exact.length > 0
        ? exact.map((m) => m.id)
        : byFirst.length === 1
          ? byFirst.map((m) => m.id)
          : [];
    if (ids.length === 0) {
      const group = await findGroupByName(this.db, organizationId, name);
      if (group) ids.push(...(await groupMemberIds(this.db, group)));
    }
    const found = await Promise.all(ids.map((id) => findMember(this.db, organizationId, id)));
    return found.filter((member): member is Member => member !== undefined);
  }
}
