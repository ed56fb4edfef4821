import { actorOfCommand } from '../admin/admin-actor.ts';
import type { AdminVerb } from '../admin/admin-commands.ts';
import { writeAudit } from '../admin/audit-log.ts';
import { refusalReply, textReply } from '../core/reply.ts';
import { createSignInLink, LINK_MINUTES } from './sign-in-links.ts';

/**
 * `/kudos admin console`: a one-time sign-in link to the web console, for admins and HR,
 * sent by direct message. Issuing one is audited (without the secret); so is a refusal.
 */
export function consoleVerb(consoleUrl: () => string | undefined): AdminVerb {
  return {
    name: 'console',
    usage: '',
    summary: 'admins and HR: a one-time link to the web console, by direct message',
    handle: async (services, command) => {
      const actor = actorOfCommand(command);
      if (!actor.roles.includes('admin') && !actor.roles.includes('hr')) {
        await writeAudit(services.db, actor, {
          action: 'console.link',
          outcome: 'refused',
          refusalCode: 'not_admin',
        });
        return refusalReply(
          'not_admin',
          'Only admins and HR can use the web console; ask an admin if you need it.',
        );
      }
      const base = consoleUrl();
      if (!base) {
        return refusalReply(
          'console_address_unset',
          "The console's web address is not set, so a link could not reach you; ask whoever runs Plaudit to set PUBLIC_URL.",
        );
      }
      const secret = await createSignInLink(
        services.db,
        command.actor.organizationId,
        command.actor.id,
      );
      await writeAudit(services.db, actor, { action: 'console.link', outcome: 'done' });
      const link = `${base}/console/sign-in?token=${secret}`;
      return textReply(
        `Your link to the Plaudit console works once, for ${LINK_MINUTES} minutes: ${link}`,
        { direct: true },
      );
    },
  };
}
