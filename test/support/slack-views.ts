/** A view's input state as Slack submits it: by block id, then action id. */
export type ViewState = {
  values: Record<string, Record<string, Record<string, unknown>>>;
};

interface ViewBlock {
  readonly type: string;
  readonly block_id?: string;
  readonly element?: Record<string, unknown>;
}

/**
 * The state Slack sends for a modal submitted as it was opened: each input holds its
 * initial value, in the field Slack uses for that kind of element.
 */
export function submittedAsOpened(view: { readonly blocks: readonly unknown[] }): ViewState {
  const values: ViewState['values'] = {};
  for (const block of view.blocks as ViewBlock[]) {
    const element = block.element;
    if (block.type !== 'input' || !block.block_id || !element) continue;
    const state: Record<string, unknown> = { type: element.type };
    switch (element.type) {
      case 'checkboxes':
        state.selected_options = element.initial_options ?? [];
        break;
      case 'static_select':
        state.selected_option = element.initial_option ?? null;
        break;
      case 'conversations_select':
        state.selected_conversation = element.initial_conversation ?? null;
        break;
      default:
        state.value = element.initial_value ?? null;
    }
    values[block.block_id] = { [String(element.action_id)]: state };
  }
  return { values };
}

/** Sets one input of a submitted state, in the field its element type uses. */
export function withInput(state: ViewState, blockId: string, value: string | boolean): ViewState {
  const [actionId, input] = Object.entries(state.values[blockId] ?? {})[0] ?? [];
  if (!actionId || !input) throw new Error(`the view has no input ${blockId}`);
  const changed: Record<string, unknown> = { ...input };
  switch (input.type) {
    case 'checkboxes':
      changed.selected_options = value === true ? [{ value: 'yes' }] : [];
      break;
    case 'static_select':
      changed.selected_option = { value: String(value) };
      break;
    case 'conversations_select':
      changed.selected_conversation = value === '' ? null : String(value);
      break;
    default:
      changed.value = value === '' ? null : String(value);
  }
  return { values: { ...state.values, [blockId]: { [actionId]: changed } } };
}

/**
 * A `view_submission` of the give-kudos modal as Slack posts it, by `userId` of `teamId`,
 * with the fields filled in; `private` adds the private box (ticked or not).
 */
export function giveModalSubmission(
  teamId: string,
  userId: string,
  viewId: string,
  fields: {
    readonly users: readonly string[];
    readonly points?: string;
    readonly reason?: string;
    readonly private?: boolean;
    readonly triggerId?: string;
  },
) {
  const boxed = fields.private !== undefined;
  return {
    type: 'view_submission',
    team: { id: teamId, domain: 'acme' },
    user: { id: userId, team_id: teamId },
    api_app_id: 'A1',
    token: 'deprecated',
    trigger_id: fields.triggerId ?? `trigger-${viewId}`,
    view: {
      id: viewId,
      team_id: teamId,
      type: 'modal',
      callback_id: 'give_kudos_modal',
      private_metadata: JSON.stringify({ channel: 'C1' }),
      hash: 'h',
      blocks: [
        { type: 'input', block_id: 'recipients' },
        { type: 'input', block_id: 'amount' },
        { type: 'input', block_id: 'reason' },
        ...(boxed ? [{ type: 'input', block_id: 'private' }] : []),
      ],
      state: {
        values: {
          recipients: { users: { type: 'multi_users_select', selected_users: [...fields.users] } },
          amount: { points: { type: 'number_input', value: fields.points ?? null } },
          reason: { text: { type: 'plain_text_input', value: fields.reason ?? null } },
          ...(boxed && {
            private: {
              private: {
                type: 'checkboxes',
                selected_options: fields.private ? [{ value: 'private' }] : [],
              },
            },
          }),
        },
      },
    },
  };
}
