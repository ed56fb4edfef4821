import { randomUUID } from 'node:crypto';
import type { Application, TurnState } from '@microsoft/teams-ai';
import {
  type Activity,
  ActivityTypes,
  type MessagingExtensionResult,
  type TaskModuleTaskInfo,
  type TurnContext,
} from 'botbuilder';
import { z } from 'zod/v4';
import { celebratedKudos, type Reply } from '../core/reply.ts';
import { findIdentifiedMember, type Member } from '../directory/members.ts';
import type { RecognitionServices } from '../recognition/recognition-services.ts';
import {
  celebrationCard,
  type GiveKudosPrefill,
  type GiveKudosSubmission,
  giveKudosCard,
  submissionAsCommand,
} from './teams-cards.ts';
import type { TeamsHandlers } from './teams-handlers.ts';

/** The message extension's action command, as manifests/teams/manifest.json names it. */
export const GIVE_KUDOS_COMMAND = 'giveKudos';

/** The field of the task module's card that names the card, so that it gives once. */
const CARD_FIELD = 'plauditCard';

const TITLE = 'Give kudos';

const CARD_USED = 'That card was already used: open Give kudos again for a new one.';

/**
 * Someone Plaudit has not met, writing where the bot is not (a chat between colleagues):
 * the Bot Connector will not say who they are there.
 */
const NOT_MET =
  'Plaudit has not met you yet: open your chat with Plaudit, say hello, then give kudos from here.';

/** A sentence for the task module in place of the card. */
class TaskRefusal extends Error {}

/** Where the command was opened: the compose box, the command box, or a message's "…" menu. */
const commandContext = z.enum(['compose', 'commandBox', 'message']).catch('compose');

/** The message a "…" menu's command was opened on, as Teams describes it. */
const messagePayload = z.looseObject({
  linkToMessage: z.string().url().startsWith('https://').optional().catch(undefined),
  from: z
    .looseObject({
      user: z
        .looseObject({
          id: z.string().min(1),
          displayName: z.string().max(256).optional(),
        })
        .optional()
        .catch(undefined),
    })
    .nullish()
    .catch(undefined),
});

const fetchTaskValue = z.looseObject({
  commandContext,
  messagePayload: messagePayload.optional().catch(undefined),
});

const submitActionValue = z.looseObject({
  commandContext,
  data: z
    .looseObject({
      recipients: z.string().max(10_000).optional().catch(undefined),
      amount: z.union([z.string(), z.number()]).optional().catch(undefined),
      value: z.string().max(200).optional().catch(undefined),
      reason: z.string().max(10_000).optional().catch(undefined),
      [CARD_FIELD]: z.uuid().optional().catch(undefined),
    })
    .catch({}),
});

/**
 * The message extension's "Give kudos" action command, from the compose box, the command
 * box and a message's "…" menu: Teams' counterpart of Slack's shortcuts. It opens the same
 * give-kudos card as the bot's "give" in a task module (from a message: for the message's
 * author, with a link to it as the reason), and its submission gives through the same
 * router, policy and ledger as every give. A refusal is shown above the card, kept as it was
 * filled in, and moves nothing; a kudos given is put in the compose box as its celebration,
 * for the giver to post where they were writing.
 */
export class TeamsMessageExtension {
  constructor(
    private readonly handlers: TeamsHandlers,
    private readonly services: RecognitionServices,
  ) {}

  register(app: Application<TurnState>): void {
    app.messageExtensions.fetchTask(GIVE_KUDOS_COMMAND, (context) =>
      this.handlers.admitted<TaskModuleTaskInfo | string>(
        context,
        () => refusedInWords(this.#opened(context)),
        asMessage,
      ),
    );
    app.messageExtensions.submitAction(GIVE_KUDOS_COMMAND, (context) =>
      this.handlers.admitted(context, () => refusedInWords(this.#submitted(context)), asMessage),
    );
  }

  /** The member giving, who may be met for the first time here. */
  async #giver(context: TurnContext): Promise<Member> {
    try {
      return await this.handlers.member(context);
    } catch (error) {
      const status = (error as { statusCode?: unknown }).statusCode;
      if (status === 403 || status === 404) throw new TaskRefusal(NOT_MET);
      throw error;
    }
  }

  async #opened(context: TurnContext): Promise<TaskModuleTaskInfo> {
    const value = fetchTaskValue.safeParse(context.activity.value);
    const prefill: GiveKudosPrefill = {};
    if (value.success && value.data.commandContext === 'message') {
      const message = value.data.messagePayload;
      const author = message?.from?.user;
      const self = author?.id === context.activity.from.aadObjectId;
      Object.assign(prefill, {
        // A bot's message has an application, not a user, as its author: nobody to thank.
        ...(author && !self
          ? { recipients: [{ id: author.id, name: author.displayName ?? 'the author' }] }
          : {}),
        ...(message?.linkToMessage ? { reason: `your message ${message.linkToMessage}` } : {}),
      });
    }
    // Whoever opens it becomes a member now, as a message to the bot would make them.
    const actor = await this.#giver(context);
    return this.#task(actor.organizationId, prefill, randomUUID());
  }

  async #submitted(
    context: TurnContext,
  ): Promise<MessagingExtensionResult | TaskModuleTaskInfo | string> {
    const parsed = submitActionValue.safeParse(context.activity.value);
    const value = parsed.success ? parsed.data : { commandContext: 'compose' as const, data: {} };
    const data = value.data as GiveKudosSubmission & { [CARD_FIELD]?: string };
    const actor = await this.#giver(context);
    const cardId = data[CARD_FIELD] ?? randomUUID();
    const { text, mentions } = submissionAsCommand(data);
    // Each Submit is an invoke of its own; the card it came from is what gives once.
    const reply = await this.handlers.route(
      context,
      actor,
      text,
      mentions,
      `teams:task:${actor.id}:${cardId}`,
    );
    if (reply.outcome !== 'ok') {
      const problem = reply.code === 'idempotency_conflict' ? CARD_USED : reply.text;
      return this.#task(
        actor.organizationId,
        {
          recipients: await this.#named(context, data.recipients),
          amount: String(data.amount ?? ''),
          value: typeof data.value === 'string' ? data.value : undefined,
          reason: typeof data.reason === 'string' ? data.reason : undefined,
          problem,
        },
        cardId,
      );
    }
    return answer(reply, value.commandContext);
  }

  async #task(
    organizationId: number,
    prefill: GiveKudosPrefill,
    cardId: string,
  ): Promise<TaskModuleTaskInfo> {
    const { settings } = await this.services.settings.load(organizationId);
    return {
      title: TITLE,
      width: 'medium',
      height: 'large',
      card: giveKudosCard({
        values: settings.values,
        defaultAmount: settings.defaultAmount,
        maxReasonLength: settings.maxReasonLength,
        privateKudosAllowed: settings.privateKudosAllowed,
        prefill,
        data: { [CARD_FIELD]: cardId },
      }),
    };
  }

  /** The people a refused card had picked, by name, so that it shows them again. */
  async #named(
    context: TurnContext,
    recipients: unknown,
  ): Promise<Array<{ id: string; name: string }>> {
    const tenantId = this.handlers.tenantOf(context).tenantId;
    const ids = String(recipients ?? '')
      .split(',')
      .map((id) => id.trim())
      .filter((id) => id.length > 0)
      .slice(0, 50);
    const named: Array<{ id: string; name: string }> = [];
    for (const id of ids) {
      const member = await findIdentifiedMember(this.services.db, {
        platform: 'teams',
        tenantId,
        userId: id,
      });
      // Someone Plaudit has not met yet is picked again by the giver.
      if (member) named.push({ id, name: member.displayName });
    }
    return named;
  }
}

/** A sentence shown in the task module, in place of the card. */
const asMessage = async (sentence: string): Promise<string> => sentence;

/** The answer, or the sentence a {@link TaskRefusal} says. */
async function refusedInWords<T>(answer: Promise<T>): Promise<T | string> {
  try {
    return await answer;
  } catch (error) {
    if (error instanceof TaskRefusal) return error.message;
    throw error;
  }
}

/**
 * A kudos given: from the compose box or a message, its celebration goes into the compose
 * box for the giver to post; from the command box, where nothing is being written, the
 * answer is shown in the task module.
 */
function answer(
  reply: Reply,
  where: z.infer<typeof commandContext>,
): MessagingExtensionResult | string {
  // A redelivery (or a second click) replays the answer without its celebration, and a
  // private kudos has none to post: said in words.
  const celebrated = celebratedKudos(reply);
  if (where === 'commandBox' || celebrated.length === 0) return reply.text;
  return {
    type: 'result',
    attachmentLayout: 'list',
    attachments: celebrated.map((event) => celebrationCard(event)),
  };
}

/** Whether an activity is one of a message extension's invokes (composeExtension/…). */
export function isMessageExtensionInvoke(activity: Partial<Activity>): boolean {
  return activity.type === ActivityTypes.Invoke && /^composeExtension\//.test(activity.name ?? '');
}

/** Answers a message extension's invoke with a sentence in its task module. */
export async function answerInTaskModule(context: TurnContext, sentence: string): Promise<void> {
  await context.sendActivity({
    type: ActivityTypes.InvokeResponse,
    value: { status: 200, body: { task: { type: 'message', value: sentence } } },
  });
}
