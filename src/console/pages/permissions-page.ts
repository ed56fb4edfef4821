import type { Request, Response, Router } from 'express';
import { sql } from 'kysely';
import { listGroups } from '../../admin/group-admin.ts';
import {
  normalRule,
  readPermissionRules,
  setPermissionRule,
} from '../../admin/permission-rules.ts';
import { describeRule, loadRuleNames } from '../../admin/rule-text.ts';
import type { PermissionRule, PermissionSubjects } from '../../core/permission-rule.ts';
import type { MemberRole } from '../../db/tables.ts';
import { requireConsoleRole } from '../console-auth.ts';
import type { ConsoleDeps } from '../console-deps.ts';
import { redirectWithNotice } from '../console-flash.ts';
import { option, parseId, valuesOf } from '../console-form.ts';
import { html, type SafeHtml } from '../console-html.ts';
import { csrfField, sendPage } from '../console-layout.ts';
import { type ConsoleViewer, viewerOf } from '../console-viewer.ts';
import { peopleByName } from '../people-by-name.ts';

type Which = 'give' | 'receive';

const PATH = '/console/permissions';

const SHAPES: ReadonlyArray<{ kind: PermissionRule['kind']; label: string }> = [
  { kind: 'everyone', label: 'Everyone' },
  { kind: 'only', label: 'Only the roles, groups and people picked below' },
  { kind: 'everyone_except', label: 'Everyone except the roles, groups and people picked below' },
];

const ROLE_CHOICES: ReadonlyArray<{ role: MemberRole; label: string }> = [
  { role: 'member', label: 'Members (everyone has this role)' },
  { role: 'admin', label: 'Admins' },
  { role: 'hr', label: 'HR' },
];

/** An id as typed, or NaN, which the rule's own check names as not an id. */
const idOf = (text: string) => parseId(text.trim()) ?? Number.NaN;

interface Pickable {
  readonly id: number;
  readonly name: string;
  readonly email?: string | null;
  readonly note?: string;
}

/**
 * Most people the form lists to pick from. With more, it lists only the people the rule
 * names, and takes others typed by email or name: a list of thousands is no way to pick.
 */
export const PICK_LIST_MOST = 200;

/**
 * The people the forms offer: everyone active but bots, and anyone the rules already name
 * (a leaver stays listed, picked, until someone unpicks them); with more than
 * {@link PICK_LIST_MOST} active people, only those the rules name (`everyone: false`).
 */
async function pickablePeople(
  deps: ConsoleDeps,
  organizationId: number,
  named: readonly number[],
): Promise<{ people: Pickable[]; everyone: boolean }> {
  const { db } = deps.services;
  const { active } = await db
    .selectFrom('members')
    .select((eb) => eb.fn.countAll<string>().as('active'))
    .where('organization_id', '=', organizationId)
    .where('status', '=', 'active')
    .where('is_bot', '=', false)
    .executeTakeFirstOrThrow();
  const everyone = Number(active) <= PICK_LIST_MOST;
  if (!everyone && named.length === 0) return { people: [], everyone };
  const rows = await db
    .selectFrom('members')
    .select(['id', 'display_name', 'email', 'status', 'is_guest'])
    .where('organization_id', '=', organizationId)
    .where((eb) =>
      eb.or([
        ...(everyone ? [eb.and([eb('status', '=', 'active'), eb('is_bot', '=', false)])] : []),
        ...(named.length > 0 ? [eb('id', 'in', [...named])] : []),
      ]),
    )
    .orderBy(sql`lower(display_name)`)
    .orderBy('id')
    .execute();
  const people = rows.map((row) => ({
    id: row.id,
    name: row.display_name,
    ...(everyone ? {} : { email: row.email }),
    ...(row.status !== 'active' ? { note: 'left' } : row.is_guest ? { note: 'guest' } : {}),
  }));
  return { people, everyone };
}

const pickLabel = (person: Pickable) => {
  const notes = [person.email, person.note].filter(Boolean).join(', ');
  return notes ? `${person.name} (${notes})` : person.name;
};

/** Everyone to pick from, in one list. */
function peopleSelect(
  which: Which,
  people: readonly Pickable[],
  named: readonly number[],
): SafeHtml {
  return html`<label>People <select name="members" multiple size="${Math.min(Math.max(people.length, 2), 8)}" aria-describedby="people-hint-${which}">${people.map(
    (person) => option(String(person.id), pickLabel(person), named.includes(person.id)),
  )}</select></label>
<small id="people-hint-${which}" class="muted">Hold Ctrl (⌘ on a Mac) to pick several people, or to unpick one.</small>`;
}

/** The people the rule names, to keep or unpick, and a field to add others by email or name. */
function peopleTyped(
  which: Which,
  people: readonly Pickable[],
  named: readonly number[],
): SafeHtml {
  const picked = people.filter((person) => named.includes(person.id));
  return html`<fieldset><legend>People</legend>${
    picked.length === 0
      ? html`<p class="muted">No one by name yet.</p>`
      : picked.map(
          (person) =>
            html`<label class="choice"><input type="checkbox" name="members" value="${person.id}" checked> ${pickLabel(person)}</label>`,
        )
  }
<label>Add people <textarea name="add_people" rows="2" aria-describedby="people-hint-${which}"></textarea></label>
<small id="people-hint-${which}" class="muted">Emails or names, one per line or separated by commas. Untick someone to take them off.</small></fieldset>`;
}

function ruleForm(
  viewer: ConsoleViewer,
  which: Which,
  rule: PermissionRule,
  people: { people: readonly Pickable[]; everyone: boolean },
  groups: readonly Pickable[],
): SafeHtml {
  const listed: PermissionSubjects = rule.kind === 'everyone' ? {} : rule;
  const named = listed.members ?? [];
  const checked = (on: boolean) => (on ? html` checked` : '');
  const verb = which === 'give' ? 'give' : 'receive';
  return html`<form method="post" action="${PATH}/${which}" class="stack rule-form">${csrfField(viewer)}
<fieldset><legend>Who may ${verb} kudos</legend>${SHAPES.map(
    (shape) =>
      html`<label class="choice"><input type="radio" name="kind" value="${shape.kind}"${checked(rule.kind === shape.kind)}> ${shape.label}</label>`,
  )}</fieldset>
<fieldset><legend>Roles</legend>${ROLE_CHOICES.map(
    (choice) =>
      html`<label class="choice"><input type="checkbox" name="roles" value="${choice.role}"${checked((listed.roles ?? []).includes(choice.role))}> ${choice.label}</label>`,
  )}</fieldset>
<fieldset><legend>Groups</legend>${
    groups.length === 0
      ? html`<p class="muted">No groups yet; admins make them in chat with admin groups.</p>`
      : groups.map(
          (group) =>
            html`<label class="choice"><input type="checkbox" name="groups" value="${group.id}"${checked((listed.groups ?? []).includes(group.id))}> ${group.name}</label>`,
        )
  }</fieldset>
${people.everyone ? peopleSelect(which, people.people, named) : peopleTyped(which, people.people, named)}
<button type="submit">Save who may ${verb}</button>
</form>`;
}

async function permissionsPage(deps: ConsoleDeps, req: Request, res: Response): Promise<void> {
  const viewer = viewerOf(res);
  const { db } = deps.services;
  const organizationId = viewer.organizationId;
  const rules = await readPermissionRules(db, organizationId);
  const named = [rules.give, rules.receive].flatMap((rule) =>
    rule.kind === 'everyone' ? [] : [...(rule.members ?? [])],
  );
  const [names, groupViews, people] = await Promise.all([
    loadRuleNames(db, organizationId, [rules.give, rules.receive]),
    listGroups(db, organizationId),
    pickablePeople(deps, organizationId, named),
  ]);
  const groups = groupViews.map((group) => ({ id: group.id, name: group.name }));
  const section = (which: Which, heading: string) =>
    html`<section aria-labelledby="rule-${which}">
<h2 id="rule-${which}">${heading}</h2>
<p class="rule-text">${describeRule(which, rules[which], names)}</p>
${ruleForm(viewer, which, rules[which], people, groups)}
</section>`;
  sendPage(req, res, {
    title: 'Permissions',
    active: 'permissions',
    body: html`<p class="muted">Who may give and who may receive kudos. Each rule reads as a sentence; change it below. Guests take part only when the guests setting allows it.</p>
${section('give', 'Giving')}
${section('receive', 'Receiving')}`,
  });
}

/** The rule form's fields that take several values: the people, groups and roles ticked. */
export const PERMISSION_LISTS = ['members', 'groups', 'roles'] as const;

async function saveRule(deps: ConsoleDeps, req: Request, res: Response): Promise<void> {
  const which = req.params.which;
  if (which !== 'give' && which !== 'receive') {
    sendPage(req, res, {
      title: 'No such rule',
      active: 'permissions',
      status: 404,
      body: html`<p>There are two rules: who may give and who may receive.</p>`,
    });
    return;
  }
  const viewer = viewerOf(res);
  const { db } = deps.services;
  const body = (req.body ?? {}) as Record<string, unknown>;
  const kind = valuesOf(body.kind).at(-1) ?? '';
  // Names are looked up for admins only: anyone else is refused (and audited) by the
  // rules service, without learning who the names and emails belong to.
  const typed =
    kind === 'everyone' || !viewer.roles.includes('admin')
      ? { ok: true as const, ids: [] }
      : await peopleByName(db, viewer.organizationId, valuesOf(body.add_people).join('\n'));
  if (!typed.ok) {
    redirectWithNotice(res, PATH, 'refused', `${fewOf(typed.problems)} Nothing changed.`);
    return;
  }
  const members = valuesOf(body.members).map(idOf);
  // Picks left in the form while "Everyone" is chosen mean nothing: everyone is everyone.
  const rule = (
    kind === 'everyone'
      ? { kind }
      : {
          kind,
          members: [...members, ...typed.ids.filter((id) => !members.includes(id))],
          groups: valuesOf(body.groups).map(idOf),
          roles: valuesOf(body.roles) as MemberRole[],
        }
  ) as PermissionRule;
  const before = (await readPermissionRules(db, viewer.organizationId))[which];
  const set = await setPermissionRule(deps.services, viewer.actor, which, rule);
  if (!set.ok) {
    const tail = set.code === 'not_admin' ? '' : ' Nothing changed.';
    redirectWithNotice(res, PATH, 'refused', `${set.message}${tail}`);
    return;
  }
  const names = await loadRuleNames(db, viewer.organizationId, [set.value]);
  const sentence = describeRule(which, set.value, names);
  const same = JSON.stringify(normalRule(before)) === JSON.stringify(set.value);
  redirectWithNotice(
    res,
    PATH,
    'done',
    same ? `Nothing changed: ${sentence}` : `Saved. ${sentence}`,
  );
}

/** The first few problems, and how many more: a notice is a line, not a report. */
function fewOf(problems: readonly string[], most = 3): string {
  const rest = problems.length - most;
  return [
    ...problems.slice(0, most),
    ...(rest > 0
      ? [`${rest} more ${rest === 1 ? 'entry names' : 'entries name'} no one or several people.`]
      : []),
  ].join(' ');
}

/**
 * Permissions: who may give and who may receive kudos, each told as the rule reads and
 * edited as its shape (everyone, only, everyone except) with the roles, groups and people
 * it names. Saving goes through the rules service, checked and audited as in chat.
 */
export function registerPermissionsPage(routes: Router, deps: ConsoleDeps): void {
  routes.get(PATH, requireConsoleRole('admin'), (req, res) => permissionsPage(deps, req, res));
  // Only admins see the form; anyone else who posts it is refused (and audited) by the service.
  routes.post(`${PATH}/:which`, requireConsoleRole('admin-or-hr'), (req, res) =>
    saveRule(deps, req, res),
  );
}
