import type { Command } from '../core/command.ts';
import type { PermissionRule } from '../core/permission-rule.ts';
import { type Reply, refusalReply, textReply } from '../core/reply.ts';
import { normalizeCommandText } from '../recognition/grammar/give-grammar.ts';
import { loadRecognitionSettings } from '../recognition/settings.ts';
import { days, listNames } from '../recognition/wording.ts';
import { actorOfCommand } from './admin-actor.ts';
import type { AdminVerb } from './admin-commands.ts';
import type { AdminServices } from './admin-services.ts';
import { refuseUnlessAdmin } from './chat-guard.ts';
import { changePermissionRule, readPermissionRules } from './permission-rules.ts';
import {
  denySubjects,
  describeRule,
  describeSubjects,
  loadRuleNames,
  parseRuleText,
  parseSubjects,
  type ResolvedSubjects,
  type RuleTextRefusal,
  resolveSubjects,
} from './rule-text.ts';

type Which = 'give' | 'receive';

const attemptOf = (which: Which, text: string) => ({
  action: 'rule.set',
  target: `rule:${which}`,
  wanted: { text },
});

/**
 * The refusal for a non-admin (audited as `rule.set`), or undefined for an admin. Checked
 * before anything is looked up: resolving a mention may make a member on first sight, and
 * a refused command must change nothing.
 */
function refused(
  services: AdminServices,
  command: Command,
  which: Which,
  args: string,
): Promise<Reply | undefined> {
  return refuseUnlessAdmin(
    services,
    command,
    `change who may ${which} kudos`,
    attemptOf(which, args),
  );
}

/** What is wrong with a command that stopped before the service. */
function problemReply(problem: RuleTextRefusal): Reply {
  if (problem.code === 'usage') {
    return textReply(problem.message, { outcome: 'usage', code: 'usage' });
  }
  return refusalReply(problem.code, problem.message);
}

/** The reply to a rule that was set: the rule in words. */
async function ruleSet(
  services: AdminServices,
  command: Command,
  which: Which,
  rule: PermissionRule,
  extra: string[] = [],
): Promise<Reply> {
  const names = await loadRuleNames(services.db, command.actor.organizationId, [rule]);
  const text = [`Done. ${describeRule(which, rule, names)}`, ...extra].join('\n');
  return textReply(text);
}

function allow(which: Which): AdminVerb['handle'] {
  return async (services, command, args) => {
    const denied = await refused(services, command, which, args);
    if (denied) return denied;
    const parsed = parseRuleText(args, command.mentions);
    if ('ok' in parsed) return problemReply(parsed);
    const resolved = await resolveSubjects(services.db, command, parsed.subjects);
    if ('ok' in resolved) return problemReply(resolved);
    const rule: PermissionRule =
      parsed.kind === 'everyone' ? { kind: 'everyone' } : { kind: parsed.kind, ...resolved };
    const result = await changePermissionRule(
      services,
      actorOfCommand(command),
      which,
      { text: args },
      () => rule,
    );
    if (!result.ok) return refusalReply(result.code, result.message);
    return ruleSet(services, command, which, result.value);
  };
}

async function deny(services: AdminServices, command: Command, args: string): Promise<Reply> {
  const text = normalizeCommandText(args);
  const [first = '', ...rest] = text.split(/\s+/);
  const which = first.toLowerCase() as Which;
  const known = which === 'give' || which === 'receive';
  const denied = await refused(services, command, known ? which : 'give', args);
  if (denied) return denied;
  const example = `${command.commandName} admin deny give @bob group:"Sales EMEA" role:hr`;
  if (!known) {
    return problemReply({
      ok: false,
      code: 'usage',
      message: `Say whether to deny giving or receiving, and whom: ${example}`,
    });
  }
  const subjects = parseSubjects(rest.join(' '), command.mentions);
  if ('ok' in subjects) return problemReply(subjects);
  if (subjects.length === 0) {
    return problemReply({ ok: false, code: 'usage', message: `Say whom: ${example}` });
  }
  const resolved = await resolveSubjects(services.db, command, subjects);
  if ('ok' in resolved) return problemReply(resolved);
  let absent: ResolvedSubjects = { members: [], groups: [], roles: [] };
  const result = await changePermissionRule(
    services,
    actorOfCommand(command),
    which,
    { text: args },
    (current) => {
      const denied = denySubjects(current, resolved);
      absent = denied.absent;
      return denied.rule;
    },
  );
  if (!result.ok) return refusalReply(result.code, result.message);
  const names = await loadRuleNames(services.db, command.actor.organizationId, [
    { kind: 'only', ...absent },
  ]);
  const notListed = describeSubjects(absent, names);
  const extra =
    notListed.length > 0
      ? [
          `${listNames(notListed)} ${notListed.length === 1 ? 'was' : 'were'} not on the list, so nothing changed for ${notListed.length === 1 ? 'them' : 'those'}.`,
        ]
      : [];
  return ruleSet(services, command, which, result.value, extra);
}

async function rules(services: AdminServices, command: Command): Promise<Reply> {
  const denied = await refuseUnlessAdmin(services, command, 'see who may give and receive', {
    action: 'rule.read',
  });
  if (denied) return denied;
  const organizationId = command.actor.organizationId;
  const [current, { settings }] = await Promise.all([
    readPermissionRules(services.db, organizationId),
    loadRecognitionSettings(services.db, organizationId),
  ]);
  const names = await loadRuleNames(services.db, organizationId, [current.give, current.receive]);
  const lines = [
    describeRule('give', current.give, names),
    describeRule('receive', current.receive, names),
    settings.guestsMayParticipate
      ? 'Guests may give and receive kudos.'
      : 'Guests may not give or receive kudos.',
    settings.leaverRedeemDays === 0
      ? 'People who leave may not redeem their points.'
      : `People who leave may redeem their points for ${days(settings.leaverRedeemDays)}.`,
  ];
  const how = `Change them with ${command.commandName} admin allow-give, allow-receive or deny; guests and leavers with admin settings guests=yes leaver-days=30.`;
  return textReply([...lines, how].join('\n'), {
    blocks: [
      { kind: 'heading', text: 'Who may give and receive' },
      { kind: 'list', items: lines },
      { kind: 'context', text: how },
    ],
  });
}

export const ALLOW_GIVE_VERB: AdminVerb = {
  name: 'allow-give',
  usage: 'everyone | only @ana group:"Design" role:hr | except @bob',
  summary: 'who may give kudos',
  handle: allow('give'),
};

export const ALLOW_RECEIVE_VERB: AdminVerb = {
  name: 'allow-receive',
  usage: 'everyone | only @ana group:"Design" role:hr | except @bob',
  summary: 'who may receive kudos',
  handle: allow('receive'),
};

export const DENY_VERB: AdminVerb = {
  name: 'deny',
  usage: 'give|receive @bob group:"Sales" role:hr',
  summary: 'leave people, groups or roles out of giving or receiving',
  handle: deny,
};

export const RULES_VERB: AdminVerb = {
  name: 'rules',
  usage: '',
  summary: 'who may give and receive, in words',
  handle: (services, command) => rules(services, command),
};
