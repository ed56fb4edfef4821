import { afterEach } from 'vitest';
import { type AdminFixture, adminOrganizations } from './admin-fixture.ts';
import { type ConsoleHarness, type ConsoleOptions, startConsole } from './console-client.ts';
import type { MemberSpec } from './recognition-fixture.ts';

export interface OpenConsoleOptions extends ConsoleOptions {
  /** The organization to serve, seeded already; a fresh one of the members when not given. */
  fixture?: AdminFixture;
}

/**
 * Organizations of these members (see `adminOrganizations`), each served by a console for
 * one test: `start` serves one and `open` signs a member in too (`signInAs` unless named).
 * A test has one console at a time: starting another closes the one before, and the last
 * closes after each test.
 */
export function consoleOrganizations(
  members: Record<string, MemberSpec>,
  { signInAs }: { signInAs?: string } = {},
) {
  const orgs = adminOrganizations(members);
  let current: ConsoleHarness | undefined;
  const stop = async () => {
    const running = current;
    current = undefined;
    await running?.close();
  };
  afterEach(stop);
  const start = async ({ fixture, ...options }: OpenConsoleOptions = {}) => {
    const f = fixture ?? (await orgs.organization());
    await stop();
    const harness = await startConsole(f, options);
    current = harness;
    return { f, harness };
  };
  const open = async (as = signInAs, options: OpenConsoleOptions = {}) => {
    if (as === undefined) throw new Error('no member to sign in as: name one, or give signInAs');
    const { f, harness } = await start(options);
    return { f, harness, client: await harness.signIn(as) };
  };
  return { orgs, start, open };
}
