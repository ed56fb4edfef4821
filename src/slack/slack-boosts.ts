import type * as bolt from '@slack/bolt';
import type { Logger } from 'pino';
import { z } from 'zod/v4';
import { busyReply, type CommandAdmission } from '../core/command-admission.ts';
import { FollowUps } from '../core/follow-ups.ts';
import { InSequence } from '../core/in-sequence.ts';
import { type Reply, refusalReply, textReply } from '../core/reply.ts';
import type { Member } from '../directory/members.ts';
import { OutsiderUser } from '../directory/outsiders.ts';
import {
  announcedKudos,
  boostKudos,
  boostRefusal,
  boostsOf,
  leftToGive,
  suggestedBoost,
} from '../recognition/boosts.ts';
import type { RecognitionServices } from '../recognition/recognition-services.ts';
import {
  BOOST_MODAL,
  type BoostContext,
  boostContextOf,
  boostModal,
  submittedBoostAmount,
} from './boost-modal.ts';
import { fieldOf } from './give-kudos-modal.ts';
import { arrivalIn } from './slack-arrival.ts';
import { BOOST_ACTION } from './slack-blocks.ts';
import { isUnknownSlackUser, type SlackDirectory } from './slack-directory.ts';
import { toMessage, untilAckDue } from './slack-handlers.ts';
import type { SlackNotifier, WorkspaceClient } from './slack-notifier.ts';
import { type SlackWorkspace, slackIdsOf } from './slack-workspaces.ts';

/** A boost that reaches its handler this long after it reached the process is shed. */
const START_WITHIN_MS = 1_000;

const UNKNOWN_USER =
  'Slack could not tell me who you are in this workspace, so I did nothing. Ask your Slack admin to check your account.';

const FAILED = textReply('Something went wrong on our side; please try again in a moment.', {
  outcome: 'refused',
  code: 'internal',
});

/** A Boost button's value: the id of the kudos it boosts. */
const recognitionIdOf = z.coerce.number().int().positive();

export interface SlackBoostDependencies {
  readonly services: RecognitionServices;
  readonly directory: SlackDirectory;
  readonly notifier: SlackNotifier;
  readonly logger: Logger;
  /** Called once a boost moved points: the outbox relay hands its notifications on. */
  readonly onGiven: () => void;
  /** Decides whether a boost is taken or shed, like every chat command. */
  readonly admission: CommandAdmission;
}

/**
 * Boosts in Slack. A celebration's Boost button opens a small modal with the amount (the
 * kudos' own, changeable, with what the person has left to give): points are money, so a
 * click alone never spends them. Its submission boosts, and the celebration clicked is
 * redrawn with every boost it has. Whatever is refused is told to the person alone: an
 * amount problem under the modal's field, anything else as an ephemeral message.
 */
export class SlackBoosts {
  readonly #followUps: FollowUps;
  /** Redraws of one message run in turn, each drawing the boosts committed by then. */
  readonly #redraws = new InSequence();

  constructor(private readonly deps: SlackBoostDependencies) {
    this.#followUps = new FollowUps(deps.logger);
  }

  register(app: bolt.App): void {
    app.action<bolt.BlockButtonAction>({ type: 'block_actions', action_id: BOOST_ACTION }, (args) =>
      this.#onClicked(args),
    );
    app.view(BOOST_MODAL, (args) => this.#onSubmitted(args));
  }

  /** Resolves when the boosts taken so far have been answered and shown. */
  settled(): Promise<void> {
    return this.#followUps.settled();
  }

  async #onClicked({
    ack,
    action,
    body,
    respond,
    context,
    client,
  }: bolt.SlackActionMiddlewareArgs<bolt.BlockButtonAction> & bolt.AllMiddlewareArgs) {
    await ack();
    const workspace = context.workspace as SlackWorkspace;
    const channel = body.channel?.id;
    const ts = body.message?.ts;
    const recognitionId = recognitionIdOf.safeParse(action.value);
    if (!channel || !ts || !recognitionId.success) return;
    const posted: BoostContext = { recognitionId: recognitionId.data, channel, ts };
    const tell = (reply: Reply) => respond({ ...toMessage(reply), replace_original: false });
    this.#followUps.start('a Boost button', async () => {
      const booster = await this.#member(workspace, body.user.id);
      if ('outcome' in booster) return void (await tell(booster));
      const { services } = this.deps;
      const checked = await boostRefusal(services, booster, posted.recognitionId);
      if ('refusal' in checked) {
        await tell(checked.refusal);
        // A post from before boosts were turned off loses its button.
        if (checked.refusal.code === 'boosts_off') {
          await this.#redraw(workspace, client, posted, posted.recognitionId);
        }
        return;
      }
      const { kudos } = checked;
      const { settings } = await services.settings.load(booster.organizationId);
      await client.views.open({
        trigger_id: body.trigger_id,
        view: boostModal({
          giverName: kudos.giverName,
          recipientNames: kudos.recipients.map((recipient) => recipient.name),
          message: kudos.message,
          amount: suggestedBoost(kudos, settings),
          left: await leftToGive(services, booster),
          context: posted,
        }),
      });
    });
  }

  async #onSubmitted({
    ack,
    body,
    view,
    context,
    client,
  }: bolt.SlackViewMiddlewareArgs & bolt.AllMiddlewareArgs) {
    const workspace = context.workspace as SlackWorkspace;
    const posted = boostContextOf(view.private_metadata);
    if (!posted) {
      await ack();
      return;
    }
    const arrival = arrivalIn(context);
    const work = this.#boost(workspace, body.user.id, posted, view, arrival.arrivedAt);
    const reply = await untilAckDue(work, arrival);
    if (reply && reply.outcome !== 'ok' && isAboutTheAmount(reply.code)) {
      // The amount can be fixed where it was typed: the modal stays open.
      await ack({ response_action: 'errors', errors: { amount: reply.text } });
      return;
    }
    await ack();
    this.#followUps.start('a boost', async () => {
      const answered = reply ?? (await work);
      const to = { teamId: workspace.teamId, client };
      await this.deps.notifier.toGiver(to, body.user.id, posted.channel, answered.text);
      const boosted = answered.events[0]?.boostOf;
      if (boosted === undefined) return;
      this.deps.onGiven();
      await this.#redraw(workspace, client, posted, boosted);
    });
  }

  /** Boosts as the person who submitted, unless the process sheds it; never rejects. */
  #boost(
    workspace: SlackWorkspace,
    userId: string,
    posted: BoostContext,
    view: bolt.ViewOutput,
    arrivedAt: number,
  ): Promise<Reply> {
    const { admission, logger, services } = this.deps;
    const admitted = admission.admit(arrivedAt, START_WITHIN_MS);
    if (!admitted.admitted) return Promise.resolve(busyReply());
    return (async () => {
      const booster = await this.#member(workspace, userId);
      if ('outcome' in booster) return booster;
      return boostKudos(services, {
        booster,
        recognitionId: posted.recognitionId,
        amount: submittedBoostAmount(view.state as Parameters<typeof submittedBoostAmount>[0]),
        platform: 'slack',
        tenantId: workspace.teamId,
        channel: posted.channel,
      });
    })()
      .catch((error: unknown) => {
        logger.error({ err: error, view: view.id }, 'a Slack boost failed');
        return FAILED;
      })
      .finally(admitted.done);
  }

  /**
   * Redraws the celebration clicked with the boosts of its kudos as they are now. Two
   * boosts of one post are redrawn in turn, the later one drawing both.
   */
  #redraw(
    workspace: SlackWorkspace,
    client: bolt.webApi.WebClient,
    posted: BoostContext,
    recognitionId: number,
  ): Promise<void> {
    return this.#redraws.run(`${workspace.teamId}:${posted.channel}:${posted.ts}`, async () => {
      const { db, settings } = this.deps.services;
      const announced = await announcedKudos(db, recognitionId);
      if (!announced) return;
      const { event } = announced;
      const memberIds = [event.giver.memberId, ...event.recipients.map((r) => r.memberId)];
      const slackIds = await slackIdsOf(db, workspace, memberIds);
      const boostable = (await settings.load(event.organizationId)).settings.boostsAllowed;
      const to: WorkspaceClient = { teamId: workspace.teamId, client };
      await this.deps.notifier.updateCelebration(to, posted, event, slackIds, {
        boosts: await boostsOf(db, recognitionId),
        boostable,
      });
    });
  }

  /** The member a Slack user is, or the refusal that says why they are none. */
  #member(workspace: SlackWorkspace, userId: string): Promise<Member | Reply> {
    return this.deps.directory.member(workspace, userId).catch((error: unknown) => {
      if (error instanceof OutsiderUser) return refusalReply('outsider', error.actorSentence);
      if (isUnknownSlackUser(error)) return refusalReply('unknown_user', UNKNOWN_USER);
      throw error;
    });
  }
}

/** A refusal the person can fix by changing the amount (not a number, out of range, over allowance). */
function isAboutTheAmount(code: string | undefined): boolean {
  return code === 'usage' || fieldOf(code, false) === 'amount';
}
