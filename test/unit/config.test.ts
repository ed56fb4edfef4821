import { describe, expect, it } from 'vitest';
import { allowedTeamsTenants, anyTeamsTenant, ConfigError, parseConfig } from '../../src/config.ts';

describe('parseConfig', () => {
  it('gives the embedded defaults for an empty environment', () => {
    expect(parseConfig({})).toEqual({
      DATABASE_URL: undefined,
      DATABASE_POOL_SIZE: 10,
      DATABASE_CONNECT_TIMEOUT_MS: 5000,
      DATABASE_STATEMENT_TIMEOUT_MS: 10000,
      DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: 10000,
      DATABASE_KEEPALIVE_MS: 10000,
      CHAT_COMMANDS_IN_FLIGHT: 32,
      SLACK_SEND_TURN_MS: 1000,
      TEAMS_SEND_TURN_MS: 2000,
      REDIS_URL: undefined,
      REDIS_PREFIX: 'plaudit',
      PLAUDIT_ROLE: 'all',
      JOBS_LOCK_MS: 30000,
      LEDGER_VERIFY_CRON: '17 * * * *',
      PLAUDIT_ADMIN_TOKEN: undefined,
      PLAUDIT_INITIAL_ADMINS: [],
      API_RATE_LIMIT: 600,
      API_AUTH_FAILURE_LIMIT: 30,
      REWARD_WEBHOOK_ALLOWED_HOSTS: [],
      PLAUDIT_DATA_DIR: './.plaudit',
      PLAUDIT_EMBEDDED_DATABASE: 'refuse',
      PLAUDIT_LOCAL_MODE: 'refuse',
      HOST: '127.0.0.1',
      PORT: 3000,
      WORKER_PORT: 3001,
      WORKER_NICENESS: 10,
      LOG_LEVEL: 'info',
      SLACK_BOT_TOKEN: undefined,
      SLACK_SIGNING_SECRET: undefined,
      SLACK_APP_TOKEN: undefined,
      SLACK_API_URL: 'https://slack.com/api/',
      SLACK_CLIENT_ID: undefined,
      SLACK_CLIENT_SECRET: undefined,
      SLACK_STATE_SECRET: undefined,
      SLACK_AUTHORIZE_URL: 'https://slack.com/oauth/v2/authorize',
      PLAUDIT_ENCRYPTION_KEY: undefined,
      SLACK_COMMAND: '/kudos',
      TEAMS_APP_ID: undefined,
      TEAMS_APP_PASSWORD: undefined,
      TEAMS_APP_TYPE: 'MultiTenant',
      TEAMS_TENANT_ID: undefined,
      TEAMS_ALLOWED_TENANTS: [],
      TEAMS_ALLOW_ANY_TENANT: false,
      TEAMS_OPENID_METADATA_URL:
        'https://login.botframework.com/v1/.well-known/openidconfiguration',
      TEAMS_SSO_OPENID_METADATA_URL:
        'https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration',
    });
  });

  it('reads PLAUDIT_INITIAL_ADMINS as emails in lower case, and refuses what is not one', () => {
    expect(
      parseConfig({ PLAUDIT_INITIAL_ADMINS: ' Ana@Acme.example ,, josé@acme.example' })
        .PLAUDIT_INITIAL_ADMINS,
    ).toEqual(['ana@acme.example', 'josé@acme.example']);
    expect(() => parseConfig({ PLAUDIT_INITIAL_ADMINS: 'ana@acme.example,U0' })).toThrow(
      'PLAUDIT_INITIAL_ADMINS must be a comma-separated list of email addresses, such as ana@example.com,li@example.com.',
    );
  });

  it("reads TRUST_PROXY as Express's trust proxy ranges, and refuses anything else", () => {
    expect(parseConfig({}).TRUST_PROXY).toBeUndefined();
    expect(
      parseConfig({ TRUST_PROXY: ' UniqueLocal, loopback,10.0.0.0/8 ,fd00::/8, 192.168.1.5' })
        .TRUST_PROXY,
    ).toEqual(['uniquelocal', 'loopback', '10.0.0.0/8', 'fd00::/8', '192.168.1.5']);
    for (const wrong of ['everyone', '10.0.0.0/33', '300.1.2.3', 'proxy.corp.example', ',']) {
      expect(() => parseConfig({ TRUST_PROXY: wrong }), wrong).toThrow(
        'TRUST_PROXY must be a comma-separated list of loopback, linklocal, uniquelocal, IP addresses (10.1.2.3) or CIDR ranges (172.16.0.0/12).',
      );
    }
  });

  it('takes a chat command wait of whole milliseconds, and none by default', () => {
    expect(parseConfig({}).CHAT_COMMAND_MAX_WAIT_MS).toBeUndefined();
    expect(parseConfig({ CHAT_COMMAND_MAX_WAIT_MS: '3000' }).CHAT_COMMAND_MAX_WAIT_MS).toBe(3000);
    for (const wrong of ['0', '2.5', 'soon', '600001']) {
      expect(() => parseConfig({ CHAT_COMMAND_MAX_WAIT_MS: wrong }), wrong).toThrow(
        'CHAT_COMMAND_MAX_WAIT_MS must be a whole number of milliseconds from 100 to 600000.',
      );
    }
  });

  it('paces messages to a chat a turn apart, by default the platforms’ limits', () => {
    const defaults = parseConfig({});
    expect([defaults.SLACK_SEND_TURN_MS, defaults.TEAMS_SEND_TURN_MS]).toEqual([1000, 2000]);
    expect(parseConfig({ TEAMS_SEND_TURN_MS: '2500' }).TEAMS_SEND_TURN_MS).toBe(2500);
    for (const wrong of ['0', '9', '1.5', 'soon', '60001']) {
      expect(() => parseConfig({ SLACK_SEND_TURN_MS: wrong }), wrong).toThrow(
        'SLACK_SEND_TURN_MS must be milliseconds from 10 to 60000.',
      );
    }
  });

  it('needs Redis and a shared database to split web and worker processes', () => {
    expect(() => parseConfig({ PLAUDIT_ROLE: 'worker' })).toThrow(
      'DATABASE_URL must be set when PLAUDIT_ROLE is worker: web and worker processes share one database, and the embedded one belongs to a single process. REDIS_URL must be set when PLAUDIT_ROLE is worker: web and worker processes share their jobs through Redis.',
    );
    expect(() => parseConfig({ PLAUDIT_ROLE: 'web', REDIS_URL: 'redis://r:6379' })).toThrow(
      /^DATABASE_URL must be set when PLAUDIT_ROLE is web/,
    );
    expect(() => parseConfig({ PLAUDIT_ROLE: 'cron' })).toThrow(
      'PLAUDIT_ROLE must be all, web or worker.',
    );
    expect(
      parseConfig({
        PLAUDIT_ROLE: 'worker',
        REDIS_URL: 'redis://r:6379',
        DATABASE_URL: 'postgres://p/d',
      }).PLAUDIT_ROLE,
    ).toBe('worker');
  });

  describe('Teams', () => {
    const APP = '11111111-2222-3333-4444-555555555555';
    const TENANT = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
    const OTHER = 'ffffffff-bbbb-cccc-dddd-eeeeeeeeeeee';
    const slack = { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' };

    it('turns the adapter on with an app id, a password and the tenants it serves', () => {
      const config = parseConfig({
        TEAMS_APP_ID: APP,
        TEAMS_APP_PASSWORD: 'pw',
        TEAMS_ALLOWED_TENANTS: ` ${TENANT.toUpperCase()} ,${OTHER},`,
      });
      expect(config.TEAMS_ALLOWED_TENANTS).toEqual([TENANT, OTHER]);
      expect(allowedTeamsTenants(config)).toEqual([TENANT, OTHER]);
      const single = parseConfig({
        TEAMS_APP_ID: APP,
        TEAMS_APP_PASSWORD: 'pw',
        TEAMS_APP_TYPE: 'SingleTenant',
        TEAMS_TENANT_ID: TENANT,
      });
      expect(allowedTeamsTenants(single)).toEqual([TENANT]);
    });

    it('refuses Teams settings without an app id outside local mode', () => {
      for (const extra of [
        { TEAMS_APP_PASSWORD: 'pw' },
        { TEAMS_TENANT_ID: TENANT },
        { TEAMS_ALLOWED_TENANTS: TENANT },
        { TEAMS_APP_TYPE: 'SingleTenant' },
      ]) {
        expect(() => parseConfig({ ...slack, ...extra })).toThrow(
          'TEAMS_APP_ID must be set for the Teams adapter: without it /api/messages would accept unauthenticated requests, which only local mode allows.',
        );
      }
      // In local mode an allow-list alone is fine: the endpoint there is for the Emulator.
      expect(parseConfig({ TEAMS_ALLOWED_TENANTS: TENANT }).TEAMS_ALLOWED_TENANTS).toEqual([
        TENANT,
      ]);
      expect(() => parseConfig({ TEAMS_APP_PASSWORD: 'pw' })).toThrow(/TEAMS_APP_ID must be set/);
    });

    it('says what is missing next to an app id', () => {
      expect(() => parseConfig({ TEAMS_APP_ID: APP })).toThrow(
        "TEAMS_APP_PASSWORD must be set (a client secret of the bot's app registration): the bot's replies are signed with it. TEAMS_ALLOWED_TENANTS (or TEAMS_TENANT_ID) must name the Microsoft 365 tenants whose people may use the bot.",
      );
      expect(() =>
        parseConfig({
          TEAMS_APP_ID: APP,
          TEAMS_APP_PASSWORD: 'pw',
          TEAMS_APP_TYPE: 'SingleTenant',
        }),
      ).toThrow('TEAMS_TENANT_ID must be set when TEAMS_APP_TYPE is SingleTenant.');
      expect(() => parseConfig({ TEAMS_APP_ID: 'my-bot', TEAMS_APP_PASSWORD: 'pw' })).toThrow(
        "TEAMS_APP_ID must be the bot's Microsoft App ID, a GUID.",
      );
      expect(() =>
        parseConfig({
          TEAMS_APP_ID: APP,
          TEAMS_APP_PASSWORD: 'pw',
          TEAMS_ALLOWED_TENANTS: 'contoso',
        }),
      ).toThrow(
        'TEAMS_ALLOWED_TENANTS must be a comma-separated list of tenant ids (GUIDs), or * alone.',
      );
      expect(() =>
        parseConfig({ TEAMS_OPENID_METADATA_URL: 'http://login.example.com/openid' }),
      ).toThrow(
        'TEAMS_OPENID_METADATA_URL must be an https URL (http only on this machine, for tests).',
      );
      expect(
        parseConfig({ TEAMS_OPENID_METADATA_URL: 'http://127.0.0.1:4000/v1/openid' })
          .TEAMS_OPENID_METADATA_URL,
      ).toBe('http://127.0.0.1:4000/v1/openid');
      // The keys that sign the personal tab's sign-in are held to the same rule.
      expect(() =>
        parseConfig({ TEAMS_SSO_OPENID_METADATA_URL: 'http://login.example.com/openid' }),
      ).toThrow(
        'TEAMS_SSO_OPENID_METADATA_URL must be an https URL (http only on this machine, for tests).',
      );
    });

    it('lets any tenant in with TEAMS_ALLOWED_TENANTS=* only when TEAMS_ALLOW_ANY_TENANT=true says so', () => {
      const bot = { TEAMS_APP_ID: APP, TEAMS_APP_PASSWORD: 'pw', TEAMS_ALLOWED_TENANTS: ' * ' };
      expect(() => parseConfig(bot)).toThrow(
        new ConfigError(
          "TEAMS_ALLOWED_TENANTS=* lets anyone's Microsoft 365 tenant use this bot and create an organization here, so it needs TEAMS_ALLOW_ANY_TENANT=true as well (for hosting); otherwise list your tenant ids.",
        ),
      );
      expect(() => parseConfig({ ...bot, TEAMS_ALLOW_ANY_TENANT: 'false' })).toThrow(
        /^TEAMS_ALLOWED_TENANTS=\* lets anyone's Microsoft 365 tenant use this bot/,
      );
      const hosting = parseConfig({ ...bot, TEAMS_ALLOW_ANY_TENANT: 'true' });
      expect(hosting).toMatchObject({ TEAMS_ALLOWED_TENANTS: ['*'], TEAMS_ALLOW_ANY_TENANT: true });
      expect(anyTeamsTenant(hosting)).toBe(true);
      expect(allowedTeamsTenants(hosting)).toEqual([]);
      // With a home tenant too: that one is named, and any other is let in.
      const withHome = parseConfig({
        ...bot,
        TEAMS_ALLOW_ANY_TENANT: 'true',
        TEAMS_TENANT_ID: TENANT,
      });
      expect(allowedTeamsTenants(withHome)).toEqual([TENANT]);
      const listed = parseConfig({ ...bot, TEAMS_ALLOWED_TENANTS: TENANT });
      expect(anyTeamsTenant(listed)).toBe(false);

      expect(() =>
        parseConfig({
          ...bot,
          TEAMS_ALLOWED_TENANTS: `*,${TENANT}`,
          TEAMS_ALLOW_ANY_TENANT: 'true',
        }),
      ).toThrow(
        'TEAMS_ALLOWED_TENANTS must be a comma-separated list of tenant ids (GUIDs), or * alone.',
      );
      expect(() => parseConfig({ ...bot, TEAMS_ALLOW_ANY_TENANT: 'yes' })).toThrow(
        'TEAMS_ALLOW_ANY_TENANT must be true or false.',
      );
      expect(() =>
        parseConfig({
          ...bot,
          TEAMS_ALLOW_ANY_TENANT: 'true',
          TEAMS_APP_TYPE: 'SingleTenant',
          TEAMS_TENANT_ID: TENANT,
        }),
      ).toThrow(
        'TEAMS_ALLOWED_TENANTS=* needs TEAMS_APP_TYPE=MultiTenant: a single-tenant bot serves TEAMS_TENANT_ID alone.',
      );
    });
  });

  it('turns Slack on with a bot token and refuses HTTP mode without a signing secret', () => {
    expect(() => parseConfig({ SLACK_BOT_TOKEN: 'xoxb-1-2-abc' })).toThrow(
      "SLACK_SIGNING_SECRET must be set (from the Slack app's Basic Information page): requests on /slack/events are verified with it.",
    );
    expect(
      parseConfig({ SLACK_BOT_TOKEN: 'xoxb-1-2-abc', SLACK_SIGNING_SECRET: 's3cret' }),
    ).toMatchObject({
      SLACK_BOT_TOKEN: 'xoxb-1-2-abc',
      SLACK_SIGNING_SECRET: 's3cret',
      SLACK_COMMAND: '/kudos',
    });
    expect(parseConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1-A' })).toMatchObject({
      SLACK_APP_TOKEN: 'xapp-1-A',
    });
    expect(parseConfig({ SLACK_API_URL: 'http://127.0.0.1:9999/api' }).SLACK_API_URL).toBe(
      'http://127.0.0.1:9999/api/',
    );
    expect(() => parseConfig({ SLACK_SIGNING_SECRET: 's3cret' })).toThrow(
      'SLACK_BOT_TOKEN must be set too: the Slack adapter needs the bot token to answer.',
    );
    expect(() => parseConfig({ SLACK_BOT_TOKEN: 'xoxp-user-token' })).toThrow(
      'SLACK_BOT_TOKEN must be a Slack bot token starting with xoxb-.',
    );
    expect(() =>
      parseConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's', SLACK_COMMAND: 'kudos' }),
    ).toThrow('SLACK_COMMAND must be a slash command such as /kudos.');
  });

  it('turns Slack OAuth installs on with a client id, secret, state secret and encryption key', () => {
    const oauth = {
      SLACK_CLIENT_ID: '1234567890.0987654321',
      SLACK_CLIENT_SECRET: 'client-secret',
      SLACK_STATE_SECRET: 'a'.repeat(32),
      SLACK_SIGNING_SECRET: 's3cret',
      PLAUDIT_ENCRYPTION_KEY: 'ab'.repeat(32),
    };
    expect(parseConfig(oauth).SLACK_CLIENT_ID).toBe('1234567890.0987654321');
    // The key as base64 works too.
    const base64Key = Buffer.alloc(32, 7).toString('base64');
    expect(
      parseConfig({ ...oauth, PLAUDIT_ENCRYPTION_KEY: base64Key }).PLAUDIT_ENCRYPTION_KEY,
    ).toBe(base64Key);
    expect(() => parseConfig({ ...oauth, SLACK_BOT_TOKEN: 'xoxb-1' })).toThrow(
      'SLACK_BOT_TOKEN and SLACK_CLIENT_ID/SLACK_CLIENT_SECRET/SLACK_STATE_SECRET are two ways to connect Slack: set the bot token for one workspace, or the OAuth settings for installs from /slack/install, not both.',
    );
    expect(() => parseConfig({ ...oauth, PLAUDIT_ENCRYPTION_KEY: undefined })).toThrow(
      'PLAUDIT_ENCRYPTION_KEY must be set too: Slack OAuth installs need',
    );
    for (const malformed of ['ab'.repeat(31), 'not a key', Buffer.alloc(16).toString('base64')]) {
      expect(() => parseConfig({ ...oauth, PLAUDIT_ENCRYPTION_KEY: malformed })).toThrow(
        'PLAUDIT_ENCRYPTION_KEY must be 32 bytes as 64 hex digits or as base64 (e.g. openssl rand -hex 32).',
      );
    }
    expect(() => parseConfig({ ...oauth, SLACK_APP_TOKEN: 'xapp-1' })).toThrow(
      'SLACK_APP_TOKEN must be unset for OAuth installs',
    );
    expect(() => parseConfig({ ...oauth, SLACK_SIGNING_SECRET: undefined })).toThrow(
      'SLACK_SIGNING_SECRET must be set',
    );
  });

  it('reads production values and treats empty strings as unset', () => {
    const config = parseConfig({
      DATABASE_URL: 'postgres://plaudit:secret@db:5432/plaudit',
      REDIS_URL: 'redis://redis:6379',
      PORT: '8080',
      HOST: '0.0.0.0',
      PUBLIC_URL: 'https://kudos.company.test/',
      SLACK_BOT_TOKEN: 'xoxb-1-2-3',
      SLACK_SIGNING_SECRET: 'signing-secret',
      LOG_LEVEL: 'warn',
      DATABASE_POOL_SIZE: '',
      PLAUDIT_DATA_DIR: '',
    });
    expect(config).toMatchObject({
      DATABASE_URL: 'postgres://plaudit:secret@db:5432/plaudit',
      REDIS_URL: 'redis://redis:6379',
      PORT: 8080,
      HOST: '0.0.0.0',
      LOG_LEVEL: 'warn',
      DATABASE_POOL_SIZE: 10,
      PLAUDIT_DATA_DIR: './.plaudit',
    });
  });

  describe('listening beyond loopback', () => {
    const publicUrl = 'https://kudos.company.test';
    const postgres = 'postgres://plaudit:secret@db:5432/plaudit';
    // A chat platform, so these tests see only the refusals they are about.
    const slack = { SLACK_BOT_TOKEN: 'xoxb-1-2-3', SLACK_SIGNING_SECRET: 'signing-secret' };
    const localMode = (host: string) =>
      `Slack (SLACK_BOT_TOKEN, or the SLACK_CLIENT_ID OAuth settings) or Teams (TEAMS_APP_ID) must be set when listening on ${host}: without either, Plaudit runs in local mode, where anyone who reaches this port acts as any demo member, admin included, without signing in (set PLAUDIT_LOCAL_MODE=allow to run it so on purpose).`;

    it('refuses local mode unless the operator opts in, in one sentence, but not of a worker', () => {
      for (const host of ['0.0.0.0', '10.1.2.3', '::', 'kudos.internal']) {
        const served = { HOST: host, PUBLIC_URL: publicUrl, DATABASE_URL: postgres };
        expect(() => parseConfig(served)).toThrow(new ConfigError(localMode(host)));
        expect(parseConfig({ ...served, PLAUDIT_LOCAL_MODE: 'allow' })).toMatchObject({
          HOST: host,
          PLAUDIT_LOCAL_MODE: 'allow',
        });
        expect(parseConfig({ ...served, ...slack }).SLACK_BOT_TOKEN).toBe(slack.SLACK_BOT_TOKEN);
        const oauth = {
          SLACK_CLIENT_ID: '1.2',
          SLACK_CLIENT_SECRET: 'client-secret',
          SLACK_STATE_SECRET: 'state-secret-state-secret-state-secret',
          SLACK_SIGNING_SECRET: 'signing-secret',
          PLAUDIT_ENCRYPTION_KEY: 'ab'.repeat(32),
        };
        expect(parseConfig({ ...served, ...oauth }).SLACK_CLIENT_ID).toBe('1.2');
        const teams = {
          TEAMS_APP_ID: '00000000-0000-0000-0000-000000000001',
          TEAMS_APP_PASSWORD: 'app-password',
          TEAMS_ALLOWED_TENANTS: '00000000-0000-0000-0000-000000000002',
        };
        expect(parseConfig({ ...served, ...teams }).TEAMS_APP_ID).toBe(teams.TEAMS_APP_ID);
      }
      // A worker serves no console.
      expect(
        parseConfig({
          HOST: '0.0.0.0',
          PLAUDIT_ROLE: 'worker',
          DATABASE_URL: postgres,
          REDIS_URL: 'redis://redis:6379',
        }).HOST,
      ).toBe('0.0.0.0');
      expect(() =>
        parseConfig({ HOST: '0.0.0.0', PUBLIC_URL: publicUrl, PLAUDIT_LOCAL_MODE: 'yes' }),
      ).toThrow(new ConfigError('PLAUDIT_LOCAL_MODE must be allow or refuse.'));
    });

    it('refuses the embedded database unless the operator opts in, in one sentence', () => {
      for (const host of ['0.0.0.0', '10.1.2.3', '::', 'kudos.internal']) {
        expect(() => parseConfig({ HOST: host, PUBLIC_URL: publicUrl, ...slack })).toThrow(
          new ConfigError(
            `DATABASE_URL must be set when listening on ${host}: the embedded database is for one machine's trial, so production runs on Postgres (set PLAUDIT_EMBEDDED_DATABASE=allow to run embedded on purpose).`,
          ),
        );
        const embedded = parseConfig({
          HOST: host,
          PUBLIC_URL: publicUrl,
          PLAUDIT_EMBEDDED_DATABASE: 'allow',
          ...slack,
        });
        expect(embedded).toMatchObject({ HOST: host, PLAUDIT_EMBEDDED_DATABASE: 'allow' });
        expect(embedded.DATABASE_URL).toBeUndefined();
        expect(
          parseConfig({ HOST: host, PUBLIC_URL: publicUrl, DATABASE_URL: postgres, ...slack }),
        ).toMatchObject({ HOST: host, DATABASE_URL: postgres });
      }
      // The opt-in is a word, not any value.
      expect(() =>
        parseConfig({ HOST: '0.0.0.0', PUBLIC_URL: publicUrl, PLAUDIT_EMBEDDED_DATABASE: 'yes' }),
      ).toThrow(new ConfigError('PLAUDIT_EMBEDDED_DATABASE must be allow or refuse.'));
    });

    it('requires PUBLIC_URL of a web process, in one sentence, but not of a worker', () => {
      for (const role of ['all', 'web']) {
        expect(() =>
          parseConfig({
            HOST: '0.0.0.0',
            PLAUDIT_ROLE: role,
            DATABASE_URL: postgres,
            REDIS_URL: 'redis://redis:6379',
            ...slack,
          }),
        ).toThrow(
          new ConfigError(
            'PUBLIC_URL must be set when listening on 0.0.0.0 (the https address people and Slack or Teams reach Plaudit at, such as https://kudos.example.com): the listening address is no address anyone can open.',
          ),
        );
      }
      expect(
        parseConfig({
          HOST: '0.0.0.0',
          PLAUDIT_ROLE: 'worker',
          DATABASE_URL: postgres,
          REDIS_URL: 'redis://redis:6379',
        }),
      ).not.toHaveProperty('PUBLIC_URL');
      // All missing: each sentence.
      expect(() => parseConfig({ HOST: '0.0.0.0' })).toThrow(
        /^DATABASE_URL must be set when listening on 0\.0\.0\.0: .* Slack .* must be set when listening on 0\.0\.0\.0: .* PUBLIC_URL must be set when listening on 0\.0\.0\.0 /,
      );
    });

    it('keeps local mode as it was on this machine: embedded, no PUBLIC_URL needed', () => {
      for (const host of ['127.0.0.1', 'localhost', '::1']) {
        const local = parseConfig({ HOST: host });
        expect(local.HOST).toBe(host);
        expect(local).not.toHaveProperty('DATABASE_URL');
        expect(local).not.toHaveProperty('PUBLIC_URL');
      }
    });
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT must be a port number from 0 to 65535.'],
    [{ PORT: '70000' }, 'PORT must be a port number from 0 to 65535.'],
    [{ DATABASE_URL: 'mysql://db/plaudit' }, 'DATABASE_URL must be a postgres:// connection URL'],
    [{ REDIS_URL: 'localhost:6379' }, 'REDIS_URL must be a redis:// or rediss:// URL'],
    [
      { LOG_LEVEL: 'loud' },
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent.',
    ],
    [{ DATABASE_POOL_SIZE: '0' }, 'DATABASE_POOL_SIZE must be a whole number from 1 to 200.'],
    [
      { LEDGER_VERIFY_CRON: 'hourly' },
      'LEDGER_VERIFY_CRON must be a five-field cron pattern such as 17 * * * * (hourly), or off.',
    ],
    [
      { LEDGER_VERIFY_CRON: '0 17 * * * *' },
      'LEDGER_VERIFY_CRON must be a five-field cron pattern such as 17 * * * * (hourly), or off.',
    ],
    [
      { LEDGER_VERIFY_CRON: '61 * * * *' },
      'LEDGER_VERIFY_CRON must be a five-field cron pattern such as 17 * * * * (hourly), or off.',
    ],
  ])('refuses %o with a sentence naming the variable', (env, sentence) => {
    expect(() => parseConfig(env)).toThrow(ConfigError);
    expect(() => parseConfig(env)).toThrow(sentence);
  });

  it('takes a cron pattern for the ledger verification, or off', () => {
    expect(parseConfig({ LEDGER_VERIFY_CRON: '*/10 * * * *' }).LEDGER_VERIFY_CRON).toBe(
      '*/10 * * * *',
    );
    expect(parseConfig({ LEDGER_VERIFY_CRON: 'off' }).LEDGER_VERIFY_CRON).toBe('off');
  });

  it('never repeats a bad value, which may be a secret', () => {
    const secret = 'postgres-ish:hunter2@nowhere';
    try {
      parseConfig({ DATABASE_URL: secret });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).not.toContain('hunter2');
    }
  });
});
