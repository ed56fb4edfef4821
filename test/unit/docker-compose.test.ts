import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configSchema, parseConfig } from '../../src/config.ts';
import {
  ComposeInterpolationError,
  interpolateCompose,
  parseDotEnv,
} from '../support/compose-interpolation.ts';

interface Service {
  image?: string;
  build?: string;
  pull_policy?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  expose?: string[];
  stop_grace_period?: string;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}

interface ComposeFile {
  'x-plaudit-settings-not-passed'?: string[];
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
}

const composeText = await readFile(new URL('../../docker-compose.yml', import.meta.url), 'utf8');
// Compose merges `<<: *anchor` keys, as YAML 1.1 did.
const compose = parse(composeText, { merge: true }) as ComposeFile;
const dockerfile = await readFile(new URL('../../Dockerfile', import.meta.url), 'utf8');
const envExample = await readFile(new URL('../../.env.example', import.meta.url), 'utf8');

/** What an operator fills in .env before `docker compose up`: .env.example, completed. */
const completeEnv: Record<string, string> = {
  ...parseDotEnv(envExample),
  POSTGRES_PASSWORD: 'f3a9c1d27be84e6a90c4d5e1b7a2c3d4e5f60718',
  PUBLIC_URL: 'https://kudos.company.test',
};

/** The file as `docker compose config` resolves it against an environment. */
function resolved(env: Record<string, string | undefined> = completeEnv): ComposeFile {
  return interpolateCompose(compose, env);
}

describe('docker-compose.yml', () => {
  const { postgres, redis, web, worker } = resolved().services;

  it('runs Postgres 16 or 17 with a readiness healthcheck and a volume', () => {
    expect(postgres?.image).toMatch(/^postgres:1[67](\b|-)/);
    expect(postgres?.healthcheck?.test.join(' ')).toContain('pg_isready');
    expect(compose.volumes).toHaveProperty('postgres-data');
  });

  it('runs Redis 7 with noeviction and AOF, as BullMQ requires', () => {
    expect(redis?.image).toMatch(/^redis:7(\b|-)/);
    const command = redis?.command ?? [];
    expect(command[command.indexOf('--maxmemory-policy') + 1]).toBe('noeviction');
    expect(command[command.indexOf('--appendonly') + 1]).toBe('yes');
    expect(redis?.healthcheck?.test.join(' ')).toContain('redis-cli ping');
  });

  it('passes every setting the app reads to web and worker, and none it does not read', () => {
    const settings = Object.keys(configSchema.shape);
    const notPassed = compose['x-plaudit-settings-not-passed'] ?? [];
    for (const service of ['web', 'worker']) {
      const environment = compose.services[service]?.environment ?? {};
      // A setting is passed through when the file takes it from the operator's .env.
      const passed = Object.keys(environment).filter((name) =>
        new RegExp(`^\\$\\{${name}(:?[-?][^}]*)?\\}$`).test(environment[name] ?? ''),
      );
      expect({
        service,
        missing: settings.filter((name) => !passed.includes(name) && !notPassed.includes(name)),
        unknown: Object.keys(environment).filter((name) => !settings.includes(name)),
      }).toEqual({ service, missing: [], unknown: [] });
    }
    // The settings not passed on purpose are settings, and none is also passed through.
    for (const name of notPassed) {
      expect(settings, name).toContain(name);
      expect(web?.environment?.[name] ?? '', name).not.toMatch(/\$\{/);
      expect(compose.services.web?.environment?.[name] ?? '', name).not.toContain(`\${${name}`);
    }
    // One anchor: the worker differs from web in its role only.
    expect({ ...worker?.environment, PLAUDIT_ROLE: 'web' }).toEqual(web?.environment);
  });

  it('refuses to start without its required secrets, each with its explanation', () => {
    const { POSTGRES_PASSWORD: _password, ...withoutPassword } = completeEnv;
    expect(() => resolved(withoutPassword)).toThrow(
      new ComposeInterpolationError(
        'POSTGRES_PASSWORD',
        'set POSTGRES_PASSWORD in .env to a long random password (openssl rand -hex 24)',
      ),
    );
    // An empty value (as .env.example leaves it) is missing too: no default password.
    expect(() => resolved({ ...completeEnv, POSTGRES_PASSWORD: '' })).toThrow(
      /^required variable POSTGRES_PASSWORD is missing a value: set POSTGRES_PASSWORD/,
    );
    expect(() => resolved({ ...completeEnv, PUBLIC_URL: '' })).toThrow(
      /^required variable PUBLIC_URL is missing a value: set PUBLIC_URL in \.env/,
    );
    expect(() => resolved(parseDotEnv(envExample))).toThrow(ComposeInterpolationError);
    expect(() => resolved()).not.toThrow();
  });

  it('wires the app to both services, waits for them to be healthy, and checks its own health', () => {
    const config = parseConfig(web?.environment ?? {});
    const database = new URL(config.DATABASE_URL ?? '');
    expect(database.hostname).toBe('postgres');
    expect(database.port).toBe('5432');
    expect(database.username).toBe(postgres?.environment?.POSTGRES_USER);
    expect(database.password).toBe(completeEnv.POSTGRES_PASSWORD);
    expect(database.password).toBe(postgres?.environment?.POSTGRES_PASSWORD);
    expect(database.pathname).toBe(`/${postgres?.environment?.POSTGRES_DB}`);
    expect(new URL(config.REDIS_URL ?? '').host).toBe('redis:6379');
    expect(config.HOST).toBe('0.0.0.0');
    expect(config.PUBLIC_URL).toBe(completeEnv.PUBLIC_URL);
    // Published on the host's loopback only: HTTPS comes from a proxy in front.
    expect(web?.ports).toEqual([`127.0.0.1:${completeEnv.PLAUDIT_PORT}:${config.PORT}`]);
    expect(web?.depends_on).toEqual({
      postgres: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
    });
    expect(web?.healthcheck?.test.join(' ')).toContain(`127.0.0.1:${config.PORT}/healthz`);
    // A setting left empty in .env gets the app's own default.
    expect(web?.environment?.SLACK_COMMAND).toBe('');
    expect(config.SLACK_COMMAND).toBe('/kudos');
    expect(config.TEAMS_APP_TYPE).toBe('MultiTenant');
    // ...and one set there reaches the app.
    const renamed = parseConfig(
      resolved({ ...completeEnv, SLACK_COMMAND: '/props', DATABASE_POOL_SIZE: '25' }).services
        .worker?.environment ?? {},
    );
    expect(renamed).toMatchObject({ SLACK_COMMAND: '/props', DATABASE_POOL_SIZE: 25 });
  });

  it('builds one image, once, that web and worker both run', () => {
    const built = Object.entries(compose.services).filter(([, service]) => service.build);
    expect(built.map(([name]) => name)).toEqual(['web']);
    expect(web?.build).toBe('.');
    // Compose builds it rather than pulling a `plaudit` image from a registry.
    expect(web?.pull_policy).toBe('build');
    expect(web?.image).toMatch(/^plaudit:[\w.-]+$/);
    expect(worker?.image).toBe(web?.image);
    expect(compose.services.worker?.image).toBe(compose.services.web?.image);
  });

  it("runs a worker with the web process's settings, as the worker role, after its services", () => {
    const webConfig = parseConfig(web?.environment ?? {});
    const workerConfig = parseConfig(worker?.environment ?? {});
    expect(webConfig.PLAUDIT_ROLE).toBe('web');
    expect(workerConfig.PLAUDIT_ROLE).toBe('worker');
    expect({ ...workerConfig, PLAUDIT_ROLE: 'web' }).toEqual(webConfig);
    expect(worker?.depends_on).toEqual(web?.depends_on);
    // Its health, readiness and metrics are on its own port, on the compose network only.
    expect(workerConfig.WORKER_PORT).not.toBe(workerConfig.PORT);
    expect(worker?.ports).toBeUndefined();
    expect(worker?.expose).toEqual([String(workerConfig.WORKER_PORT)]);
    expect(worker?.healthcheck?.test.join(' ')).toContain(
      `127.0.0.1:${workerConfig.WORKER_PORT}/healthz`,
    );
  });

  it('gives web and worker time to finish their requests and jobs when stopped', () => {
    // Running jobs get up to JOBS_LOCK_MS to finish (30 s by default); compose's own
    // default of 10 s would kill them first.
    const seconds = (service: Service | undefined) =>
      Number(/^(\d+)s$/.exec(service?.stop_grace_period ?? '')?.[1]);
    const lockSeconds = (configSchema.shape.JOBS_LOCK_MS.parse(undefined) as number) / 1000;
    expect(seconds(web)).toBeGreaterThan(lockSeconds);
    expect(seconds(worker)).toBeGreaterThan(lockSeconds);
  });

  it('documents in .env.example every variable it reads, and every setting of the app', () => {
    const lines = envExample.split('\n');
    // `NAME=value` lines are set; `# NAME=value` lines document a setting left to its default.
    const set = new Map<string, string>();
    const documented = new Set<string>();
    for (const [index, line] of lines.entries()) {
      const match = /^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
      if (!match) continue;
      const [, commented, name = '', value = ''] = match;
      documented.add(name);
      if (!commented) set.set(name, value);
      // Each variable has a comment of its own just above it (or above its group).
      const above = lines.slice(0, index).reverse();
      const comment = above.find((previous) => !/^#\s*[A-Z][A-Z0-9_]*=/.test(previous));
      expect(comment, name).toMatch(/^# \S/);
    }
    const referenced = new Set(
      [...composeText.matchAll(/\$\{(\w+)/g)].map(([, name]) => name as string),
    );
    expect(referenced.size).toBeGreaterThan(0);
    for (const name of referenced) expect([...documented], name).toContain(name);
    // The ones compose requires are there to fill in, not commented out.
    const required = new Set(
      [...composeText.matchAll(/\$\{(\w+):?\?/g)].map(([, name]) => name as string),
    );
    expect([...required].sort()).toEqual(['POSTGRES_PASSWORD', 'PUBLIC_URL']);
    for (const name of required) expect([...set.keys()], name).toContain(name);
    for (const name of Object.keys(configSchema.shape)) {
      expect([...documented], name).toContain(name);
    }
    // The example's values, with its required secrets filled in, are ones the app accepts.
    expect(() => parseConfig(web?.environment ?? {})).not.toThrow();
  });
});

describe('Dockerfile', () => {
  /** The instructions, with continuation lines joined. */
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));

  it('builds on an LTS Node image, and runs the build with plain node and production dependencies', () => {
    const majors = [...dockerfile.matchAll(/^FROM node:(\d+)/gm)].map((match) => Number(match[1]));
    expect(majors.length).toBeGreaterThan(0);
    for (const major of majors) {
      expect(major % 2).toBe(0);
      expect(major).toBeGreaterThanOrEqual(24);
    }
    // A build stage with the dev dependencies compiles src/ and migrations/ to dist/ ...
    const stages = instructions.join('\n').split(/^(?=FROM )/m);
    const runtime = stages.at(-1) ?? '';
    const build =
      stages.find((stage) => /^FROM \S+ AS build$/im.test(stage.split('\n')[0] ?? '')) ??
      'no stage FROM … AS build';
    expect(build).toMatch(/^RUN npm ci$/m);
    expect(build).toMatch(/^RUN npm run build$/m);
    // ... and the image runs that build (migrations included) without tsx or sources.
    expect(runtime).toMatch(/^RUN npm ci --omit=dev/m);
    expect(runtime).toMatch(/^COPY --from=build \/app\/dist \.\/dist$/m);
    expect(runtime).toMatch(/^CMD \["node", "dist\/main\.js"\]$/m);
    expect(runtime).not.toMatch(/tsx|COPY src /);
  });

  it('runs as a user other than root that owns the paths the app writes, and nothing else', () => {
    const users = instructions.filter((line) => line.startsWith('USER '));
    const user = users.at(-1)?.slice('USER '.length).trim() ?? 'root';
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    // The runtime user is set before the command, not only for a build step.
    const userAt = instructions.lastIndexOf(users.at(-1) ?? '');
    expect(userAt).toBeGreaterThan(-1);
    expect(instructions.findIndex((line) => line.startsWith('CMD '))).toBeGreaterThan(userAt);
    const workdir = instructions
      .filter((line) => line.startsWith('WORKDIR '))
      .at(-1)
      ?.slice('WORKDIR '.length)
      .trim();
    expect(workdir).toBe('/app');
    // The embedded database's folder (PLAUDIT_DATA_DIR's default) and, beside it, its lock
    // and holder files (src/db/data-folder-lock.ts): the user must own the folder and be
    // able to create files in its parent.
    const dataDir = path.posix.resolve(
      workdir ?? '/',
      configSchema.shape.PLAUDIT_DATA_DIR.parse(undefined),
    );
    const owned = new Set<string>();
    for (const line of instructions.filter((each) => each.startsWith('RUN '))) {
      for (const match of line.matchAll(/chown\s+(?:-\S+\s+)*(\S+)\s+((?:[^&;|\s]+\s*)+)/g)) {
        const [, owner = '', paths = ''] = match;
        if (owner.split(':')[0] !== user) continue;
        for (const target of paths.trim().split(/\s+/))
          owned.add(path.posix.resolve(workdir ?? '/', target));
      }
    }
    expect([...owned].sort()).toEqual([path.posix.dirname(dataDir), dataDir].sort());
    // The code and its dependencies stay root's: the app cannot rewrite itself.
    expect(instructions.filter((line) => /--chown/.test(line))).toEqual([]);
    expect(instructions.filter((line) => /chown\s+-R/.test(line))).toEqual([]);
  });
});
