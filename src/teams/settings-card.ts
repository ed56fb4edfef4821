import type { Attachment } from 'botbuilder';
import {
  SETTING_FIELDS,
  type SettingField,
  type SettingsFormKey,
  type SettingsFormValues,
} from '../admin/settings-form.ts';
import { type CardElement, card } from './teams-cards.ts';

/** The verb of the settings card's submit action; `app.adaptiveCards.actionSubmit` routes on it. */
export const SETTINGS_FORM_VERB = 'admin_settings';

/** Where the card's submit data keeps the values the card showed. */
const SHOWN = 'plauditShown';

function input(field: SettingField, value: string): CardElement {
  const common = {
    id: field.key,
    label: field.kind === 'toggle' ? (field.title ?? field.label) : field.label,
  };
  switch (field.kind) {
    case 'integer':
    case 'decimal':
      // Left empty, a number field that may be empty means none; the others are required.
      return {
        type: 'Input.Number',
        ...common,
        ...(value !== '' && { value: Number(value) }),
        ...(field.hint && { placeholder: field.hint }),
        isRequired: field.emptyMeansNone !== true,
        errorMessage: `${field.label} needs a number.`,
      };
    case 'choice':
      return {
        type: 'Input.ChoiceSet',
        ...common,
        style: 'compact',
        value,
        choices: (field.choices ?? []).map((choice) => ({ title: choice, value: choice })),
      };
    case 'toggle':
      return {
        type: 'Input.Toggle',
        ...common,
        title: field.label,
        value: value === 'yes' ? 'true' : 'false',
        valueOn: 'true',
        valueOff: 'false',
      };
    default:
      return {
        type: 'Input.Text',
        ...common,
        value,
        ...(field.hint && { placeholder: field.hint }),
      };
  }
}

/**
 * The settings form as an Adaptive Card, filled in with the current settings. Its submit
 * action carries the values it showed, so the submission sends only what was changed.
 */
export function settingsCard(options: {
  readonly values: Record<SettingsFormKey, string>;
  /** The fields this admin may change. @defaultValue every field */
  readonly fields?: readonly SettingField[];
}): Attachment {
  const fields = options.fields ?? SETTING_FIELDS;
  const shown: SettingsFormValues = {};
  for (const field of fields) shown[field.key] = options.values[field.key];
  return card(
    [
      {
        type: 'TextBlock',
        text: 'Program settings',
        size: 'Large',
        weight: 'Bolder',
        wrap: true,
      },
      ...fields.map((field) => input(field, options.values[field.key])),
    ],
    [
      {
        type: 'Action.Submit',
        title: 'Save',
        data: { verb: SETTINGS_FORM_VERB, [SHOWN]: shown },
      },
    ],
  );
}

/** What a submission of the card holds: its inputs by key, and the values it showed. */
export function settingsCardSubmission(data: Record<string, unknown>): {
  shown: SettingsFormValues | undefined;
  submitted: SettingsFormValues;
} {
  const shownData = data[SHOWN];
  const shown =
    typeof shownData === 'object' && shownData !== null
      ? (shownData as SettingsFormValues)
      : undefined;
  const submitted: SettingsFormValues = {};
  for (const field of SETTING_FIELDS) {
    const value = data[field.key];
    // Teams may leave an emptied input out: a field the card showed is then empty.
    if (value === undefined || value === null) {
      if (shown?.[field.key] !== undefined) submitted[field.key] = '';
      continue;
    }
    submitted[field.key] = String(value);
  }
  return { shown, submitted };
}
