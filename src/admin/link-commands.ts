import type { Command } from '../core/command.ts';
import { type Reply, refusalReply, textReply } from '../core/reply.ts';
import { normalizeCommandText } from '../recognition/grammar/give-grammar.ts';
import { actorOfCommand } from './admin-actor.ts';
import type { AdminVerb } from './admin-commands.ts';
import type { AdminServices } from './admin-services.ts';
import { when } from './audit-command.ts';
import { createLinkCode, LINK_CODE_HOURS, redeemLinkCode } from './organization-links.ts';

/**
 * `/kudos admin link`: a one-time code that brings a further Slack workspace or Teams
 * tenant into this organization; `/kudos admin link <code>`, run there by its admin, moves
 * it here. The code is in the private answer to the first and nowhere else.
 */
async function link(services: AdminServices, command: Command, args: string): Promise<Reply> {
  const code = normalizeCommandText(args);
  if (code === '') return make(services, command);
  return redeem(services, command, code);
}

async function make(services: AdminServices, command: Command): Promise<Reply> {
  const result = await createLinkCode(services.db, actorOfCommand(command));
  if (!result.ok) return refusalReply(result.code, result.message);
  const { code, expiresAt, organizationName } = result.value;
  const { settings } = await services.settings.load(command.actor.organizationId);
  const made = `A link code for ${organizationName}, which works once, until ${when(expiresAt, settings.timezone)} (${LINK_CODE_HOURS} hours):`;
  const slack = command.platform === 'slack' ? command.commandName : '/kudos';
  const how = `In the Slack workspace or Teams tenant to bring in, an admin there runs it: ${slack} admin link ${code} in Slack, or the message admin link ${code} to Plaudit in Teams. Its people then share this organization's points, settings and admins. It is refused there if points were given, adjusted or redeemed there already.`;
  return textReply([made, `\`${code}\``, how].join('\n'), {
    blocks: [
      { kind: 'text', text: made },
      { kind: 'text', text: `\`${code}\`` },
      { kind: 'context', text: how },
    ],
    // Only where the admin alone sees it: whoever holds it can bring a workspace in.
    confidential: true,
  });
}

async function redeem(services: AdminServices, command: Command, code: string): Promise<Reply> {
  const result = await redeemLinkCode(
    services.db,
    actorOfCommand(command),
    { platform: command.platform, tenantId: command.tenantId },
    code,
  );
  if (!result.ok) return refusalReply(result.code, result.message);
  const where = command.platform === 'teams' ? 'This Teams tenant' : 'This Slack workspace';
  return textReply(
    `${where} is now part of ${result.value.organizationName}: its people share that organization's points, settings and admins from their next command on (one member per person where the email matches). Roles given here before, yours too, stay with the organization it left; ask an admin of ${result.value.organizationName} for any you need.`,
  );
}

export const LINK_VERB: AdminVerb = {
  name: 'link',
  usage: '[<code>]',
  summary:
    'one organization across workspaces and tenants: make a one-time link code, or run one made elsewhere to move this workspace there',
  handle: link,
};
