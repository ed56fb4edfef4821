import type { Command } from '../core/command.ts';
import { type Reply, textReply } from '../core/reply.ts';
import type { AdminVerb } from './admin-commands.ts';
import type { AdminServices } from './admin-services.ts';
import { type AuditEntry, readAudit } from './audit-log.ts';
import { refuseUnlessAdmin } from './chat-guard.ts';

/** How many entries the chat command shows; the rest are in the CSV export and the API. */
export const AUDIT_SHOWN = 20;

/** The longest `before → after` shown per line, so a reply stays readable. */
const CHANGE_SHOWN = 120;

const ACTION = /^[a-z_]+\.[a-z_]+$/;

const formats = new Map<string, Intl.DateTimeFormat>();

/** "2026-05-01 14:03", in the organization's time zone. */
export function when(at: Date, timezone: string): string {
  let format = formats.get(timezone);
  if (!format) {
    format = new Intl.DateTimeFormat('sv-SE', {
      timeZone: timezone,
      dateStyle: 'short',
      timeStyle: 'short',
    });
    formats.set(timezone, format);
  }
  return format.format(at);
}

const json = (value: unknown) => (value === null ? '' : JSON.stringify(value));

/** One audit entry as a line: when, who, what to what, how it ended, what changed. */
export function auditLine(entry: AuditEntry, timezone: string): string {
  const who = entry.actorName ?? (entry.via === 'system' ? 'Plaudit' : 'someone');
  const target = entry.target ? ` ${entry.target}` : '';
  const outcome = entry.outcome === 'refused' ? ` — refused (${entry.refusalCode})` : '';
  const before = json(entry.before);
  const after = json(entry.after);
  let change = before && after ? `${before} → ${after}` : after || before;
  if (change.length > CHANGE_SHOWN) change = `${change.slice(0, CHANGE_SHOWN - 1)}…`;
  return `#${entry.id} ${when(entry.at, timezone)} ${who} (${entry.via}): ${entry.action}${target}${outcome}${change ? ` ${change}` : ''}`;
}

async function audit(services: AdminServices, command: Command, args: string): Promise<Reply> {
  const action = args.trim().toLowerCase();
  const denied = await refuseUnlessAdmin(services, command, 'read the audit log', {
    action: 'audit.read',
    wanted: action ? { action } : undefined,
  });
  if (denied) return denied;
  if (action && !ACTION.test(action)) {
    return textReply(
      `Name an action like role.grant or adjustment.deduct: ${command.commandName} admin audit role.grant`,
      { outcome: 'usage', code: 'usage' },
    );
  }
  const organizationId = command.actor.organizationId;
  const [{ entries }, { settings }] = await Promise.all([
    readAudit(services.db, organizationId, {
      limit: AUDIT_SHOWN,
      ...(action && { action }),
    }),
    services.settings.load(organizationId),
  ]);
  const title = action ? `Audit log: ${action}` : 'Audit log';
  if (entries.length === 0) {
    return textReply(action ? `${title}: no entries yet.` : `${title}: nothing yet.`);
  }
  const lines = entries.map((entry) => auditLine(entry, settings.timezone));
  const note = `The latest ${entries.length}, newest first; the whole log is in the admin API as CSV.`;
  return textReply([`${title}:`, ...lines, note].join('\n'), {
    blocks: [
      { kind: 'heading', text: title },
      { kind: 'list', items: lines },
      { kind: 'context', text: note },
    ],
  });
}

export const AUDIT_VERB: AdminVerb = {
  name: 'audit',
  usage: '[action]',
  summary: 'the latest admin and HR actions, done or refused',
  handle: audit,
};
