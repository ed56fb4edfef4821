import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import type { RunningPlaudit } from '../../src/app.ts';
import { FakeSlackApi } from './fake-slack-api.ts';
import { type KnownMember, memberOf } from './member-rewards.ts';
import { SIGNING_SECRET, startSlackPlaudit } from './slack-plaudit.ts';
import { postSlashCommand, slashCommandText } from './slack-requests.ts';

/**
 * A Slack deployment of Plaudit for console tests: a real Plaudit on the test database, its
 * Slack app talking to the recording fake Slack API, and people who send signed commands.
 * The first person named is its admin (PLAUDIT_INITIAL_ADMINS names them).
 */
export class SlackConsole {
  readonly teamId = `T${randomUUID().slice(0, 8).toUpperCase()}`;
  readonly fake = new FakeSlackApi({ id: this.teamId, name: 'Console Inc', botUserId: 'UBOT' });
  #plaudit: RunningPlaudit | undefined;
  #commands = 0;

  private constructor(readonly people: Readonly<Record<string, string>>) {}

  /** Starts it; each person (`name: Slack user id`) says `balance`, in order. */
  static async start(people: Record<string, string>): Promise<SlackConsole> {
    const world = new SlackConsole(people);
    await world.fake.start();
    for (const [name, id] of Object.entries(people)) {
      const displayName = name.charAt(0).toUpperCase() + name.slice(1);
      world.fake.addUser(id, displayName, world.email(name), name);
    }
    const [admin = ''] = Object.keys(people);
    world.#plaudit = await startSlackPlaudit(world.fake, {
      PLAUDIT_INITIAL_ADMINS: world.email(admin),
    });
    for (const name of Object.keys(people)) await world.say(name, 'balance');
    return world;
  }

  /** A person's email, of this workspace only (PLAUDIT_INITIAL_ADMINS reaches every organization). */
  email(person: string): string {
    return `${person}@${this.teamId.toLowerCase()}.console.example`;
  }

  get plaudit(): RunningPlaudit {
    if (!this.#plaudit) throw new Error('Plaudit is not running');
    return this.#plaudit;
  }

  /** The organization the Slack workspace became. */
  get organizationId(): number {
    const id = this.plaudit.slack?.workspace?.organizationId;
    if (id === undefined) throw new Error('Slack is not connected');
    return id;
  }

  get url(): string {
    return this.plaudit.url;
  }

  userId(person: string): string {
    const id = this.people[person];
    if (!id) throw new Error(`no person ${person}`);
    return id;
  }

  /** How a command names a person: `<@U123|name>`. */
  mention(person: string): string {
    return `<@${this.userId(person)}|${person}>`;
  }

  member(person: string): Promise<KnownMember> {
    return memberOf(this.plaudit.db, {
      platform: 'slack',
      tenantId: this.teamId,
      userId: this.userId(person),
    });
  }

  /** Sends `/kudos {text}` as a person, signed; resolves with what they were shown. */
  async say(person: string, text: string): Promise<string> {
    this.#commands += 1;
    const trigger = `console-${this.#commands}`;
    const response = await postSlashCommand(this.url, SIGNING_SECRET, {
      team_id: this.teamId,
      user_id: this.userId(person),
      channel_id: 'CCONSOLE',
      text,
      trigger_id: trigger,
      response_url: `${this.fake.url}/respond/${trigger}`,
    });
    expect(response.status, text).toBe(200);
    await this.plaudit.settled();
    return slashCommandText(response, this.fake);
  }

  /** The direct messages Plaudit posted to a person (chat.postMessage to their user id). */
  directMessages(person: string): string[] {
    return this.fake
      .callsTo('chat.postMessage')
      .filter((call) => call.body.channel === this.userId(person))
      .map((call) => String(call.body.text));
  }

  /**
   * Asks for a console link with `/kudos admin console` as the person and returns the link
   * from the direct message Plaudit sent them.
   */
  async linkFor(person: string): Promise<string> {
    const before = this.directMessages(person).length;
    const answer = await this.say(person, 'admin console');
    expect(answer).toBe('I sent you a direct message.');
    const sent = this.directMessages(person).slice(before);
    expect(sent).toHaveLength(1);
    const link = /(https?:\/\/\S+\/console\/sign-in\?token=\S+)$/.exec(sent[0] ?? '')?.[1];
    if (!link) throw new Error(`no sign-in link in “${sent[0]}”`);
    return link;
  }

  /** Signs a person in on a page: opens their link from the DM and clicks Sign in. */
  async signIn(page: Page, person: string): Promise<void> {
    await page.goto(await this.linkFor(person));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${this.url}/console`);
  }

  async close(): Promise<void> {
    await this.#plaudit?.close();
    await this.fake.stop();
  }
}
