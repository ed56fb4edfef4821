import type { Request, Response, Router } from 'express';
import {
  changeProgramSettings,
  type ProgramSettings,
  readProgramSettings,
} from '../../admin/program-settings.ts';
import { readSettingPairs, settingsChangeOf } from '../../admin/settings-command.ts';
import {
  SETTING_FIELDS,
  type SettingField,
  type SettingsFormKey,
  type SettingsFormValues,
  settingsFormChange,
  settingsFormValues,
  settingsRefusalByField,
} from '../../admin/settings-form.ts';
import { listNames, points } from '../../recognition/wording.ts';
import { requireConsoleRole } from '../console-auth.ts';
import type { ConsoleDeps } from '../console-deps.ts';
import { redirectWithNotice } from '../console-flash.ts';
import { option, textOf } from '../console-form.ts';
import { html, type SafeHtml } from '../console-html.ts';
import { csrfField, sendPage } from '../console-layout.ts';
import { type ConsoleViewer, viewerOf } from '../console-viewer.ts';

const PATH = '/console/settings';

const isFormKey = (key: string): key is SettingsFormKey =>
  SETTING_FIELDS.some((field) => field.key === key);

/** The values a form showed when it was drawn, sent back so only what the admin changed is sent. */
function shownOf(text: string | undefined): SettingsFormValues | undefined {
  if (!text) return undefined;
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    const shown: SettingsFormValues = {};
    for (const [key, value] of Object.entries(parsed)) {
      if (isFormKey(key) && typeof value === 'string') shown[key] = value;
    }
    return shown;
  } catch {
    return undefined;
  }
}

/** The switches, each sent as its hidden "no" and, when ticked, its "yes" after it. */
export const SETTING_SWITCHES = SETTING_FIELDS.filter((field) => field.kind === 'toggle').map(
  (field) => field.key,
);

const fieldId = (key: SettingsFormKey) => `setting-${key}`;

function fieldInput(field: SettingField, value: string, error: string | undefined): SafeHtml {
  const id = fieldId(field.key);
  const describedBy = [field.hint ? `${id}-hint` : '', error ? `${id}-error` : '']
    .filter(Boolean)
    .join(' ');
  const aria = html`${describedBy ? html` aria-describedby="${describedBy}"` : ''}${error ? html` aria-invalid="true"` : ''}`;
  const hint = field.hint ? html`<small id="${id}-hint" class="muted">${field.hint}</small>` : '';
  const problem = error ? html`<p id="${id}-error" class="field-error">${error}</p>` : '';
  if (field.kind === 'toggle') {
    // An unticked box sends nothing: the hidden "no" before it is what is sent then.
    return html`<fieldset class="field${error ? ' has-error' : ''}"><legend>${field.title ?? field.label}</legend>
<input type="hidden" name="${field.key}" value="no">
<label class="choice"><input type="checkbox" id="${id}" name="${field.key}" value="yes"${value === 'yes' ? html` checked` : ''}${aria}> ${field.label}</label>
${hint}${problem}</fieldset>`;
  }
  let control: SafeHtml;
  if (field.kind === 'choice') {
    const choices = field.choices ?? [];
    const all = choices.includes(value) ? choices : [value, ...choices];
    control = html`<select id="${id}" name="${field.key}"${aria}>${all.map((choice) =>
      option(choice, choice, choice === value),
    )}</select>`;
  } else {
    const mode =
      field.kind === 'integer'
        ? html` inputmode="numeric"`
        : field.kind === 'decimal'
          ? html` inputmode="decimal"`
          : '';
    control = html`<input type="text" id="${id}" name="${field.key}" value="${value}"${mode}${aria}>`;
  }
  return html`<div class="field${error ? ' has-error' : ''}"><label for="${id}">${field.label}</label>
${control}${hint}${problem}</div>`;
}

/** The allowance overrides, which name people and roles and so are set in chat. */
async function overrides(
  deps: ConsoleDeps,
  organizationId: number,
  settings: ProgramSettings,
): Promise<SafeHtml> {
  const roleNames = { member: 'members', admin: 'admins', hr: 'HR' } as const;
  const byRole = Object.entries(settings.roleAllowances).map(
    ([role, amount]) => `${roleNames[role as keyof typeof roleNames]}: ${points(amount)}`,
  );
  const ids = settings.memberAllowances.map((entry) => entry.memberId);
  const rows =
    ids.length === 0
      ? []
      : await deps.services.db
          .selectFrom('members')
          .select(['id', 'display_name'])
          .where('organization_id', '=', organizationId)
          .where('id', 'in', ids)
          .execute();
  const names = new Map(rows.map((row) => [row.id, row.display_name]));
  const byPerson = settings.memberAllowances.map(
    ({ memberId, amount }) => `${names.get(memberId) ?? `member ${memberId}`}: ${points(amount)}`,
  );
  return html`<h2>Allowance overrides</h2>
<dl class="facts">
<dt>By role</dt><dd>${byRole.length > 0 ? byRole.join(', ') : 'none'}</dd>
<dt>By person</dt><dd>${byPerson.length > 0 ? byPerson.join(', ') : 'none'}</dd>
</dl>
<p class="muted">These name roles and people, so they are set in chat: admin settings role-allowance=hr:200 or member-allowance=@ana:50.</p>`;
}

interface FormState {
  /** What each field holds: the settings now, or what was sent back with a problem. */
  readonly values: SettingsFormValues;
  /** What the form showed when it was first drawn. */
  readonly shown: SettingsFormValues;
  readonly errors?: Partial<Record<SettingsFormKey, string>>;
  /** The problems at the top: each field's, or a sentence no field owns. */
  readonly problems?: ReadonlyArray<{ key?: SettingsFormKey; text: string }>;
}

/** The problems at the top, a sentence about several fields once, linking each of them. */
function summaryItems(problems: FormState['problems'] & object): SafeHtml[] {
  const byText = new Map<string, SettingField[]>();
  for (const problem of problems) {
    const field = SETTING_FIELDS.find((candidate) => candidate.key === problem.key);
    byText.set(problem.text, [...(byText.get(problem.text) ?? []), ...(field ? [field] : [])]);
  }
  return [...byText].map(([text, fields]) => {
    if (fields.length === 0) return html`<li>${text}</li>`;
    const links = fields.map(
      (field, i) =>
        html`${i === 0 ? '' : i === fields.length - 1 ? ' and ' : ', '}<a href="#${fieldId(field.key)}">${field.label}</a>`,
    );
    return html`<li>${links}: ${text}</li>`;
  });
}

async function renderSettings(
  deps: ConsoleDeps,
  req: Request,
  res: Response,
  viewer: ConsoleViewer,
  settings: ProgramSettings,
  state: FormState,
  status = 200,
): Promise<void> {
  const problems = state.problems ?? [];
  const summary =
    problems.length === 0
      ? ''
      : html`<div class="error-summary" role="alert">
<h2>Nothing was saved</h2>
<p>Put right what is below, then save again.</p>
<ul>${summaryItems(problems)}</ul>
</div>`;
  sendPage(req, res, {
    title: 'Settings',
    active: 'settings',
    status,
    body: html`${summary}
<p class="muted">Changes hold from the moment they are saved, in chat as here. Only the fields you change are saved.</p>
<form method="post" action="${PATH}" class="stack settings-form" novalidate>${csrfField(viewer)}
<input type="hidden" name="_shown" value="${JSON.stringify(state.shown)}">
${SETTING_FIELDS.map((field) =>
  fieldInput(field, state.values[field.key] ?? '', state.errors?.[field.key]),
)}
<button type="submit">Save settings</button>
</form>
${await overrides(deps, viewer.organizationId, settings)}`,
  });
}

async function settingsPage(deps: ConsoleDeps, req: Request, res: Response): Promise<void> {
  const viewer = viewerOf(res);
  const settings = await readProgramSettings(deps.services.db, viewer.organizationId);
  const values = settingsFormValues(settings);
  await renderSettings(deps, req, res, viewer, settings, { values, shown: values });
}

/** What saving came to: a notice to redirect with, or a refusal to show on the form. */
type Attempt = { done: boolean; text: string } | { code: string; text: string };

/** Reads the form's change as chat reads `admin settings key=value …`, and makes it. */
async function attempt(
  deps: ConsoleDeps,
  viewer: ConsoleViewer,
  before: ProgramSettings,
  change: { keys: readonly SettingsFormKey[]; command: string },
): Promise<Attempt> {
  // The same reading as `admin settings key=value …` in chat: one grammar, one check.
  const pairs = readSettingPairs(change.command.replace(/^admin settings /, ''));
  if (typeof pairs === 'string') return { code: 'usage', text: pairs };
  const read = await settingsChangeOf(deps.services.db, null, pairs, before);
  // Only the chat keys that name people can be unreadable, and no form field is one.
  if ('problems' in read) return { code: 'usage', text: read.problems.join(' ') };
  // Anyone but an admin is refused (and audited) by the service before it reads a value.
  const result = await changeProgramSettings(deps.services, viewer.actor, read);
  if (!result.ok) {
    return result.code === 'not_admin'
      ? { done: false, text: result.message }
      : { code: result.code, text: result.message };
  }
  if (JSON.stringify(result.value) === JSON.stringify(before)) {
    return { done: true, text: 'Nothing changed: the settings were already so.' };
  }
  const labels = SETTING_FIELDS.filter((field) => change.keys.includes(field.key)).map(
    (field) => field.title ?? field.label,
  );
  return { done: true, text: `Saved: ${listNames(labels)}. The change holds from now on.` };
}

async function saveSettings(deps: ConsoleDeps, req: Request, res: Response): Promise<void> {
  const viewer = viewerOf(res);
  const { db } = deps.services;
  const body = (req.body ?? {}) as Record<string, unknown>;
  const before = await readProgramSettings(db, viewer.organizationId);
  const shown = shownOf(textOf(body._shown)) ?? settingsFormValues(before);
  const submitted: SettingsFormValues = {};
  for (const field of SETTING_FIELDS) {
    const value = textOf(body[field.key]);
    if (value !== undefined) submitted[field.key] = value;
  }
  const change = settingsFormChange(shown, submitted);
  if (change.keys.length === 0) {
    redirectWithNotice(res, PATH, 'done', 'Nothing changed: the settings are as they were.');
    return;
  }
  const refusal = await attempt(deps, viewer, before, change);
  if ('done' in refusal) {
    redirectWithNotice(res, PATH, refusal.done ? 'done' : 'refused', refusal.text);
    return;
  }
  const byField = settingsRefusalByField(
    { outcome: 'refused', code: refusal.code, text: refusal.text },
    change.keys,
  );
  const problems = byField
    ? SETTING_FIELDS.flatMap((field) => {
        const text = byField[field.key];
        return text ? [{ key: field.key, text }] : [];
      })
    : [{ text: refusal.text }];
  await renderSettings(
    deps,
    req,
    res,
    viewer,
    before,
    {
      values: { ...shown, ...submitted },
      shown,
      errors: byField ?? {},
      problems,
    },
    422,
  );
}

/**
 * Settings: every program setting in one form, with the fields of chat's settings form
 * (the same keys, reading and validation). Saving sends only the fields that changed
 * through the settings service, checked and audited as in chat; a bad value is named
 * beside its field and at the top, and nothing is saved.
 */
export function registerSettingsPage(routes: Router, deps: ConsoleDeps): void {
  routes.get(PATH, requireConsoleRole('admin'), (req, res) => settingsPage(deps, req, res));
  // Only admins see the form; anyone else who posts it is refused (and audited) by the service.
  routes.post(PATH, requireConsoleRole('admin-or-hr'), (req, res) => saveSettings(deps, req, res));
}
