import express, { type Router } from 'express';
import { writeAudit } from '../admin/audit-log.ts';
import { findMember } from '../directory/members.ts';
import { chatCommand } from './chat-commands.ts';
import {
  clearSessionCookie,
  mayUseConsole,
  requireCsrf,
  requireSession,
  sameOrigin,
  sendNotConsoleUser,
  sendRefusal,
  setSessionCookie,
  signInLocally,
} from './console-auth.ts';
import type { ConsoleDeps } from './console-deps.ts';
import { readableForm } from './console-form.ts';
import { html } from './console-html.ts';
import { renderPage } from './console-layout.ts';
import { endSession, openSession } from './console-sessions.ts';
import { consoleActor, viewerOf } from './console-viewer.ts';
import { LINK_MINUTES, type LinkRefusal, useSignInLink } from './sign-in-links.ts';

const WHY: Record<LinkRefusal, string> = {
  unknown: 'This sign-in link is not one Plaudit sent.',
  used: 'This sign-in link has been used already; each link works once.',
  expired: `This sign-in link has expired; links work for ${LINK_MINUTES} minutes.`,
};

/**
 * Signing in and out. A link from `/kudos admin console` opens a page whose button posts
 * the link's secret: a link previewer (Slack unfurls links) fetching the page uses nothing.
 */
export function signInRoutes(deps: ConsoleDeps): Router {
  const askWith = chatCommand(deps.chat, 'admin console');
  const ask = `Ask for a new one: send ${askWith}.`;
  const routes = express.Router();
  // A sign-in page's address holds its link's secret: nothing may keep a copy.
  routes.use(['/console/sign-in', '/console/sign-out'], (_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  routes.use(['/console/sign-in', '/console/sign-out'], readableForm({ limit: '8kb' }));

  routes.get('/console/sign-in', async (req, res) => {
    const token = typeof req.query.token === 'string' ? req.query.token : '';
    if (token === '' && deps.local) {
      const as = typeof req.query.as === 'string' ? req.query.as : undefined;
      const secret = await signInLocally(deps, as);
      if (!secret) {
        sendRefusal(res, 403, 'Not for you yet', 'That demo member is neither an admin nor HR.');
        return;
      }
      setSessionCookie(res, deps, secret);
      res.redirect(303, '/console');
      return;
    }
    const body =
      token === ''
        ? html`<p>${`To sign in, send ${askWith}; Plaudit sends you a link that works once, for ${LINK_MINUTES} minutes.`}</p>`
        : html`<form method="post" action="/console/sign-in" class="stack">
<input type="hidden" name="token" value="${token}">
<p>This link signs you in to the Plaudit console once.</p>
<div><button type="submit">Sign in</button></div>
</form>`;
    res
      .type('html')
      .set('Referrer-Policy', 'no-referrer')
      .send(renderPage({ title: 'Sign in', body }));
  });

  routes.post('/console/sign-in', async (req, res) => {
    if (!sameOrigin(req, deps.origin)) {
      sendRefusal(res, 403, 'Refused', 'This sign-in was sent from another site; nothing changed.');
      return;
    }
    const token = (req.body as Record<string, unknown>)?.token;
    if (typeof token !== 'string' || token === '' || token.length > 200) {
      sendRefusal(res, 400, 'Sign in', `There is no sign-in link in this request. ${ask}`);
      return;
    }
    const link = await useSignInLink(deps.services.db, token);
    if ('refused' in link) {
      deps.logger.info({ refused: link.refused }, 'console sign-in refused');
      sendRefusal(res, 403, 'Sign in', `${WHY[link.refused]} ${ask}`);
      return;
    }
    const member = await findMember(deps.services.db, link.organizationId, link.memberId);
    if (!mayUseConsole(member)) {
      sendNotConsoleUser(res);
      return;
    }
    const secret = await openSession(deps.services.db, member.organizationId, member.id);
    await writeAudit(deps.services.db, consoleActor(member), {
      action: 'console.sign_in',
      outcome: 'done',
    });
    setSessionCookie(res, deps, secret);
    deps.logger.info({ memberId: member.id }, 'console sign-in');
    res.redirect(303, '/console');
  });

  routes.post('/console/sign-out', requireSession(deps), requireCsrf(deps), async (_req, res) => {
    const viewer = viewerOf(res);
    await endSession(deps.services.db, viewer.sessionId);
    await writeAudit(deps.services.db, viewer.actor, {
      action: 'console.sign_out',
      outcome: 'done',
    });
    clearSessionCookie(res, deps);
    res
      .type('html')
      .send(renderPage({ title: 'Signed out', body: html`<p>You are signed out.</p>` }));
  });
  return routes;
}
