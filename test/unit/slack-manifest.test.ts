import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseConfig } from '../../src/config.ts';
import { SLACK_BOT_SCOPES } from '../../src/slack/slack-scopes.ts';

interface Manifest {
  features: {
    app_home: { home_tab_enabled: boolean };
    shortcuts: Array<{ type: string; callback_id: string }>;
    slash_commands: Array<{
      command: string;
      url: string;
      should_escape: boolean;
      description: string;
    }>;
  };
  oauth_config: { redirect_urls: string[]; scopes: { bot: string[] } };
  settings: {
    org_deploy_enabled: boolean;
    socket_mode_enabled: boolean;
    event_subscriptions: { request_url: string; bot_events: string[] };
    interactivity: { is_enabled: boolean; request_url: string };
  };
}

const manifest = parse(
  await readFile(new URL('../../manifests/slack/manifest.yml', import.meta.url), 'utf8'),
) as Manifest;

/** The Slack adapter's source, all its files together. */
async function adapterSource(): Promise<string> {
  const folder = new URL('../../src/slack/', import.meta.url);
  const files = await readdir(folder);
  const sources = await Promise.all(files.map((file) => readFile(new URL(file, folder), 'utf8')));
  return sources.join('\n');
}

/** Every Web API method the Slack adapter calls, read from its source. */
async function methodsCalled(): Promise<Set<string>> {
  const calls = (await adapterSource()).matchAll(/client\.((?:\w+\.)*\w+)\(/g);
  return new Set([...calls].map((match) => match[1] as string));
}

/** The bot scopes each method needs (api.slack.com/methods). */
const SCOPES_BY_METHOD: Record<string, string[]> = {
  'auth.test': [],
  'users.info': ['users:read', 'users:read.email'],
  'usergroups.list': ['usergroups:read'],
  'usergroups.users.list': ['usergroups:read'],
  'chat.postMessage': ['chat:write', 'chat:write.public'],
  'conversations.open': ['im:write'],
  'views.publish': [],
  'views.open': [],
  'chat.postEphemeral': ['chat:write'],
  // A celebration redrawn with its boosts.
  'chat.update': ['chat:write'],
};

/** The bot scopes Slack needs to deliver each event (api.slack.com/events), email included. */
const SCOPES_BY_EVENT: Record<string, string[]> = {
  app_home_opened: [],
  subteam_created: ['usergroups:read'],
  subteam_members_changed: ['usergroups:read'],
  subteam_updated: ['usergroups:read'],
  team_join: ['users:read', 'users:read.email'],
  user_change: ['users:read', 'users:read.email'],
  app_uninstalled: [],
  tokens_revoked: [],
  reaction_added: ['reactions:read'],
  reaction_removed: ['reactions:read'],
};

describe('the Slack app manifest', () => {
  it('declares the slash command the adapter answers, escaped, on /slack/events', () => {
    const [command] = manifest.features.slash_commands;
    expect(command?.command).toBe(parseConfig({}).SLACK_COMMAND);
    expect(command?.should_escape).toBe(true);
    expect(new URL(command?.url ?? '').pathname).toBe('/slack/events');
  });

  it('subscribes to the events the adapter handles, on /slack/events, with the Home tab on', async () => {
    const source = await adapterSource();
    const handled = [...source.matchAll(/app\.event\('(\w+)'/g)].map((match) => match[1]);
    // In any order: the handlers are spread over several files, read in no set order.
    expect([...manifest.settings.event_subscriptions.bot_events].sort()).toEqual(handled.sort());
    expect(new URL(manifest.settings.event_subscriptions.request_url).pathname).toBe(
      '/slack/events',
    );
    expect(manifest.features.app_home.home_tab_enabled).toBe(true);
  });

  it('keeps people current: joiners and changed users are subscribed, with the scopes they need', () => {
    const events = manifest.settings.event_subscriptions.bot_events;
    expect(events).toEqual(expect.arrayContaining(['team_join', 'user_change']));
    for (const event of events) {
      expect(SCOPES_BY_EVENT, event).toHaveProperty([event]);
      expect(manifest.oauth_config.scopes.bot, event).toEqual(
        expect.arrayContaining(SCOPES_BY_EVENT[event] ?? []),
      );
    }
  });

  it("sends OAuth installs back to Bolt's redirect path on the host of its other URLs", () => {
    const host = new URL(manifest.settings.event_subscriptions.request_url).host;
    const redirects = manifest.oauth_config.redirect_urls.map((url) => new URL(url));
    expect(redirects.map((url) => [url.protocol, url.host, url.pathname])).toEqual([
      ['https:', host, '/slack/oauth_redirect'],
    ]);
  });

  it('declares the shortcuts the adapter handles, with interactivity on /slack/events', async () => {
    const source = await adapterSource();
    const handled = [...source.matchAll(/app\.shortcut\('(\w+)'/g)].map((match) => match[1]);
    expect(manifest.features.shortcuts.map((shortcut) => shortcut.callback_id)).toEqual(handled);
    expect(manifest.features.shortcuts.map((shortcut) => shortcut.type)).toEqual([
      'global',
      'message',
    ]);
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(new URL(manifest.settings.interactivity.request_url).pathname).toBe('/slack/events');
  });

  it('asks for exactly the bot scopes the adapter uses, for the methods it calls and the events it takes', async () => {
    const methods = await methodsCalled();
    for (const method of methods) expect(SCOPES_BY_METHOD, method).toHaveProperty([method]);
    const needed = new Set([
      'commands',
      ...[...methods].flatMap((method) => SCOPES_BY_METHOD[method] ?? []),
      // Some events need a scope no method does (reactions:read for reaction_added).
      ...manifest.settings.event_subscriptions.bot_events.flatMap(
        (event) => SCOPES_BY_EVENT[event] ?? [],
      ),
    ]);
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual([...needed].sort());
  });

  it('asks for the same bot scopes in an OAuth install as the manifest declares', () => {
    expect([...SLACK_BOT_SCOPES].sort()).toEqual([...manifest.oauth_config.scopes.bot].sort());
  });

  it('lets an Enterprise Grid install org-wide, and tells Plaudit when it is removed', () => {
    expect(manifest.settings.org_deploy_enabled).toBe(true);
    expect(manifest.settings.event_subscriptions.bot_events).toEqual(
      expect.arrayContaining(['app_uninstalled', 'tokens_revoked']),
    );
  });
});
