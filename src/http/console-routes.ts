import { randomUUID } from 'node:crypto';
import express, { type Router } from 'express';
import type { Logger } from 'pino';
import { systemClock } from '../core/clock.ts';
import type { CommandRouter } from '../core/command-router.ts';
import { nulPath } from '../core/nul-text.ts';
import type { Database } from '../db/database.ts';
import { findIdentifiedMember } from '../directory/members.ts';
import { DEMO_TENANT } from '../local/demo-organization.ts';
import { LocalMentionResolver } from '../local/local-mention-resolver.ts';
import { announcementText } from '../recognition/announcement.ts';
import { consolePage } from './console-page.ts';

export interface ConsoleDependencies {
  readonly db: Database;
  readonly router: CommandRouter;
  readonly organizationId: number;
  readonly logger: Logger;
}

const COMMAND_NAME = '/kudos';

/**
 * The local console: a third adapter over the same command router, for trying Plaudit
 * without Slack or Teams. `POST /api/console/commands` takes `{member, text, requestId?}`
 * (member is a demo handle such as `ana`) and answers with the reply and announcements.
 */
export function consoleRoutes({ db, router, organizationId, logger }: ConsoleDependencies): Router {
  const routes = express.Router();
  const mentionResolver = new LocalMentionResolver(db);

  routes.get('/console/try', (_req, res) => {
    res.type('html').send(consolePage(COMMAND_NAME));
  });

  routes.get('/api/console/members', async (_req, res) => {
    const rows = await db
      .selectFrom('platform_identities as p')
      .innerJoin('members as m', 'm.id', 'p.member_id')
      .select([
        'p.user_id as handle',
        'm.display_name as displayName',
        'm.roles',
        'm.is_guest as isGuest',
        'm.is_bot as isBot',
      ])
      .where('p.platform', '=', 'local')
      .where('p.tenant_id', '=', DEMO_TENANT)
      .where('p.organization_id', '=', organizationId)
      .orderBy('m.id')
      .execute();
    res.json({ members: rows });
  });

  routes.post('/api/console/commands', express.json({ limit: '16kb' }), async (req, res) => {
    const body = (req.body ?? {}) as { member?: unknown; text?: unknown; requestId?: unknown };
    if (typeof body.member !== 'string' || typeof body.text !== 'string') {
      res.status(400).json({
        error: 'bad_request',
        message: 'Send {"member": "ana", "text": "@li 10 for the demo"}.',
      });
      return;
    }
    if (nulPath(body) !== undefined) {
      res.status(400).json({
        error: 'bad_request',
        message: 'The body holds a NUL character (\\u0000), which Plaudit cannot store.',
      });
      return;
    }
    if (
      body.requestId !== undefined &&
      (typeof body.requestId !== 'string' || body.requestId.length > 200)
    ) {
      res
        .status(400)
        .json({ error: 'bad_request', message: 'requestId is text of at most 200 characters.' });
      return;
    }
    const actor = await findIdentifiedMember(db, {
      platform: 'local',
      tenantId: DEMO_TENANT,
      userId: body.member,
    });
    if (!actor) {
      res.status(404).json({
        error: 'unknown_member',
        message: `There is no demo member called ${body.member}.`,
      });
      return;
    }
    const text = body.text.replace(/^\s*\/kudos\b/i, '');
    const reply = await router.route({
      actor,
      text,
      mentions: [],
      idempotencyKey: `local:${body.requestId ?? randomUUID()}`,
      platform: 'local',
      tenantId: 'local',
      channel: 'console',
      commandName: COMMAND_NAME,
      mentionResolver,
      clock: systemClock,
    });
    logger.debug(
      { member: body.member, outcome: reply.outcome, code: reply.code },
      'console command',
    );
    res.json({
      reply: {
        text: reply.text,
        blocks: reply.blocks,
        outcome: reply.outcome,
        code: reply.code ?? null,
      },
      announcements: reply.events.map(announcementText),
    });
  });

  // Broken JSON gets a 400 in words, not an HTML stack trace.
  routes.use(((error, _req, res, next) => {
    if ((error as { type?: string }).type === 'entity.parse.failed') {
      res.status(400).json({ error: 'bad_request', message: 'The body is not valid JSON.' });
      return;
    }
    next(error);
  }) as express.ErrorRequestHandler);

  return routes;
}
