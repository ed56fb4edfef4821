import type { Command } from '../core/command.ts';
import { type Reply, refusalReply, textReply } from '../core/reply.ts';
import type { ApiTokenRole } from '../db/tables.ts';
import { normalizeCommandText } from '../recognition/grammar/give-grammar.ts';
import { actorOfCommand } from './admin-actor.ts';
import type { AdminVerb } from './admin-commands.ts';
import type { AdminServices } from './admin-services.ts';
import { type ApiToken, createApiToken, listApiTokens, revokeApiToken } from './api-tokens.ts';
import { when } from './audit-command.ts';
import { refuseUnlessAdmin } from './chat-guard.ts';

/**
 * `/kudos admin tokens …`: API tokens from chat, so that a Slack or Teams deployment
 * without PLAUDIT_ADMIN_TOKEN can still reach its HTTP API. A new token's secret is in the
 * private answer to `create` and nowhere else: lists and the audit log show its last four
 * characters only.
 */

/** `create payroll sync hr`, `create "payroll sync" admin`: the name is all but the role. */
const CREATE = /^create\s+(.+?)\s+(admin|hr)$/iu;
const REVOKE = /^revoke\s+#?(\d{1,15})$/iu;
const QUOTED = /^["“”](.*)["“”]$/u;

/** The audit action a command tried, for the refusal of one that does not parse. */
function actionOf(text: string): string {
  const first = text.split(/\s+/, 1)[0]?.toLowerCase() ?? '';
  if (first === 'create') return 'token.create';
  if (first === 'revoke') return 'token.revoke';
  return 'token.read';
}

async function tokens(services: AdminServices, command: Command, args: string): Promise<Reply> {
  const text = normalizeCommandText(args);
  if (text === '' || text.toLowerCase() === 'list') return list(services, command);
  const creating = CREATE.exec(text);
  // The services check the role first: a non-admin is refused and audited there.
  if (creating) {
    const name = (creating[1] as string).replace(QUOTED, '$1');
    return create(services, command, name, (creating[2] as string).toLowerCase() as ApiTokenRole);
  }
  const revoking = REVOKE.exec(text);
  if (revoking) return revoke(services, command, Number(revoking[1]));
  const denied = await refuseUnlessAdmin(services, command, 'manage API tokens', {
    action: actionOf(text),
    wanted: { text: args },
  });
  if (denied) return denied;
  const name = `${command.commandName} admin tokens`;
  return textReply(
    [
      'Say what to do with API tokens:',
      `${name} — every token, without its secret`,
      `${name} create payroll sync hr — a new token with the role admin or hr; its secret is shown once`,
      `${name} revoke 3 — the token stops working for good`,
    ].join('\n'),
    { outcome: 'usage', code: 'usage' },
  );
}

async function list(services: AdminServices, command: Command): Promise<Reply> {
  const denied = await refuseUnlessAdmin(services, command, 'see the API tokens', {
    action: 'token.read',
  });
  if (denied) return denied;
  const organizationId = command.actor.organizationId;
  const [all, { settings }] = await Promise.all([
    listApiTokens(services.db, organizationId),
    services.settings.load(organizationId),
  ]);
  const how = `Make one with ${command.commandName} admin tokens create <name> admin|hr; revoke one with ${command.commandName} admin tokens revoke <id>.`;
  if (all.length === 0) return textReply(`There are no API tokens yet. ${how}`);
  const items = all.map((token) => tokenLine(token, settings.timezone));
  return textReply(['API tokens:', ...items, how].join('\n'), {
    blocks: [
      { kind: 'heading', text: 'API tokens' },
      { kind: 'list', items },
      { kind: 'context', text: how },
    ],
  });
}

/** One token as a line: never its secret, only the last four characters that tell it apart. */
export function tokenLine(token: ApiToken, timezone: string): string {
  const used = token.lastUsedAt ? when(token.lastUsedAt, timezone) : 'never';
  const state = token.revokedAt ? `revoked ${when(token.revokedAt, timezone)}` : 'active';
  return `#${token.id} “${token.name}” — ${token.role}, ends in …${token.hint}, made ${when(token.createdAt, timezone)}, last used ${used}, ${state}`;
}

async function create(
  services: AdminServices,
  command: Command,
  name: string,
  role: ApiTokenRole,
): Promise<Reply> {
  const result = await createApiToken(services.db, actorOfCommand(command), { name, role });
  if (!result.ok) return refusalReply(result.code, result.message);
  const { token, secret } = result.value;
  const made = `Made the API token #${token.id} “${token.name}” with the role ${token.role}. Its secret is below; it will not be shown again, and Plaudit keeps only its hash, so copy it to a secret store now.`;
  const use = `Send it as Authorization: Bearer <secret>. Revoke it with ${command.commandName} admin tokens revoke ${token.id}.`;
  return textReply([made, `\`${secret}\``, use].join('\n'), {
    blocks: [
      { kind: 'text', text: made },
      { kind: 'text', text: `\`${secret}\`` },
      { kind: 'context', text: use },
    ],
    // Only where the admin alone sees it: never a shared conversation, even as a fallback.
    confidential: true,
  });
}

async function revoke(services: AdminServices, command: Command, id: number): Promise<Reply> {
  const result = await revokeApiToken(services.db, actorOfCommand(command), id);
  if (!result.ok) return refusalReply(result.code, result.message);
  const token = result.value;
  return textReply(
    `The API token #${token.id} “${token.name}” (ending in …${token.hint}) is revoked; it no longer works.`,
  );
}

export const TOKENS_VERB: AdminVerb = {
  name: 'tokens',
  aliases: ['token'],
  usage: '[create <name> admin|hr | revoke <id>]',
  summary: 'API tokens for the HTTP API: list, create (the secret is shown once), revoke',
  handle: tokens,
};
