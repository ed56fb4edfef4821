import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningPlaudit } from '../../src/app.ts';
import { BotFrameworkKey } from '../support/bot-framework-keys.ts';
import { FakeBotConnector, type FakeTeamsUser } from '../support/fake-bot-connector.ts';
import {
  botInstalled,
  cardSubmission,
  postActivity,
  type TeamsScene,
  teamsMessage,
} from '../support/teams-activities.ts';
import { teamsEarned, tenantLedgerRows } from '../support/teams-ledger.ts';
import {
  connectorToken,
  startTeamsPlaudit,
  teamsScene,
  tenantPeople,
} from '../support/teams-plaudit.ts';

const APP_ID = randomUUID();

describe('the Teams adapter over Bot Framework HTTP', () => {
  const tenantId = randomUUID();
  const connector = new FakeBotConnector();
  let plaudit: RunningPlaudit;
  let scene: TeamsScene;
  const person = tenantPeople(connector, tenantId);
  const ana = person('Ana');
  const li = person('Li');
  const jose = person('José García');
  const tanaka = person('田中 太郎', { email: `tanaka.${tenantId.slice(0, 8)}@contoso.example` });
  const guest = person('Gil Guest', { userRole: 'guest' });
  const gone = person('Gone Gabriel');
  const stranger = { id: `29:${randomUUID()}`, aadObjectId: randomUUID(), name: 'Nobody' };

  const token = () => connectorToken(connector, APP_ID);
  /** Posts an activity signed as the Bot Connector signs it; resolves once all follow-up work is done. */
  async function send(activity: Record<string, unknown>) {
    const response = await postActivity(plaudit.url, activity, token());
    await plaudit.settled();
    return response;
  }
  /** What the bot answered to one activity. */
  const repliesTo = (activity: Record<string, unknown>) =>
    connector.answersTo(activity).map((sent) => sent.activity);
  const replyText = (activity: Record<string, unknown>) => {
    const [reply] = repliesTo(activity);
    return (reply?.text ?? reply?.summary) as string | undefined;
  };

  const earned = (user: FakeTeamsUser) => teamsEarned(plaudit.db, tenantId, user);
  const ledgerRows = () => tenantLedgerRows(plaudit.db, tenantId);

  beforeAll(async () => {
    await connector.start();
    scene = teamsScene(connector, APP_ID, tenantId);
    plaudit = await start();
  });
  /** A Teams-only Plaudit on the test database, serving one tenant. */
  const start = (tenant = tenantId) =>
    startTeamsPlaudit(
      connector,
      APP_ID,
      { TEAMS_ALLOWED_TENANTS: tenant },
      { PLAUDIT_INITIAL_ADMINS: jose.email ?? '' },
    );
  afterAll(async () => {
    await plaudit?.close();
    await connector.stop();
  });

  it('serves /api/messages and no local console when an app id is configured', async () => {
    expect((await fetch(`${plaudit.url}/console/try`, { redirect: 'manual' })).status).toBe(303);
    const commands = await fetch(`${plaudit.url}/api/console/commands`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ member: 'ana', text: 'balance' }),
    });
    expect(commands.status).toBe(404);
    expect((await postActivity(plaudit.url, teamsMessage(scene, ana, 'help'))).status).toBe(401);
  });

  it('gives to several people in a channel where the bot is mentioned, once each', async () => {
    const channel = `19:${randomUUID()}@thread.tacv2;messageid=1`;
    const message = teamsMessage(
      scene,
      jose,
      '<at>Ana</at> <at>Li</at> and <at>Ana</at> 5 for pairing',
      { conversationType: 'channel', conversationId: channel, mentions: [ana, li, ana] },
    );
    expect((await send(message)).status).toBe(200);
    expect(await earned(ana)).toBe(5);
    expect(await earned(li)).toBe(5);
    const [celebration] = repliesTo(message);
    expect(celebration?.summary).toBe(
      'You gave 5 points to Ana and Li for pairing. You have 90 points left to give this month.',
    );
    const card = JSON.stringify(celebration?.attachments);
    expect(card).toContain('José García gave Ana and Li 5 points');
    expect(card).toContain('pairing');
    // Replies carry the bot's own token, issued to this app by the token endpoint.
    const bearer = connector.sentTo(channel)[0]?.authorization?.replace(/^Bearer /, '') ?? '';
    expect(connector.issuedTokens.get(bearer)).toBe(APP_ID);
    // Li never chatted with the bot: it opens a one-to-one chat to tell her.
    expect(connector.createdConversations).toContainEqual(
      expect.objectContaining({ isGroup: false, members: [{ id: li.id, name: '' }], tenantId }),
    );
    expect(connector.sentTo(`a:chat-with-${li.id}`).map((sent) => sent.activity.text)).toEqual([
      '🎉 José García gave you 5 points for pairing',
    ]);
  });

  it('gives in a personal chat: a confirmation card, and a personal message to the recipient', async () => {
    const message = teamsMessage(scene, ana, 'give <at>Li</at> 10 for the launch #teamwork', {
      mentions: [li],
    });
    await send(message);
    expect(await earned(li)).toBe(15);
    const [reply] = connector.sentTo(`a:personal-${ana.id}`);
    expect(reply?.replyToId).toBe(message.id);
    expect(reply?.activity.summary).toBe(
      'You gave 10 points to Li for the launch #teamwork. You have 90 points left to give this month.',
    );
    expect(JSON.stringify(reply?.activity.attachments)).toContain(
      'application/vnd.microsoft.card.adaptive',
    );
    // Li has a chat with the bot now: she is told there.
    expect(connector.sentTo(`a:chat-with-${li.id}`).at(-1)?.activity.text).toBe(
      '🎉 Ana gave you 10 points for the launch #teamwork',
    );
    // References are kept without the activity they came with, so that a later message
    // starts anew rather than replying to an old one (in a channel, inside its thread).
    const { rows } = await sql<{ reference: Record<string, unknown> }>`
      select reference from teams_conversations where conversation_id = ${`a:personal-${ana.id}`}`.execute(
      plaudit.db,
    );
    expect(rows[0]?.reference.conversation).toMatchObject({ id: `a:personal-${ana.id}` });
    expect(rows[0]?.reference).not.toHaveProperty('activityId');
  });

  it('does not retry a personal message Teams refuses for good, and retries a passing failure', async () => {
    const bea = person('Bea Blocked');
    const fay = person('Fay Flaky');
    // A giver of its own: the other tests count what Ana has left to give.
    const gia = person('Gia Giver');
    // Bea blocked the bot: every message to her chat is refused. Fay's first one meets a
    // Connector hiccup.
    connector.refusals.set(`a:chat-with-${bea.id}`, [403, 403, 403, 403, 403, 403, 403, 403]);
    connector.refusals.set(`a:chat-with-${fay.id}`, [502]);
    const message = teamsMessage(
      scene,
      gia,
      '<at>Bea Blocked</at> <at>Fay Flaky</at> 3 for the demo',
      {
        conversationType: 'channel',
        conversationId: `19:${randomUUID()}@thread.tacv2;messageid=1`,
        mentions: [bea, fay],
      },
    );
    // Resolves once every job has finished, retries included.
    await send(message);
    expect(await earned(bea)).toBe(3);
    expect(await earned(fay)).toBe(3);
    expect(repliesTo(message)[0]?.summary).toContain(
      'You gave 3 points to Bea Blocked and Fay Flaky',
    );
    // Bea's message was tried once: a refusal for good is not retried.
    expect(
      connector.refused.filter((refusal) => refusal.conversationId === `a:chat-with-${bea.id}`),
    ).toEqual([{ conversationId: `a:chat-with-${bea.id}`, status: 403 }]);
    expect(connector.sentTo(`a:chat-with-${bea.id}`)).toEqual([]);
    // Fay's was tried again after the hiccup, and she was told once.
    expect(
      connector.refused.filter((refusal) => refusal.conversationId === `a:chat-with-${fay.id}`),
    ).toHaveLength(1);
    expect(connector.sentTo(`a:chat-with-${fay.id}`).map((sent) => sent.activity.text)).toEqual([
      '🎉 Gia Giver gave you 3 points for the demo',
    ]);
  });

  it('knows only the people it has met in a personal chat, as Teams shows it no one else', async () => {
    const newcomer = person('Nina Newcomer');
    const message = teamsMessage(scene, ana, '<at>Nina Newcomer</at> 5 for the welcome', {
      mentions: [newcomer],
    });
    const before = await ledgerRows();
    await send(message);
    expect(replyText(message)).toBe(
      'I do not know who Nina Newcomer is; check the name or pick them from the list.',
    );
    expect(await ledgerRows()).toEqual(before);
  });

  it('tells two people who show the same name apart by their mention entities', async () => {
    const otherAna = person('Ana', { email: `ana2.${tenantId.slice(0, 8)}@contoso.example` });
    await send(
      teamsMessage(scene, tanaka, '<at>Ana</at> <at>Ana</at> 2 for the twins', {
        conversationType: 'groupChat',
        conversationId: `19:${randomUUID()}@thread.v2`,
        mentions: [ana, otherAna],
      }),
    );
    expect(await earned(ana)).toBe(7);
    expect(await earned(otherAna)).toBe(2);
  });

  it('speaks unicode both ways', async () => {
    const message = teamsMessage(
      scene,
      jose,
      '<at>田中 太郎</at> 3 for the 翻訳 🎉 with <at>Ana</at> #チーム',
      { mentions: [tanaka, ana] },
    );
    await send(message);
    // A mention in the reason reads as the name it shows.
    expect(replyText(message)).toBe(
      'You gave 3 points to 田中 太郎 for the 翻訳 🎉 with Ana #チーム. You have 87 points left to give this month.',
    );
    expect(await earned(tanaka)).toBe(3);
  });

  it('reads a thank-you written before the bot mention in a channel (issue 18)', async () => {
    const giver = person('Gus Giver');
    const sam = person('Sam Sentence');
    const channel = `19:${randomUUID()}@thread.tacv2;messageid=1`;
    const message = teamsMessage(scene, giver, 'Thanks <at>Sam Sentence</at> 4 for the review', {
      conversationType: 'channel',
      conversationId: channel,
      mentions: [sam],
      mentionBot: false,
    });
    // The bot is mentioned last, after the thank-you, as people often write it.
    message.text = `${message.text as string} <at>${scene.bot.name}</at>`;
    (message.entities as unknown[]).push({
      type: 'mention',
      text: `<at>${scene.bot.name}</at>`,
      mentioned: scene.bot,
    });
    expect((await send(message)).status).toBe(200);
    expect(replyText(message)).toBe(
      'You gave 4 points to Sam Sentence for the review. You have 96 points left to give this month.',
    );
    expect(await earned(sam)).toBe(4);
    // Talk about someone, not a thank-you: nothing moves (asked in a personal chat).
    const before = await ledgerRows();
    const talk = teamsMessage(scene, giver, 'lunch with <at>Sam Sentence</at> tomorrow', {
      mentions: [sam],
    });
    await send(talk);
    expect(replyText(talk)).toMatch(/^That reads as a mention of someone, not a thank-you\./);
    expect(await ledgerRows()).toEqual(before);
  });

  it('refuses every bad give with a sentence, and the ledger does not move', async () => {
    // Gil, a guest, says hello first: in a personal chat the bot knows only people it met.
    await send(teamsMessage(scene, guest, 'help'));
    // Gil's member is deactivated, as an admin (or Slack) may have done.
    await send(teamsMessage(scene, gone, 'balance'));
    await sql`update members set status = 'deactivated' where id = (
      select member_id from platform_identities where user_id = ${gone.aadObjectId})`.execute(
      plaudit.db,
    );
    const before = await ledgerRows();
    // The organization's admin (José, named by PLAUDIT_INITIAL_ADMINS); refusals name them.
    const { rows: admins } = await sql<{ display_name: string }>`
      select display_name from members
      where 'admin' = any(roles) and organization_id = (select organization_id
        from platform_identities where user_id = ${guest.aadObjectId} limit 1)`.execute(plaudit.db);
    expect(admins).toHaveLength(1);
    const admin = admins[0]?.display_name;
    const cases: Array<[string, FakeTeamsUser[], string]> = [
      [
        '<at>Gone Gabriel</at> 5 for the past',
        [gone],
        'Gone Gabriel is no longer active here, so they cannot receive kudos.',
      ],
      [
        '<at>Li</at> 95 for too much',
        [li],
        'You have 90 points left to give this month; this needs 95.',
      ],
      [
        '<at>Li</at> <at>José García</at> 50 for too much each',
        [li, jose],
        'You have 90 points left to give this month; this needs 100.',
      ],
      [
        '<at>Li</at> <at>Ana</at> 5 for us',
        [li, ana],
        'You cannot give kudos to yourself. Nobody was credited; send it again without yourself.',
      ],
      [
        '<at>Li</at> 1000 for everything',
        [li],
        'Kudos are at most 100 points each; 1000 is more than that.',
      ],
      [
        '<at>Gil Guest</at> 5 for helping',
        [guest],
        `Gil Guest is a guest, and guests cannot receive kudos here; ask ${admin} (admin) if that should change.`,
      ],
      [
        '<at>Nobody</at> 5 for x',
        [stranger],
        'I do not know who Nobody is; check the name or pick them from the list.',
      ],
      [
        '@bob 5 for typing a name',
        [],
        'I do not know who @bob is; check the name or pick them from the list.',
      ],
      [
        '<at>Someone</at> 5 for x',
        [],
        'I could not tell who Someone is; pick them from the mention list. Give kudos like this: @Plaudit @ana @li 10 for the launch #teamwork',
      ],
      [
        'thanks all',
        [],
        'Say who you are thanking with a mention: @Plaudit thanks @ana for the help. Give kudos like this: @Plaudit @ana @li 10 for the launch #teamwork',
      ],
      [
        '<at>Li</at> -5 for nothing',
        [li],
        'Kudos add points; the amount cannot be negative. Give kudos like this: @Plaudit @ana @li 10 for the launch #teamwork',
      ],
    ];
    for (const [text, mentions, expected] of cases) {
      const message = teamsMessage(scene, ana, text, { mentions });
      const response = await send(message);
      expect(response.status, text).toBe(200);
      expect(replyText(message), text).toBe(expected);
    }
    expect(await ledgerRows()).toEqual(before);
  });

  it('sends the give-kudos card and takes its submission through the same rules', async () => {
    const ask = teamsMessage(scene, li, 'give');
    await send(ask);
    const card = JSON.stringify(repliesTo(ask)[0]?.attachments);
    expect(card).toContain('"dataset":"graph.microsoft.com/users"');
    expect(card).toContain('"verb":"give_kudos"');
    expect(card).toContain('"id":"amount"');

    const submitted = cardSubmission(scene, li, {
      verb: 'give_kudos',
      recipients: `${ana.aadObjectId},${jose.aadObjectId}`,
      amount: '4',
      value: 'teamwork',
      reason: 'the review',
    });
    await send(submitted);
    expect(replyText(submitted)).toBe(
      'You gave 4 points to Ana and José García for the review #teamwork. You have 92 points left to give this month.',
    );
    expect(await earned(jose)).toBe(4);

    const refused = cardSubmission(scene, li, {
      verb: 'give_kudos',
      recipients: li.aadObjectId,
      amount: '4',
    });
    const before = await ledgerRows();
    await send(refused);
    expect(replyText(refused)).toBe('You cannot give kudos to yourself.');
    expect(await ledgerRows()).toEqual(before);
  });

  it('gives once per card, however often its Submit is clicked', async () => {
    const ask = teamsMessage(scene, tanaka, 'give');
    await send(ask);
    const cardId = 'card-activity-1';
    const click = () =>
      cardSubmission(
        scene,
        tanaka,
        { verb: 'give_kudos', recipients: li.aadObjectId, amount: '2', reason: 'the card' },
        { replyToId: cardId },
      );
    const before = await earned(li);
    await send(click());
    await send(click());
    expect(await earned(li)).toBe(before + 2);
    const other = cardSubmission(
      scene,
      tanaka,
      { verb: 'give_kudos', recipients: ana.aadObjectId, amount: '3', reason: 'the same card' },
      { replyToId: cardId },
    );
    const rows = await ledgerRows();
    await send(other);
    expect(replyText(other)).toBe('That card was already used. Say "give" for a new one.');
    expect(await ledgerRows()).toEqual(rows);
  });

  it('does not take people of another tenant in a shared channel as members', async () => {
    const visitor = person('Vera Visitor', { tenantId: randomUUID() });
    const message = teamsMessage(scene, ana, '<at>Vera Visitor</at> 5 for visiting', {
      conversationType: 'channel',
      conversationId: `19:${randomUUID()}@thread.tacv2`,
      mentions: [visitor],
    });
    const before = await ledgerRows();
    const sentBefore = connector.sent.length;
    await send(message);
    // A refusal is private: it goes to Ana's own chat with the bot.
    expect(
      connector.sent.slice(sentBefore).map((sent) => sent.activity.text ?? sent.activity.summary),
    ).toContain(
      'Vera Visitor is from outside this organization (another workspace or company), so Plaudit cannot count them here; nothing changed.',
    );
    expect(await ledgerRows()).toEqual(before);
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from platform_identities where user_id = ${visitor.aadObjectId}`.execute(
      plaudit.db,
    );
    expect(rows[0]?.n).toBe(0);
  });

  it('refuses a person of another tenant who writes in a shared channel, and joins them to no one by email', async () => {
    // Another company's account, with Ana's email typed in: their tenant is not connected.
    const visitor = person('Otto Other', { tenantId: randomUUID(), email: ana.email });
    const identitiesOfAna = async () => {
      const { rows } = await sql<{ user_id: string }>`
        select p.user_id from platform_identities p
        where p.member_id = (select member_id from platform_identities
          where platform = 'teams' and tenant_id = ${tenantId} and user_id = ${ana.aadObjectId})
        order by p.user_id`.execute(plaudit.db);
      return rows.map((row) => row.user_id);
    };
    await send(teamsMessage(scene, ana, 'balance'));
    const anaBefore = await identitiesOfAna();
    expect(anaBefore).toEqual([ana.aadObjectId]);
    const before = await ledgerRows();
    const message = teamsMessage(scene, visitor, '<at>Li</at> 5 for crossing over', {
      conversationType: 'channel',
      conversationId: `19:${randomUUID()}@thread.tacv2`,
      mentions: [li],
    });
    expect((await send(message)).status).toBe(200);
    expect(replyText(message)).toMatch(
      /^Plaudit only takes kudos from people of .+; your account is from outside it \(another workspace or organization\), so I did nothing\.$/,
    );
    expect(await ledgerRows()).toEqual(before);
    expect(await identitiesOfAna()).toEqual(anaBefore);
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from platform_identities where user_id = ${visitor.aadObjectId}`.execute(
      plaudit.db,
    );
    expect(rows[0]?.n).toBe(0);
  });

  it('credits a redelivered activity once', async () => {
    const message = teamsMessage(scene, tanaka, '<at>José García</at> 6 for the retry', {
      mentions: [jose],
    });
    const before = await earned(jose);
    await send(message);
    await send(message);
    await send({ ...message, timestamp: new Date().toISOString() });
    expect(await earned(jose)).toBe(before + 6);
    // Each delivery is answered, and the second and third say the same as the first.
    const replies = repliesTo(message).map((reply) => reply.summary ?? reply.text);
    expect(replies).toHaveLength(3);
    expect(new Set(replies).size).toBe(1);
  });

  it('answers balance, leaderboard, history and help with cards', async () => {
    for (const [text, expected] of [
      ['balance', 'Earned'],
      ['leaderboard', 'Li'],
      ['history', 'Ana gave you 10'],
      ['help', 'give @ana @li 10'],
    ] as const) {
      const message = teamsMessage(scene, li, text);
      await send(message);
      const [reply] = repliesTo(message);
      expect(reply?.attachments, text).toBeDefined();
      expect(JSON.stringify(reply?.attachments), text).toContain(expected);
    }
  });

  it('answers private questions asked in a group chat or channel in a personal chat', async () => {
    const chat = `19:${randomUUID()}@thread.v2`;
    // What the bot sends Li in private from now on: to her latest chat with it.
    const sentBefore = connector.sent.length;
    const toLi = () =>
      connector.sent
        .slice(sentBefore)
        .filter(
          (sent) => sent.conversationId.startsWith('a:') && sent.conversationId.includes(li.id),
        );
    const message = teamsMessage(scene, li, 'history', {
      conversationType: 'groupChat',
      conversationId: chat,
    });
    await send(message);
    // The group sees only a pointer; Li's history goes to her own chat with the bot.
    expect(repliesTo(message).map((reply) => reply.text)).toEqual([
      'Li, I sent you the answer in our chat.',
    ]);
    const [answer] = toLi();
    expect(JSON.stringify(answer?.activity.attachments)).toContain('Ana gave you 10');
    expect(JSON.stringify(connector.sentTo(chat))).not.toContain('Ana gave you 10');
    // A refusal is private too.
    const refused = teamsMessage(scene, li, '<at>Li</at> 5 for me', {
      conversationType: 'channel',
      conversationId: `19:${randomUUID()}@thread.tacv2`,
      mentions: [li],
    });
    await send(refused);
    expect(repliesTo(refused).map((reply) => reply.text)).toEqual([
      'Li, I sent you the answer in our chat.',
    ]);
    expect(toLi().at(-1)?.activity.text).toBe('You cannot give kudos to yourself.');
  });

  it('sends an admin’s console sign-in link to their personal chat, never the channel', async () => {
    await sql`update members set roles = '{member,admin}' where id = (
      select member_id from platform_identities
      where platform = 'teams' and tenant_id = ${tenantId} and user_id = ${ana.aadObjectId})`.execute(
      plaudit.db,
    );
    const channel = `19:${randomUUID()}@thread.tacv2`;
    const sentBefore = connector.sent.length;
    const message = teamsMessage(scene, ana, 'admin console', {
      conversationType: 'channel',
      conversationId: channel,
    });
    await send(message);
    expect(repliesTo(message).map((reply) => reply.text)).toEqual([
      'Ana, I sent you the answer in our chat.',
    ]);
    const toAna = connector.sent
      .slice(sentBefore)
      .filter(
        (sent) => sent.conversationId.startsWith('a:') && sent.conversationId.includes(ana.id),
      );
    expect(JSON.stringify(toAna.at(-1)?.activity)).toMatch(
      /Your link to the Plaudit console works once, for 10 minutes: http:\/\/127\.0\.0\.1:\d+\/console\/sign-in\?token=[A-Za-z0-9_-]{43}/,
    );
    expect(JSON.stringify(connector.sentTo(channel))).not.toContain('sign-in?token=');
    // The console's sign-in page says how to ask for a link here: in the bot's chat.
    const signIn = await (await fetch(`${plaudit.url}/console/sign-in`)).text();
    expect(signIn).toContain('To sign in, send admin console to Plaudit in Teams; Plaudit sends');
  });

  it('remembers the personal chat on install and writes there later', async () => {
    const sam = person('Sam');
    const install = botInstalled(scene, sam, { conversationId: `a:installed-${sam.id}` });
    await send(install);
    expect(connector.sentTo(`a:installed-${sam.id}`)[0]?.activity.text).toContain(
      'Thank people with points',
    );
    const created = connector.createdConversations.length;
    await send(teamsMessage(scene, ana, '<at>Sam</at> 1 for joining', { mentions: [sam] }));
    expect(connector.sentTo(`a:installed-${sam.id}`).at(-1)?.activity.text).toBe(
      '🎉 Ana gave you 1 point for joining',
    );
    expect(connector.createdConversations).toHaveLength(created);
  });

  it('keeps a new deployment in one organization across restarts, before anyone writes', async () => {
    const freshTenant = randomUUID();
    const organizationOf = async (db: RunningPlaudit['db']) => {
      const { rows } = await sql<{ organization_id: number }>`
        select organization_id from teams_tenants where tenant_id = ${freshTenant}`.execute(db);
      return rows[0]?.organization_id;
    };
    const startFresh = () => start(freshTenant);
    const first = await startFresh();
    const organization = await organizationOf(first.db);
    await first.close();
    expect(organization).toBeDefined();
    const second = await startFresh();
    try {
      expect(await organizationOf(second.db)).toBe(organization);
    } finally {
      await second.close();
    }
  });

  describe('refuses what it must not trust, and changes nothing', () => {
    const serviceUrl = () => connector.serviceUrl;
    const attempts: Array<[string, () => string | undefined]> = [
      ['no token', () => undefined],
      ['a garbage token', () => 'not.a.jwt'],
      [
        'a token signed by a key the Bot Framework does not publish',
        () => new BotFrameworkKey().channelToken({ appId: APP_ID, serviceUrl: serviceUrl() }),
      ],
      [
        'a token for another bot',
        () => connector.key.channelToken({ appId: randomUUID(), serviceUrl: serviceUrl() }),
      ],
      [
        'a token for another service URL',
        () => connector.key.channelToken({ appId: APP_ID, serviceUrl: 'https://evil.example/' }),
      ],
      [
        'an expired token',
        () =>
          connector.key.channelToken({ appId: APP_ID, serviceUrl: serviceUrl(), expiresIn: -600 }),
      ],
    ];
    for (const [label, forge] of attempts) {
      it(`answers 401 to ${label}`, async () => {
        const before = await ledgerRows();
        const sentBefore = connector.sent.length;
        const response = await postActivity(
          plaudit.url,
          teamsMessage(scene, ana, '<at>Li</at> 10 for the forgery', { mentions: [li] }),
          forge(),
        );
        await plaudit.settled();
        expect(response.status).toBe(401);
        expect(await ledgerRows()).toEqual(before);
        expect(connector.sent).toHaveLength(sentBefore);
      });
    }

    it('serves only the Teams channel: Web Chat and Direct Line choose their own user ids', async () => {
      const before = await ledgerRows();
      const sentBefore = connector.sent.length;
      // Validly signed, but Direct Line lets the client claim to be Ana.
      const forged = {
        ...teamsMessage(scene, ana, '<at>Li</at> 9 for nothing', { mentions: [li] }),
        channelId: 'directline',
        from: { id: ana.aadObjectId, name: 'Ana' },
      };
      const response = await postActivity(plaudit.url, forged, token());
      await plaudit.settled();
      expect(response.status).toBe(200);
      expect(await ledgerRows()).toEqual(before);
      expect(connector.sent).toHaveLength(sentBefore);
    });

    it('answers 400 to a body that is not an activity', async () => {
      const before = await ledgerRows();
      expect((await postActivity(plaudit.url, '{"type": "message", ', token())).status).toBe(400);
      expect((await postActivity(plaudit.url, '[]', token())).status).toBe(400);
      expect(await ledgerRows()).toEqual(before);
    });

    it('politely refuses a tenant that is not allowed, and learns nothing about its people', async () => {
      const outsider = person('Olga Outsider');
      const lookups = connector.memberLookups.length;
      const message = teamsMessage(scene, outsider, '<at>Ana</at> 5 for crossing over', {
        mentions: [ana],
        tenantId: randomUUID(),
      });
      const response = await send(message);
      expect(response.status).toBe(200);
      expect(replyText(message)).toBe(
        "Plaudit is not set up for your organization's Microsoft 365 tenant, so it cannot take kudos here. Ask your Plaudit admin to add it.",
      );
      expect(connector.memberLookups).toHaveLength(lookups);
      const { rows } = await sql<{ n: number }>`
        select count(*)::int as n from platform_identities where user_id = ${outsider.aadObjectId}`.execute(
        plaudit.db,
      );
      expect(rows[0]?.n).toBe(0);
    });
  });
});
