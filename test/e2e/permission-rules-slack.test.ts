import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningPlaudit } from '../../src/app.ts';
import { FakeSlackApi } from '../support/fake-slack-api.ts';
import { SIGNING_SECRET, startSlackPlaudit } from '../support/slack-plaudit.ts';
import { postSlashCommand, slashCommandText } from '../support/slack-requests.ts';

/** The people of the workspace, by Slack user id; Ada is named its admin. */
const PEOPLE = { ada: 'UADA', ben: 'UBEN', cara: 'UCARA', dan: 'UDAN', eve: 'UEVE' } as const;
type Person = keyof typeof PEOPLE;
const NAMES: Record<Person, string> = {
  ada: 'Ada',
  ben: 'Ben',
  cara: 'Cara',
  dan: 'Dan',
  eve: 'Eve',
};

/** A rule shape: the admin commands that set it, what they answer, and whom it lets through. */
interface Shape {
  readonly shape: string;
  readonly commands: readonly string[];
  readonly described: string;
  readonly allowed: readonly Person[];
  readonly refused: readonly Person[];
}

describe('who may give and receive, set and enforced through signed Slack commands', () => {
  const teamId = `T${randomUUID().slice(0, 8).toUpperCase()}`;
  const fake = new FakeSlackApi({ id: teamId, name: 'Rules Inc', botUserId: 'UBOT' });
  let plaudit: RunningPlaudit;
  let organizationId: number;
  let triggers = 0;

  /** Sends `/kudos {text}` as a person; resolves with the answer, in the ack or sent later. */
  async function say(person: Person, text: string): Promise<string> {
    const trigger = `trigger-${++triggers}`;
    const response = await postSlashCommand(plaudit.url, SIGNING_SECRET, {
      team_id: teamId,
      user_id: PEOPLE[person],
      channel_id: 'CRULES',
      text,
      trigger_id: trigger,
      response_url: `${fake.url}/respond/${trigger}`,
    });
    expect(response.status).toBe(200);
    await plaudit.settled();
    return slashCommandText(response, fake);
  }

  /** Points a person has earned, from the ledger. */
  async function earned(person: Person): Promise<number> {
    const { rows } = await sql<{ available: number }>`
      select b.credits_posted - b.debits_posted - b.debits_pending as available
      from platform_identities p
      join ledger_accounts a on a.member_id = p.member_id and a.code = 'earned'
      join ledger_balances b on b.account_id = a.id
      where p.platform = 'slack' and p.tenant_id = ${teamId} and p.user_id = ${PEOPLE[person]}`.execute(
      plaudit.db,
    );
    return Number(rows[0]?.available ?? 0);
  }

  /** Everything a give would touch: the organization's transfers, recognitions and balances. */
  async function ledger() {
    const { rows } = await sql<{ transfers: number; recognitions: number; moved: string }>`
      select
        (select count(*) from ledger_transfers where organization_id = ${organizationId})::int
          as transfers,
        (select count(*) from recognitions where organization_id = ${organizationId})::int
          as recognitions,
        (select coalesce(sum(b.debits_posted + b.credits_posted + b.debits_pending
            + b.credits_pending), 0)::text
          from ledger_balances b join ledger_accounts a on a.id = b.account_id
          where a.organization_id = ${organizationId}) as moved`.execute(plaudit.db);
    return rows[0];
  }

  beforeAll(async () => {
    await fake.start();
    for (const [person, id] of Object.entries(PEOPLE)) {
      const name = NAMES[person as Person];
      fake.users.set(id, {
        id,
        name,
        profile: { display_name: name, email: `${person}@${teamId.toLowerCase()}.rules.example` },
      });
    }
    plaudit = await startSlackPlaudit(fake, {
      PLAUDIT_INITIAL_ADMINS: `ada@${teamId.toLowerCase()}.rules.example`,
    });
    organizationId = plaudit.slack?.workspace?.organizationId as number;
    // Ada is named by PLAUDIT_INITIAL_ADMINS, so she is its admin (not for being seen first).
    for (const person of Object.keys(PEOPLE) as Person[]) await say(person, 'balance');
    expect(await say('ada', 'admin roles <@UEVE|eve> +hr')).toContain('Eve');
    expect(await say('ada', 'admin groups create "Design" <@UBEN|ben> <@UCARA|cara>')).toContain(
      'Design',
    );
  });
  afterAll(async () => {
    await plaudit?.close();
    await fake.stop();
  });

  it('makes the named person the admin, and refuses a rule from anyone else', async () => {
    const admins = await plaudit.db
      .selectFrom('members')
      .select('display_name')
      .where('organization_id', '=', organizationId)
      .where(sql<boolean>`'admin' = any(roles)`)
      .execute();
    expect(admins.map((admin) => admin.display_name)).toEqual(['Ada']);
    expect(await say('ben', 'admin allow-give only <@UBEN|ben>')).toBe(
      'Only admins can change who may give kudos; ask an admin if this needs doing.',
    );
    expect(await say('ada', 'admin rules')).toContain('Everyone may give kudos.');
    const refused = await plaudit.db
      .selectFrom('audit_log')
      .select(['action', 'target', 'refusal_code'])
      .where('organization_id', '=', organizationId)
      .where('outcome', '=', 'refused')
      .execute();
    expect(refused).toContainEqual({
      action: 'rule.set',
      target: 'rule:give',
      refusal_code: 'not_admin',
    });
  });

  /** Gives 5 points as each allowed person and as each refused one, and checks the ledger. */
  async function enforce(
    shape: Shape,
    give: (person: Person) => { giver: Person; recipient: Person },
    refusal: (person: Person) => string,
  ) {
    for (const command of shape.commands.slice(0, -1)) await say('ada', command);
    expect(await say('ada', shape.commands.at(-1) as string)).toBe(`Done. ${shape.described}`);
    for (const person of shape.allowed) {
      const { giver, recipient } = give(person);
      const before = await earned(recipient);
      const reply = await say(giver, `<@${PEOPLE[recipient]}> 5 for the ${shape.shape} rule`);
      expect(reply, `${giver} → ${recipient}`).toMatch(
        new RegExp(`^You gave 5 points to ${NAMES[recipient]} for the `),
      );
      expect(await earned(recipient)).toBe(before + 5);
    }
    for (const person of shape.refused) {
      const { giver, recipient } = give(person);
      const before = await ledger();
      const reply = await say(giver, `<@${PEOPLE[recipient]}> 5 for the ${shape.shape} rule`);
      expect(reply, `${giver} → ${recipient}`).toBe(refusal(person));
      expect(await ledger()).toEqual(before);
    }
  }

  const isOnly = (shape: Shape) => shape.commands.at(-1)?.includes(' only ') === true;

  const giving: Shape[] = [
    {
      shape: 'only a member',
      commands: ['admin allow-give only <@UBEN|ben>'],
      described: 'Only Ben may give kudos.',
      allowed: ['ben'],
      refused: ['cara'],
    },
    {
      shape: 'only a group',
      commands: ['admin allow-give only group:"Design"'],
      described: 'Only the Design group may give kudos.',
      allowed: ['cara'],
      refused: ['dan'],
    },
    {
      shape: 'only a role',
      commands: ['admin allow-give only role:hr'],
      described: 'Only HR may give kudos.',
      allowed: ['eve'],
      refused: ['ben'],
    },
    {
      shape: 'everyone except a member',
      commands: ['admin allow-give except <@UBEN|ben>'],
      described: 'Everyone except Ben may give kudos.',
      allowed: ['cara'],
      refused: ['ben'],
    },
    {
      shape: 'everyone except a group',
      commands: ['admin allow-give everyone', 'admin deny give group:"Design"'],
      described: 'Everyone except the Design group may give kudos.',
      allowed: ['dan'],
      refused: ['cara'],
    },
    {
      shape: 'everyone except a role',
      commands: ['admin allow-give except role:hr'],
      described: 'Everyone except HR may give kudos.',
      allowed: ['dan'],
      refused: ['eve'],
    },
    {
      shape: 'everyone',
      commands: ['admin allow-give everyone'],
      described: 'Everyone may give kudos.',
      // Both were refused by the rule before.
      allowed: ['eve', 'ben'],
      refused: [],
    },
  ];

  describe.each(giving)('giving: $shape', (shape) => {
    it('lets the people it names give, and refuses the others, saying why and whom to ask', async () => {
      await enforce(
        shape,
        (person) => ({ giver: person, recipient: 'ada' }),
        () =>
          isOnly(shape)
            ? 'Giving kudos is limited to some people here, and you are not among them; ask Ada (admin) if that seems wrong.'
            : 'You have been left out of giving kudos here; ask Ada (admin) if that seems wrong.',
      );
    });
  });

  const receiving: Shape[] = [
    {
      shape: 'only a member',
      commands: ['admin allow-receive only <@UBEN|ben>'],
      described: 'Only Ben may receive kudos.',
      allowed: ['ben'],
      refused: ['cara'],
    },
    {
      shape: 'only a group',
      commands: ['admin allow-receive only group:"Design"'],
      described: 'Only the Design group may receive kudos.',
      allowed: ['ben', 'cara'],
      refused: ['dan'],
    },
    {
      shape: 'only a role',
      commands: ['admin allow-receive only role:hr'],
      described: 'Only HR may receive kudos.',
      allowed: ['eve'],
      refused: ['dan'],
    },
    {
      shape: 'everyone except a member',
      commands: ['admin allow-receive everyone', 'admin deny receive <@UBEN|ben>'],
      described: 'Everyone except Ben may receive kudos.',
      allowed: ['cara'],
      refused: ['ben'],
    },
    {
      shape: 'everyone except a group',
      commands: ['admin allow-receive except group:"Design"'],
      described: 'Everyone except the Design group may receive kudos.',
      allowed: ['dan'],
      refused: ['cara'],
    },
    {
      shape: 'everyone except a role',
      commands: ['admin allow-receive except role:hr'],
      described: 'Everyone except HR may receive kudos.',
      allowed: ['ben'],
      refused: ['eve'],
    },
    {
      shape: 'everyone',
      commands: ['admin allow-receive everyone'],
      described: 'Everyone may receive kudos.',
      allowed: ['eve', 'dan'],
      refused: [],
    },
  ];

  describe.each(receiving)('receiving: $shape', (shape) => {
    it('lets the people it names receive, and refuses the others, saying why and whom to ask', async () => {
      await enforce(
        shape,
        (person) => ({ giver: 'ada', recipient: person }),
        (person) =>
          isOnly(shape)
            ? `Receiving kudos is limited to some people here, and ${NAMES[person]} is not among them; ask Ada (admin) if that seems wrong.`
            : `${NAMES[person]} has been left out of receiving kudos here; ask Ada (admin) if that seems wrong.`,
      );
    });
  });

  it('audits every rule the admin set', async () => {
    const { entries } = await import('../../src/admin/audit-log.ts').then(({ readAudit }) =>
      readAudit(plaudit.db, organizationId, { action: 'rule.set', outcome: 'done', limit: 100 }),
    );
    const targets = entries.map((entry) => entry.target);
    expect(targets.filter((target) => target === 'rule:give')).toHaveLength(
      giving.reduce((sum, shape) => sum + shape.commands.length, 0),
    );
    expect(targets.filter((target) => target === 'rule:receive')).toHaveLength(
      receiving.reduce((sum, shape) => sum + shape.commands.length, 0),
    );
    expect(entries.every((entry) => entry.actorName === 'Ada' && entry.via === 'slack')).toBe(true);
  });
});
