import express, { type Router } from 'express';
import { requireCsrf, requireSession } from './console-auth.ts';
import type { ConsoleDeps } from './console-deps.ts';
import { readableForm } from './console-form.ts';
import { html } from './console-html.ts';
import { sendPage } from './console-layout.ts';
import { CONSOLE_LIST_FIELDS, CONSOLE_PAGES } from './console-pages.ts';
import { signInRoutes } from './console-sign-in.ts';
import { CONSOLE_STYLE } from './console-style.ts';

const isConsolePath = (path: string) => path === '/console' || path.startsWith('/console/');

/**
 * No script runs in the console, no other site may frame it, and no address leaves it in
 * a Referer (a sign-in page's address holds its link's secret).
 */
const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/**
 * The web console for admins and HR under `/console`: sign-in by one-time link, then
 * server-rendered pages whose forms carry a CSRF token and call the same services as
 * chat and the HTTP API, so every change is checked and audited the same way.
 */
export function consoleRouter(deps: ConsoleDeps): Router {
  const routes = express.Router();
  routes.use((req, res, next) => {
    if (isConsolePath(req.path)) res.set(SECURITY_HEADERS);
    next();
  });
  // The stylesheet is public (it holds nothing), so the sign-in page has it too.
  routes.get('/console/style.css', (_req, res) => {
    res.type('css').set('Cache-Control', 'public, max-age=3600').send(CONSOLE_STYLE);
  });
  routes.use(signInRoutes(deps));
  const pages = express.Router();
  // Only console paths go through the session check; the rest leave this router.
  pages.use((req, _res, next) => {
    next(isConsolePath(req.path) ? undefined : 'router');
  });
  pages.use((_req, res, next) => {
    res.locals.consoleLocal = deps.local;
    res.locals.noticeCookie = { signer: deps.signer, secure: deps.secureCookies };
    next();
  });
  pages.use(readableForm({ limit: '64kb', lists: CONSOLE_LIST_FIELDS }));
  pages.use(requireSession(deps));
  pages.use(requireCsrf(deps));
  pages.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  for (const register of CONSOLE_PAGES) register(pages, deps);
  pages.use((req, res) => {
    sendPage(req, res, {
      title: 'Not found',
      status: 404,
      body: html`<p>There is no console page at this address. <a href="/console">Overview</a></p>`,
    });
  });
  routes.use(pages);
  return routes;
}
