import type { Request, Response } from 'express';
import type { MemberRole } from '../db/tables.ts';
import { type Notice, takeNotice } from './console-flash.ts';
import { html, raw, type SafeHtml } from './console-html.ts';
import { type ConsoleViewer, viewerOf } from './console-viewer.ts';

export type NavKey =
  | 'overview'
  | 'people'
  | 'permissions'
  | 'settings'
  | 'catalog'
  | 'redemptions'
  | 'billing'
  | 'audit'
  | 'insights'
  | 'try';

interface NavItem {
  readonly key: NavKey;
  readonly label: string;
  readonly path: string;
  /** Who sees it: admins, HR, or both. */
  readonly roles: readonly MemberRole[];
  /** Only where there is a local console (local mode). */
  readonly localOnly?: boolean;
}

const NAV: readonly NavItem[] = [
  { key: 'overview', label: 'Overview', path: '/console', roles: ['admin', 'hr'] },
  { key: 'people', label: 'People', path: '/console/people', roles: ['admin', 'hr'] },
  { key: 'permissions', label: 'Permissions', path: '/console/permissions', roles: ['admin'] },
  { key: 'settings', label: 'Settings', path: '/console/settings', roles: ['admin'] },
  { key: 'catalog', label: 'Catalog', path: '/console/catalog', roles: ['hr'] },
  { key: 'redemptions', label: 'Redemptions', path: '/console/redemptions', roles: ['hr'] },
  { key: 'billing', label: 'Billing', path: '/console/billing', roles: ['hr'] },
  { key: 'insights', label: 'Insights', path: '/console/insights', roles: ['admin', 'hr'] },
  { key: 'audit', label: 'Audit log', path: '/console/audit', roles: ['admin'] },
  {
    key: 'try',
    label: 'Try commands',
    path: '/console/try',
    roles: ['admin', 'hr'],
    localOnly: true,
  },
];

export interface PageOptions {
  readonly title: string;
  readonly active?: NavKey;
  /** Absent on the sign-in pages. */
  readonly viewer?: ConsoleViewer;
  readonly notice?: Notice;
  readonly body: SafeHtml;
  /** Local mode: the nav links the local console. */
  readonly local?: boolean;
}

/** The hidden field every console form posts back, checked against the session. */
export function csrfField(viewer: ConsoleViewer): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${viewer.csrfToken}">`;
}

function navigation(viewer: ConsoleViewer, active: NavKey | undefined, local: boolean): SafeHtml {
  const items = NAV.filter(
    (item) => (local || !item.localOnly) && item.roles.some((role) => viewer.roles.includes(role)),
  );
  return html`<nav aria-label="Console"><ul>${items.map(
    (item) =>
      html`<li><a href="${item.path}"${item.key === active ? raw(' aria-current="page"') : ''}>${item.label}</a></li>`,
  )}</ul>
<form method="post" action="/console/sign-out" class="sign-out">${csrfField(viewer)}<span>${viewer.displayName}</span> <button type="submit">Sign out</button></form></nav>`;
}

/** A whole console document: header, navigation for the viewer's roles, the page. */
export function renderPage({ title, active, viewer, notice, body, local }: PageOptions): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${title} · Plaudit console</title>
<link rel="stylesheet" href="/console/style.css">
</head>
<body>
<header><a class="brand" href="/console">Plaudit</a>${viewer ? navigation(viewer, active, local === true) : ''}</header>
<main id="main">
<h1>${title}</h1>
${notice ? html`<p class="notice ${notice.kind}" role="${notice.kind === 'refused' ? 'alert' : 'status'}">${notice.text}</p>` : ''}
${body}
</main>
</body>
</html>`.value;
}

/** Sends a page for the signed-in viewer, with the notice a redirect left, if any. */
export function sendPage(
  req: Request,
  res: Response,
  options: { title: string; active?: NavKey; body: SafeHtml; status?: number },
): void {
  const notice = takeNotice(req, res);
  res
    .status(options.status ?? 200)
    .type('html')
    .send(
      renderPage({
        ...options,
        viewer: viewerOf(res),
        notice,
        local: res.locals.consoleLocal === true,
      }),
    );
}

/**
 * A page whose query string cannot be read (400): its filters' form again, then the
 * sentence that says which value is wrong.
 */
export function sendBadQuery(
  req: Request,
  res: Response,
  options: { title: string; active: NavKey; form: SafeHtml; text: string },
): void {
  sendPage(req, res, {
    title: options.title,
    active: options.active,
    status: 400,
    body: html`${options.form}<p class="notice refused" role="alert">${options.text}</p>`,
  });
}
