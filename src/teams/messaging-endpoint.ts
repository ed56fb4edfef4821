import { TeamsAdapter } from '@microsoft/teams-ai';
import type { Activity, InvokeResponse, TurnContext } from 'botbuilder';
// botbuilder's own reading of a posted activity (its timestamps as dates), which its
// `process` uses and its index does not export.
import { validateAndFixActivity } from 'botbuilder/lib/activityValidator.js';
import express, { type ErrorRequestHandler, type Router } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod/v4';
import { arrivalOf } from '../http/arrival.ts';
import { reuseBotFrameworkWork } from './bot-framework-reuse.ts';

/** What any activity is, at least: an object with a type. */
const activityShape = z.looseObject({ type: z.string().min(1) });

/**
 * jsonwebtoken's refusals of a token (a bad signature, `alg: none`, an algorithm it was
 * not told to accept, a token not yet valid), which botbuilder passes on as they are.
 */
const TOKEN_REFUSALS = new Set(['JsonWebTokenError', 'NotBeforeError', 'TokenExpiredError']);

/** Whether authenticating failed because of the request (401), not because of a fault here. */
function refusedCredentials(error: unknown): boolean {
  const { name, statusCode } = (error ?? {}) as { name?: unknown; statusCode?: unknown };
  // botbuilder's AuthenticationError carries the status it means (401, or 400 for no
  // header at all); a 500 in it is a fault here, such as an app id it cannot use.
  const byRequest = typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500;
  return (typeof name === 'string' && TOKEN_REFUSALS.has(name)) || byRequest;
}

export type Served =
  | { readonly authenticated: false; readonly reason: string }
  | { readonly authenticated: true; readonly invoke: InvokeResponse | undefined };

/**
 * botbuilder's CloudAdapter (as teams-ai extends it) with authentication apart from the
 * turn: its `process` answered a token that jsonwebtoken refused (a wrong key, `alg:
 * none`, HS256 keyed with the public key) with 500 and the library's message, and an
 * activity it could not read with an error page.
 */
export class PlauditTeamsAdapter extends TeamsAdapter {
  constructor(...args: ConstructorParameters<typeof TeamsAdapter>) {
    super(...args);
    // Each activity's token check and outbound clients would otherwise be made anew.
    reuseBotFrameworkWork(this.botFrameworkAuthentication);
  }

  /** Authenticates an activity as the Bot Framework's for this bot, then runs its turn. */
  async serve(
    authorization: string,
    activity: Activity,
    logic: (context: TurnContext) => Promise<void>,
  ): Promise<Served> {
    let reason = '';
    const authenticated = await this.botFrameworkAuthentication
      .authenticateRequest(activity, authorization)
      .catch((error: unknown) => {
        if (!refusedCredentials(error)) throw error;
        reason = error instanceof Error ? error.message : String(error);
        return undefined;
      });
    if (!authenticated) return { authenticated: false, reason };
    return {
      authenticated: true,
      invoke: await this.processActivity(authenticated, activity, logic),
    };
  }
}

/**
 * `POST /api/messages`, the Bot Framework messaging endpoint: 400 for a body that is no
 * activity, 401 for a request without a valid Bot Framework token for this bot, each
 * with a sentence in JSON and nothing done; 413 for a body over 256 kB comes from the
 * server's handler of unreadable bodies.
 */
export function messagingEndpoint(
  adapter: PlauditTeamsAdapter,
  logic: (context: TurnContext, arrivedAt: number) => Promise<void>,
  logger: Logger,
): Router {
  const routes = express.Router();
  routes.post('/api/messages', express.json({ limit: '256kb' }), async (req, res) => {
    const read = activityShape.safeParse(req.body);
    if (!read.success) {
      res.status(400).json({
        error: 'bad_request',
        message: 'The body is not a Bot Framework activity: a JSON object with a type.',
      });
      return;
    }
    const activity = validateAndFixActivity(read.data as unknown as Activity);
    // As teams-ai's `process` does.
    res.header('User-Agent', adapter.userAgent);
    const arrivedAt = arrivalOf(req);
    const served = await adapter.serve(req.get('authorization') ?? '', activity, (context) =>
      logic(context, arrivedAt),
    );
    if (!served.authenticated) {
      logger.info({ reason: served.reason }, 'a Teams request failed to authenticate');
      res.status(401).json({
        error: 'unauthorized',
        message:
          'This request carries no valid Bot Framework token for this bot; nothing was done.',
      });
      return;
    }
    res.status(served.invoke?.status ?? 200);
    if (served.invoke?.body !== undefined) res.send(served.invoke.body);
    else res.end();
  });
  routes.use('/api/messages', ((error, _req, res, next) => {
    if ((error as { type?: string }).type !== 'entity.parse.failed') return next(error);
    res.status(400).json({ error: 'bad_request', message: 'The body is not a JSON activity.' });
  }) as ErrorRequestHandler);
  return routes;
}
