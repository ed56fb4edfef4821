import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningPlaudit } from '../../src/app.ts';
import { FakeBotConnector } from '../support/fake-bot-connector.ts';
import { botInstalled, postActivity, type TeamsScene } from '../support/teams-activities.ts';
import {
  type CommandContext,
  messageExtensionInvoke,
  messagePayload,
} from '../support/teams-invokes.ts';
import { teamsEarned, tenantLedgerRows } from '../support/teams-ledger.ts';
import {
  connectorToken,
  startTeamsPlaudit,
  teamsScene,
  tenantPeople,
} from '../support/teams-plaudit.ts';

const APP_ID = randomUUID();

interface TaskResponse {
  task?: { type: 'continue' | 'message'; value: unknown };
  composeExtension?: { type: string; attachmentLayout: string; attachments: unknown[] };
}

interface CardInput {
  id: string;
  type: string;
  value?: unknown;
  choices?: Array<{ title: string; value: string }>;
}

/** The task module's card: its inputs by id, its texts, and what its Submit sends back. */
function taskCard(response: TaskResponse) {
  expect(response.task?.type).toBe('continue');
  const value = response.task?.value as {
    title: string;
    card: {
      contentType: string;
      content: { body: Array<Record<string, unknown>>; actions: Array<Record<string, unknown>> };
    };
  };
  expect(value.title).toBe('Give kudos');
  expect(value.card.contentType).toBe('application/vnd.microsoft.card.adaptive');
  const { body, actions } = value.card.content;
  const inputs = new Map(
    body
      .filter((element) => String(element.type).startsWith('Input.'))
      .map((element) => [element.id as string, element as unknown as CardInput]),
  );
  const texts = body
    .filter((element) => element.type === 'TextBlock')
    .map((element) => element.text);
  const submit = actions.find((action) => action.type === 'Action.Submit');
  return { inputs, texts, data: submit?.data as Record<string, string> };
}

describe('the Teams message extension "Give kudos"', () => {
  const tenantId = randomUUID();
  const connector = new FakeBotConnector();
  let plaudit: RunningPlaudit;
  let scene: TeamsScene;
  const person = tenantPeople(connector, tenantId);
  const ana = person('Ana');
  const li = person('Li');
  const channel = `19:${randomUUID()}@thread.tacv2`;
  const link = `https://teams.microsoft.com/l/message/${channel}/1700000000000`;

  /** Posts an invoke signed as the Bot Connector signs it; its response's body, parsed. */
  async function invoke(activity: Record<string, unknown>): Promise<TaskResponse> {
    const response = await postActivity(plaudit.url, activity, connectorToken(connector, APP_ID));
    await plaudit.settled();
    expect(response.status).toBe(200);
    return JSON.parse(response.body) as TaskResponse;
  }
  const opened = (from = ana, where: CommandContext = 'compose', payload?: object) =>
    messageExtensionInvoke(
      scene,
      from,
      'composeExtension/fetchTask',
      {
        commandId: 'giveKudos',
        commandContext: where,
        ...(payload ? { messagePayload: payload as Record<string, unknown> } : {}),
      },
      { conversationType: 'channel', conversationId: channel },
    );
  const submitted = (data: Record<string, unknown>, where: CommandContext = 'compose') =>
    messageExtensionInvoke(
      scene,
      ana,
      'composeExtension/submitAction',
      { commandId: 'giveKudos', commandContext: where, data },
      { conversationType: 'channel', conversationId: channel },
    );
  const earned = (user = li) => teamsEarned(plaudit.db, tenantId, user);
  const ledgerRows = () => tenantLedgerRows(plaudit.db, tenantId);

  beforeAll(async () => {
    await connector.start();
    scene = teamsScene(connector, APP_ID, tenantId);
    plaudit = await startTeamsPlaudit(connector, APP_ID, { TEAMS_ALLOWED_TENANTS: tenantId });
    // Installing the app (which brings the message extension) adds the bot to Ana's chats.
    const installed = await postActivity(
      plaudit.url,
      botInstalled(scene, ana),
      connectorToken(connector, APP_ID),
    );
    expect(installed.status).toBe(200);
  });
  afterAll(async () => {
    await plaudit?.close();
    await connector.stop();
  });

  it('opens the give-kudos card from the compose box, with the card it names', async () => {
    const { inputs, data } = taskCard(await invoke(opened()));
    expect(inputs.get('recipients')).toMatchObject({
      type: 'Input.ChoiceSet',
      choices: [],
      'choices.data': { type: 'Data.Query', dataset: 'graph.microsoft.com/users' },
    });
    expect(inputs.get('recipients')?.value).toBeUndefined();
    expect(inputs.get('amount')).toMatchObject({ type: 'Input.Number', value: 10 });
    expect(inputs.get('reason')?.value).toBeUndefined();
    expect(data.verb).toBe('give_kudos');
    expect(data.plauditCard).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("opens it from a message's menu for the message's author, with a link to the message", async () => {
    const { inputs } = taskCard(await invoke(opened(ana, 'message', messagePayload(li, link))));
    expect(inputs.get('recipients')).toMatchObject({
      value: li.aadObjectId,
      choices: [{ title: 'Li', value: li.aadObjectId }],
    });
    expect(inputs.get('reason')?.value).toBe(`your message ${link}`);
  });

  it("leaves the recipient empty on one's own message", async () => {
    const { inputs } = taskCard(await invoke(opened(ana, 'message', messagePayload(ana, link))));
    expect(inputs.get('recipients')?.value).toBeUndefined();
    expect(inputs.get('reason')?.value).toBe(`your message ${link}`);
  });

  it('gives through the same path as every give, once per card, and puts the celebration in the compose box', async () => {
    const { data } = taskCard(await invoke(opened(ana, 'message', messagePayload(li, link))));
    const before = { earned: await earned(), rows: await ledgerRows() };
    const submit = submitted(
      { ...data, recipients: li.aadObjectId, amount: 3, reason: `your message ${link}` },
      'message',
    );
    const response = await invoke(submit);
    expect(await earned()).toBe(before.earned + 3);
    const given = await ledgerRows();
    expect(given.recognitions).toBe(before.rows.recognitions + 1);
    expect(response.composeExtension).toMatchObject({ type: 'result', attachmentLayout: 'list' });
    const celebration = JSON.stringify(response.composeExtension?.attachments);
    expect(celebration).toContain('Ana gave Li 3 points');
    expect(celebration).toContain('your message https://teams.microsoft.com/l/message/');
    // Li hears of it in her chat with the bot, as from any give.
    expect(connector.sentTo(`a:chat-with-${li.id}`).map((sent) => sent.activity.text)).toContain(
      `🎉 Ana gave you 3 points for your message ${link}`,
    );

    // Teams sends the same invoke again, or Submit is clicked twice: what was given, once.
    expect((await invoke(submit)).task).toEqual({
      type: 'message',
      value: expect.stringMatching(/^You gave 3 points to Li for your message https:/),
    });
    // The same card submitted again, changed: refused, nothing moves.
    const again = await invoke(
      submitted({ ...data, recipients: li.aadObjectId, amount: 4, reason: 'more' }, 'message'),
    );
    expect(taskCard(again).texts).toContain(
      'That card was already used: open Give kudos again for a new one.',
    );
    expect(await earned()).toBe(before.earned + 3);
    expect(await ledgerRows()).toEqual(given);
  });

  it('shows a refusal above the card as it was filled in, and moves nothing', async () => {
    const { data } = taskCard(await invoke(opened()));
    const before = { earned: await earned(), rows: await ledgerRows() };
    const refused = taskCard(
      await invoke(
        submitted({ ...data, recipients: li.aadObjectId, amount: 5000, reason: 'the launch' }),
      ),
    );
    expect(refused.texts[1]).toMatch(/points|allowance/);
    expect(refused.texts[1]).not.toBe('Give kudos');
    expect(refused.inputs.get('amount')?.value).toBe(5000);
    expect(refused.inputs.get('reason')?.value).toBe('the launch');
    expect(refused.inputs.get('recipients')).toMatchObject({
      value: li.aadObjectId,
      choices: [{ title: 'Li', value: li.aadObjectId }],
    });
    // The same card, still unused, gives once the problem is fixed.
    expect(refused.data.plauditCard).toBe(data.plauditCard);
    expect(await earned()).toBe(before.earned);
    expect(await ledgerRows()).toEqual(before.rows);

    const self = taskCard(
      await invoke(submitted({ ...data, recipients: ana.aadObjectId, amount: 2, reason: 'me' })),
    );
    expect(self.texts[1]).toMatch(/yourself/);
    expect(await ledgerRows()).toEqual(before.rows);

    const fixed = await invoke(
      submitted({ ...data, recipients: li.aadObjectId, amount: 2, reason: 'the launch' }),
    );
    expect(fixed.composeExtension?.type).toBe('result');
    expect(await earned()).toBe(before.earned + 2);
  });

  it('answers in the task module when opened from the command box', async () => {
    const { data } = taskCard(await invoke(opened(ana, 'commandBox')));
    const before = await earned();
    const response = await invoke(
      submitted(
        { ...data, recipients: li.aadObjectId, amount: 1, reason: 'the review' },
        'commandBox',
      ),
    );
    expect(response.task?.type).toBe('message');
    expect(response.task?.value).toMatch(/^You gave 1 point to Li for the review\./);
    expect(await earned()).toBe(before + 1);
  });

  it('asks someone it has not met, in a chat the bot is not in, to say hello first', async () => {
    const before = await ledgerRows();
    const newcomer = person('Nia Newcomer');
    // A one-to-one chat between colleagues: the Bot Connector does not know who is in it.
    const elsewhere = {
      conversationType: 'personal' as const,
      conversationId: `a:${randomUUID()}`,
    };
    for (const name of ['composeExtension/fetchTask', 'composeExtension/submitAction'] as const) {
      const response = await invoke(
        messageExtensionInvoke(
          scene,
          newcomer,
          name,
          {
            commandId: 'giveKudos',
            commandContext: 'compose',
            data: { recipients: li.aadObjectId, amount: 1, reason: 'hello' },
          },
          elsewhere,
        ),
      );
      expect(response.task).toEqual({
        type: 'message',
        value:
          'Plaudit has not met you yet: open your chat with Plaudit, say hello, then give kudos from here.',
      });
    }
    expect(await ledgerRows()).toEqual(before);
  });

  it('takes no invoke without a Bot Framework token, and none from a tenant not allowed', async () => {
    const before = await ledgerRows();
    const { data } = taskCard(await invoke(opened()));
    const unsigned = await postActivity(
      plaudit.url,
      submitted({ ...data, recipients: li.aadObjectId, amount: 1, reason: 'x' }),
    );
    expect(unsigned.status).toBe(401);
    const elsewhere = messageExtensionInvoke(
      scene,
      ana,
      'composeExtension/fetchTask',
      { commandId: 'giveKudos', commandContext: 'compose' },
      { tenantId: randomUUID() },
    );
    const refused = await invoke(elsewhere);
    expect(refused.task).toEqual({
      type: 'message',
      value: expect.stringMatching(/^Plaudit is not set up for your organization/),
    });
    expect(await ledgerRows()).toEqual(before);
  });
});
