import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { sql } from 'kysely';
import type { Attempt } from '../admin/access.ts';
import { sameSecret } from '../core/secrets.ts';
import type { Database } from '../db/database.ts';
import type { MemberRole } from '../db/tables.ts';
import type { Member } from '../directory/members.ts';
import { requireHrActor } from '../rewards/hr-access.ts';
import { clearCookie, cookieOf, setCookie } from './console-cookies.ts';
import type { ConsoleDeps } from './console-deps.ts';
import { html } from './console-html.ts';
import { renderPage, sendPage } from './console-layout.ts';
import { findSession, openSession, SESSION_HOURS } from './console-sessions.ts';
import { type ConsoleViewer, consoleActor, viewerOf } from './console-viewer.ts';

/**
 * The session cookie. Over https it is a `__Host-` cookie on `/`: browsers then take it
 * only from this host, over https, so a sibling subdomain cannot plant one of its own.
 */
export function sessionCookie(deps: Pick<ConsoleDeps, 'secureCookies'>): {
  name: string;
  path: string;
} {
  return deps.secureCookies
    ? { name: '__Host-plaudit_session', path: '/' }
    : { name: 'plaudit_session', path: '/console' };
}

/** The cookie ends: the browser forgets it. */
export function clearSessionCookie(res: Response, deps: ConsoleDeps): void {
  const { name, path } = sessionCookie(deps);
  clearCookie(res, name, deps.secureCookies, path);
}

/** Whether a member may use the console now: active, and an admin or HR. */
export function mayUseConsole(member: Member | undefined): member is Member {
  return member?.status === 'active' && CONSOLE_ROLES.some((role) => member.roles.includes(role));
}

/** The page a member who is neither admin nor HR gets. */
export function sendNotConsoleUser(res: Response): void {
  sendRefusal(
    res,
    403,
    'Not for you yet',
    'Only admins and HR can use the console; ask an admin if you need it.',
  );
}

/** Admins and HR use the console; everyone else is told who can help. */
export const CONSOLE_ROLES: readonly MemberRole[] = ['admin', 'hr'];

export function setSessionCookie(res: Response, deps: ConsoleDeps, secret: string): void {
  const { name, path } = sessionCookie(deps);
  setCookie(res, name, deps.signer.sign('session', secret), {
    maxAgeSeconds: SESSION_HOURS * 3600,
    secure: deps.secureCookies,
    path,
  });
}

/** A page for someone not signed in, or not allowed: a short reason and what to do. */
export function sendRefusal(res: Response, status: number, title: string, text: string): void {
  res
    .status(status)
    .type('html')
    .send(renderPage({ title, body: html`<p>${text}</p>` }));
}

/**
 * The demo organization's first active admin (or, with `as`, the demo member of that
 * handle if they are an admin or HR): local mode signs them in without a link.
 */
async function localMember(
  db: Database,
  organizationId: number,
  handle: string | undefined,
): Promise<number | undefined> {
  let query = db
    .selectFrom('members as m')
    .select('m.id')
    .where('m.organization_id', '=', organizationId)
    .where('m.status', '=', 'active')
    .where(sql<boolean>`m.roles && array['admin', 'hr']::text[]`);
  if (handle) {
    query = query
      .innerJoin('platform_identities as p', 'p.member_id', 'm.id')
      .where('p.platform', '=', 'local')
      .where('p.user_id', '=', handle);
  } else {
    query = query.where(sql<boolean>`'admin' = any(m.roles)`);
  }
  const row = await query.orderBy('m.id').executeTakeFirst();
  return row && Number(row.id);
}

/** Opens a local-mode session for the demo admin (or `as`) and returns its secret. */
export async function signInLocally(
  deps: ConsoleDeps,
  handle?: string,
): Promise<string | undefined> {
  if (!deps.local || deps.localOrganizationId === undefined) return undefined;
  const memberId = await localMember(deps.services.db, deps.localOrganizationId, handle);
  if (memberId === undefined) return undefined;
  return openSession(deps.services.db, deps.localOrganizationId, memberId);
}

/**
 * Finds the session the signed cookie names and puts its viewer on `res.locals`. Without
 * one, local mode signs the demo admin in; elsewhere a page asks for a sign-in link.
 */
export function requireSession(deps: ConsoleDeps): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const cookie = cookieOf(req, sessionCookie(deps).name);
    let secret = cookie ? deps.signer.unsign('session', cookie) : undefined;
    let session = secret ? await findSession(deps.services.db, secret) : undefined;
    if (!session && req.method === 'GET' && deps.local) {
      secret = await signInLocally(deps);
      if (secret) {
        setSessionCookie(res, deps, secret);
        session = await findSession(deps.services.db, secret);
      }
    }
    if (!session || !secret) {
      if (cookie) clearSessionCookie(res, deps);
      if (req.method === 'GET') {
        res.redirect(303, '/console/sign-in');
        return;
      }
      sendRefusal(res, 401, 'Signed out', 'Your console session has ended; sign in again.');
      return;
    }
    const { member } = session;
    if (!mayUseConsole(member)) {
      sendNotConsoleUser(res);
      return;
    }
    const viewer: ConsoleViewer = {
      sessionId: session.id,
      memberId: member.id,
      organizationId: member.organizationId,
      displayName: member.displayName,
      roles: member.roles,
      csrfToken: deps.signer.mac('csrf', secret),
      actor: consoleActor(member),
    };
    res.locals.viewer = viewer;
    next();
  };
}

/**
 * Every form post must carry the session's CSRF token (`_csrf`, or the `X-CSRF-Token`
 * header), and come from this site when the browser says where it comes from.
 */
export function requireCsrf(deps: Pick<ConsoleDeps, 'origin'>): RequestHandler {
  return (req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') return next();
    const viewer = res.locals.viewer as ConsoleViewer;
    if (!sameOrigin(req, deps.origin)) {
      sendRefusal(res, 403, 'Refused', 'This form was sent from another site; nothing changed.');
      return;
    }
    const body = (req.body ?? {}) as Record<string, unknown>;
    const given = typeof body._csrf === 'string' ? body._csrf : (req.get('x-csrf-token') ?? '');
    if (!sameSecret(given, viewer.csrfToken)) {
      sendRefusal(
        res,
        403,
        'Refused',
        'This form has expired or did not come from the console; reload the page and try again. Nothing changed.',
      );
      return;
    }
    next();
  };
}

/** A browser's Origin (or Sec-Fetch-Site) names this site, or is absent (older clients). */
export function sameOrigin(req: Request, expected?: string): boolean {
  const site = req.get('sec-fetch-site');
  // Only the browser sets Sec-Fetch-Site; a same-origin form on a no-referrer page (the
  // sign-in page) is sent with `Origin: null`, so this answer comes first.
  if (site === 'same-origin') return true;
  if (site && site !== 'none') return false;
  const origin = req.get('origin');
  if (!origin || origin === 'null') return origin !== 'null';
  // Behind a proxy that rewrites Host, the request's own host is not what the browser
  // opened: PUBLIC_URL's origin is.
  if (expected) return origin === expected;
  try {
    return new URL(origin).host === req.get('host');
  } catch {
    return false;
  }
}

export type ConsoleRole = 'admin' | 'hr' | 'admin-or-hr';

/** Lets through a viewer with the role; anyone else gets a page saying who can help. */
export function requireConsoleRole(role: ConsoleRole): RequestHandler {
  return (req, res, next) => {
    const viewer = res.locals.viewer as ConsoleViewer;
    const roles: readonly MemberRole[] = role === 'admin-or-hr' ? ['admin', 'hr'] : [role];
    if (roles.some((wanted) => viewer.roles.includes(wanted))) return next();
    const who = role === 'hr' ? 'HR' : role === 'admin' ? 'admins' : 'admins and HR';
    sendNotForRole(req, res, `Only ${who} can open this page; ask an admin if you need it.`);
  };
}

/** The 403 page for a viewer whose roles do not allow what they asked for. */
export function sendNotForRole(req: Request, res: Response, text: string): void {
  sendPage(req, res, { title: 'Not for your role', status: 403, body: html`<p>${text}</p>` });
}

/**
 * HR goes on (false). Anyone else is refused with the service's sentence on the 403 page
 * (true); the attempt is audited as refused and nothing changes. Pages check this before
 * reading the form, as chat and the API check the role first.
 */
export async function refusedUnlessHr(
  db: Database,
  req: Request,
  res: Response,
  what: string,
  attempt: Attempt,
): Promise<boolean> {
  const denied = await requireHrActor(db, viewerOf(res).actor, what, attempt);
  if (!denied) return false;
  sendNotForRole(req, res, `${denied.message} Nothing changed.`);
  return true;
}
