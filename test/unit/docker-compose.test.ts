import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configSchema, parseConfig } from '../../src/config.ts';

interface Service {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  expose?: string[];
  stop_grace_period?: string;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}

/** Compose's `${NAME:-default}` interpolation, with no variables set. */
function interpolate(value: string): string {
  return value.replace(/\$\{(\w+):-([^}]*)\}/g, (_match, _name, fallback: string) => fallback);
}

const compose = parse(
  await readFile(new URL('../../docker-compose.yml', import.meta.url), 'utf8'),
  // Compose merges `<<: *anchor` keys, as YAML 1.1 did.
  { merge: true },
) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const dockerfile = await readFile(new URL('../../Dockerfile', import.meta.url), 'utf8');
const composeText = await readFile(new URL('../../docker-compose.yml', import.meta.url), 'utf8');
const envExample = await readFile(new URL('../../.env.example', import.meta.url), 'utf8');

describe('docker-compose.yml', () => {
  const { postgres, redis, web, worker } = compose.services as Record<string, Service>;

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

  it('wires the app to both services, waits for them to be healthy, and checks its own health', () => {
    expect(web?.build).toBe('.');
    const env = Object.fromEntries(
      Object.entries(web?.environment ?? {}).map(([name, value]) => [
        name,
        interpolate(String(value)),
      ]),
    );
    const config = parseConfig(env);
    const database = new URL(config.DATABASE_URL ?? '');
    const postgresEnv = Object.fromEntries(
      Object.entries(postgres?.environment ?? {}).map(([name, value]) => [
        name,
        interpolate(value),
      ]),
    );
    expect(database.hostname).toBe('postgres');
    expect(database.port).toBe('5432');
    expect(database.username).toBe(postgresEnv.POSTGRES_USER);
    expect(database.password).toBe(postgresEnv.POSTGRES_PASSWORD);
    expect(database.pathname).toBe(`/${postgresEnv.POSTGRES_DB}`);
    expect(new URL(config.REDIS_URL ?? '').host).toBe('redis:6379');
    expect(config.HOST).toBe('0.0.0.0');
    expect(web?.ports?.map(interpolate)).toEqual([`3000:${config.PORT}`]);
    expect(web?.depends_on).toEqual({
      postgres: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
    });
    expect(web?.healthcheck?.test.join(' ')).toContain(`127.0.0.1:${config.PORT}/healthz`);
    // Secrets and Slack's and Teams' settings pass through from the operator's environment,
    // empty by default.
    for (const name of [
      'PLAUDIT_ADMIN_TOKEN',
      'METRICS_TOKEN',
      'PLAUDIT_INITIAL_ADMINS',
      'SLACK_BOT_TOKEN',
      'SLACK_SIGNING_SECRET',
      'SLACK_APP_TOKEN',
      'TEAMS_APP_ID',
      'TEAMS_APP_PASSWORD',
      'TEAMS_TENANT_ID',
      'TEAMS_ALLOWED_TENANTS',
    ]) {
      expect(web?.environment?.[name]).toBe(`\${${name}:-}`);
    }
    expect(config.TEAMS_APP_TYPE).toBe('MultiTenant');
    // Every variable the web service is given is one the configuration knows.
    for (const name of Object.keys(web?.environment ?? {})) {
      expect(Object.keys(configSchema.shape), name).toContain(name);
    }
  });

  it("runs a worker with the web process's settings, as the worker role, after its services", () => {
    const environment = (service: Service | undefined) =>
      Object.fromEntries(
        Object.entries(service?.environment ?? {}).map(([name, value]) => [
          name,
          interpolate(String(value)),
        ]),
      );
    const webConfig = parseConfig(environment(web));
    const workerConfig = parseConfig(environment(worker));
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
      [...composeText.matchAll(/\$\{(\w+)(?::?-[^}]*)?\}/g)].map(([, name]) => name as string),
    );
    expect(referenced.size).toBeGreaterThan(0);
    for (const name of referenced) expect([...set.keys()], name).toContain(name);
    for (const name of Object.keys(configSchema.shape)) {
      expect([...documented], name).toContain(name);
    }
    // The example's values are safe placeholders the app accepts as they are.
    const env = Object.fromEntries(
      Object.entries(web?.environment ?? {}).map(([name, value]) => [
        name,
        String(value).replace(
          /\$\{(\w+):-([^}]*)\}/g,
          (_match, variable: string, fallback: string) => set.get(variable) ?? fallback,
        ),
      ]),
    );
    expect(() => parseConfig(env)).not.toThrow();
  });

  it('builds the app on an LTS Node image that ships the migrations and runs main.ts', () => {
    const major = Number(/^FROM node:(\d+)/m.exec(dockerfile)?.[1]);
    expect(major % 2).toBe(0);
    expect(major).toBeGreaterThanOrEqual(24);
    expect(dockerfile).toMatch(/^COPY migrations /m);
    expect(dockerfile).toMatch(/^RUN npm ci --omit=dev/m);
    expect(dockerfile).toMatch(/^CMD .*src\/main\.ts/m);
  });
});
