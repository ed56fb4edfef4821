/**
 * What a command answers, independent of any platform. Adapters render `blocks` as Block
 * Kit, an Adaptive Card or HTML; `text` is the plain fallback every platform can show.
 */
export interface Reply {
  readonly text: string;
  readonly blocks: readonly ReplyBlock[];
  /** `private`: only the person who asked sees it. */
  readonly visibility: 'private' | 'public';
  /**
   * It holds a secret (a new API token's): shown only where the person alone sees it. An
   * adapter that cannot reach them privately withholds it rather than fall back to a
   * shared conversation.
   */
  readonly confidential?: boolean;
  /**
   * Sent as a direct message (a console sign-in link): Slack posts it in the person's DM
   * with the app, Teams in their personal chat; the command itself is answered with a
   * pointer to it. Always confidential too.
   */
  readonly direct?: boolean;
  /** `refused` and `usage` replies changed nothing. */
  readonly outcome: 'ok' | 'refused' | 'usage';
  /** The refusal's code, for metrics and tests. */
  readonly code?: string;
  /** What happened, for adapters that announce or notify. */
  readonly events: readonly RecognitionEvent[];
}

export type ReplyBlock =
  | { readonly kind: 'heading'; readonly text: string }
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'fields'; readonly fields: ReadonlyArray<{ label: string; value: string }> }
  | { readonly kind: 'list'; readonly items: readonly string[] }
  | { readonly kind: 'context'; readonly text: string }
  /**
   * Buttons, each running a command as if its user typed it (`redeem #12`,
   * `hr fulfil 7`): Slack buttons, Adaptive Card actions, console links.
   */
  | { readonly kind: 'actions'; readonly actions: readonly ReplyAction[] };

export interface ReplyAction {
  readonly label: string;
  /** The command text after the command name. */
  readonly command: string;
  readonly style?: 'primary' | 'danger';
}

export interface KudosGiven {
  readonly kind: 'kudos_given';
  readonly recognitionId: number;
  readonly organizationId: number;
  readonly giver: { readonly memberId: number; readonly name: string };
  readonly recipients: ReadonlyArray<{ readonly memberId: number; readonly name: string }>;
  readonly amountEach: number;
  readonly message: string;
  readonly values: readonly string[];
  readonly channel: string | null;
  /**
   * The kudos this one boosts: its celebration is updated rather than a new one posted;
   * the recipients are still told.
   */
  readonly boostOf?: number;
  /**
   * A private kudos: the recipients are told in a direct message and nothing is
   * celebrated. Absent in notifications written before private kudos existed.
   */
  readonly private?: boolean;
}

export type RecognitionEvent = KudosGiven;

export function textReply(
  text: string,
  options: {
    outcome?: Reply['outcome'];
    code?: string;
    blocks?: ReplyBlock[];
    confidential?: boolean;
    direct?: boolean;
  } = {},
): Reply {
  return {
    text,
    blocks: options.blocks ?? [{ kind: 'text', text }],
    visibility: 'private',
    ...((options.confidential || options.direct) && { confidential: true }),
    ...(options.direct && { direct: true }),
    outcome: options.outcome ?? 'ok',
    code: options.code,
    events: [],
  };
}

export function refusalReply(code: string, message: string): Reply {
  return textReply(message, { outcome: 'refused', code });
}

/** The kudos of a reply that are celebrated where they were given: all but private ones. */
export function celebratedKudos(reply: Reply): readonly KudosGiven[] {
  return reply.events.filter((event) => !event.private);
}
