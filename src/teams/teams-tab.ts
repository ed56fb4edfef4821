import { createRequire } from 'node:module';
import express, { type Response, type Router } from 'express';
import type { Logger } from 'pino';
import { html, type SafeHtml } from '../console/console-html.ts';
import type { Reply, ReplyBlock } from '../core/reply.ts';
import type { Database } from '../db/database.ts';
import { findIdentifiedMember } from '../directory/members.ts';
import type { HomeSections } from '../recognition/home-sections.ts';
import { TEAMS_TAB_PATH, type TeamsSso } from './teams-sso.ts';
import { findTenant, type TeamsTenants } from './teams-tenants.ts';

/** The Teams JS SDK, served from Plaudit itself: the version the lock file pins, no CDN. */
const TEAMS_JS = createRequire(import.meta.url).resolve('@microsoft/teams-js');

/**
 * Only Plaudit's own script runs, only Plaudit is fetched from, and only Teams' hosts
 * (the web, desktop and mobile clients, Outlook and the Microsoft 365 app) may frame it.
 */
const TAB_HEADERS = {
  'Content-Security-Policy': [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    'frame-ancestors teams.microsoft.com *.teams.microsoft.com *.cloud.microsoft *.office.com *.microsoft365.com *.skype.com',
  ].join('; '),
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
};

const STYLE = `body { font: 14px/1.5 "Segoe UI", system-ui, sans-serif; margin: 0; padding: 1rem 1.5rem; color: #242424; max-width: 48rem; }
section { border-bottom: 1px solid #e0e0e0; padding-bottom: 0.75rem; margin-bottom: 0.75rem; }
h2 { font-size: 1.15rem; margin: 0.5rem 0; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1rem; margin: 0.5rem 0; }
dt { color: #616161; } dd { margin: 0; font-weight: 600; }
ul { padding-left: 1.2rem; margin: 0.4rem 0; }
.context, .hint { color: #616161; font-size: 0.85rem; }
@media (prefers-color-scheme: dark) { body { background: #1f1f1f; color: #fff; } dt, .context, .hint { color: #adadad; } }`;

/**
 * The tab's script: the Teams JS SDK signs the person in (Teams SSO) and Plaudit, having
 * checked the token, sends their home as HTML it rendered and escaped. Paths are relative,
 * so the tab works under a PUBLIC_URL with a path too.
 */
const SCRIPT = `const home = document.getElementById('home');
const say = (text) => { home.textContent = text; };
try {
  await microsoftTeams.app.initialize();
  const token = await microsoftTeams.authentication.getAuthToken();
  const response = await fetch('tab/content', { headers: { authorization: 'Bearer ' + token } });
  if (response.ok) home.innerHTML = await response.text();
  else say((await response.json()).message);
} catch (error) {
  say('Plaudit could not sign you in through Teams (' + (error && error.message ? error.message : error) + '). Ask your Plaudit admin to check its single sign-on settings.');
}
`;

const UNAUTHORIZED =
  'This request carries no valid Microsoft Teams sign-in for Plaudit; reopen the tab in Teams.';
const NOT_ALLOWED =
  "Plaudit is not set up for your organization's Microsoft 365 tenant. Ask your Plaudit admin to add it.";

export interface TeamsTabOptions {
  readonly db: Database;
  readonly sso: TeamsSso;
  readonly tenants: TeamsTenants;
  readonly sections: HomeSections;
  /** How people address the bot in a chat (`@Plaudit`). */
  readonly commandName: string;
  readonly logger: Logger;
}

/**
 * The Teams personal tab, Teams' counterpart of Slack's App Home: `GET /teams/tab` is a
 * small page with the Teams JS SDK, which gets the person's SSO token and asks
 * `GET /teams/tab/content` for their home: balance, allowance left, recent kudos and the
 * leaderboard. The content answers only a token Entra ID signed for this app (401
 * otherwise), for a tenant Plaudit serves (403 otherwise), and shows the member that
 * token's tenant and object id are; someone Plaudit has not met yet is told how to start.
 */
export function teamsTabRoutes(options: TeamsTabOptions): Router {
  const routes = express.Router();
  routes.get(TEAMS_TAB_PATH, (_req, res) => {
    res.set(TAB_HEADERS).type('html').send(page().value);
  });
  routes.get(`${TEAMS_TAB_PATH}/tab.js`, (_req, res) => {
    res.set(TAB_HEADERS).type('js').set('Cache-Control', 'no-cache').send(SCRIPT);
  });
  routes.get(`${TEAMS_TAB_PATH}/tab.css`, (_req, res) => {
    res.set(TAB_HEADERS).type('css').set('Cache-Control', 'no-cache').send(STYLE);
  });
  routes.get(`${TEAMS_TAB_PATH}/teams-js.js`, (_req, res) => {
    res.set(TAB_HEADERS).type('js').set('Cache-Control', 'public, max-age=86400');
    res.sendFile(TEAMS_JS);
  });
  routes.get(`${TEAMS_TAB_PATH}/content`, async (req, res) => {
    res.set({ ...TAB_HEADERS, 'Cache-Control': 'no-store' });
    const token = /^Bearer (\S+)$/.exec(req.get('authorization') ?? '')?.[1];
    const checked = token ? await options.sso.check(token) : undefined;
    if (!checked?.ok) {
      options.logger.info(
        { reason: checked?.reason ?? 'no bearer token' },
        'a Teams tab request failed to authenticate',
      );
      refuse(res, 401, 'unauthorized', UNAUTHORIZED);
      return;
    }
    if (!options.tenants.isAllowed(checked.user.tenantId)) {
      refuse(res, 403, 'tenant_not_allowed', NOT_ALLOWED);
      return;
    }
    // The tab creates nothing: a tenant and its people are met by the bot.
    const tenant = await findTenant(options.db, checked.user.tenantId);
    const member =
      tenant &&
      (await findIdentifiedMember(options.db, {
        platform: 'teams',
        tenantId: tenant.tenantId,
        userId: checked.user.aadObjectId,
      }));
    // Only someone the bot has met is a member: installing the app, or a first message, does it.
    if (!tenant || !member || member.organizationId !== tenant.organizationId) {
      res.type('html').send(unknownPerson(options.commandName).value);
      return;
    }
    if (member.status !== 'active') {
      res.type('html').send(html`<p>Your Plaudit account is not active here.</p>`.value);
      return;
    }
    const sections = await options.sections.of(member, 'teams', options.commandName);
    res.type('html').send(home(sections, options.commandName).value);
  });
  return routes;
}

function refuse(res: Response, status: number, error: string, message: string): void {
  res.status(status).json({ error, message });
}

function page(): SafeHtml {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Plaudit</title>
<link rel="stylesheet" href="tab/tab.css">
<script src="tab/teams-js.js"></script>
<script type="module" src="tab/tab.js"></script>
</head>
<body>
<main id="home" aria-live="polite"><p class="hint">Signing you in through Teams…</p></main>
</body>
</html>`;
}

function home(sections: readonly Reply[], commandName: string): SafeHtml {
  return html`${sections.map((reply) => html`<section>${reply.blocks.map(block)}</section>`)}
<p class="hint">Give kudos with ${commandName} give @someone 10 for …, or "Give kudos" in a message's … menu.</p>`;
}

function unknownPerson(commandName: string): SafeHtml {
  return html`<h2>Welcome to Plaudit</h2>
<p>Plaudit has not met you yet. Open your chat with ${commandName} (the Chat tab above) and say hello, then come back here to see your points.</p>`;
}

/** A reply's block as HTML; buttons run commands, which belong in the chat, not here. */
function block(part: ReplyBlock): SafeHtml {
  switch (part.kind) {
    case 'heading':
      return html`<h2>${part.text}</h2>`;
    case 'text':
      return html`<p>${part.text}</p>`;
    case 'fields':
      return html`<dl>${part.fields.map((field) => html`<dt>${field.label}</dt><dd>${field.value}</dd>`)}</dl>`;
    case 'list':
      return html`<ul>${part.items.map((item) => html`<li>${item}</li>`)}</ul>`;
    case 'context':
      return html`<p class="context">${part.text}</p>`;
    case 'actions':
      return html``;
  }
}
