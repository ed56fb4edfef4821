import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
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
  volumes?: string[];
  restart?: string;
  build?: string;
  pull_policy?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  expose?: string[];
  stop_grace_period?: string;
  depends_on?: Record<string, { condition: string }> | string[];
  healthcheck?: { test: string[]; interval?: string; start_period?: string };
  profiles?: string[];
  secrets?: string[];
}

interface ComposeFile {
  'x-plaudit-settings-not-passed'?: string[];
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
  secrets?: Record<string, { environment?: string; file?: string }>;
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
  // A chat platform: without one, web refuses to serve beyond loopback (local mode).
  SLACK_BOT_TOKEN: 'xoxb-1-2-3',
  SLACK_SIGNING_SECRET: 'a-signing-secret',
};

/** The file as `docker compose config` resolves it against an environment. */
function resolved(env: Record<string, string | undefined> = completeEnv): ComposeFile {
  return interpolateCompose(compose, env);
}

describe('docker-compose.yml', () => {
  const { postgres, redis, web, worker, migrate, backup } = resolved().services;

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
      migrate: { condition: 'service_completed_successfully' },
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

  it('migrates once, with the database settings only, before web and worker start', () => {
    expect(migrate?.image).toBe(web?.image);
    expect(migrate?.build).toBeUndefined();
    expect(migrate?.command).toEqual(['node', 'dist/migrate-main.js']);
    // A failed migration stops there, for the operator to read; it is not retried.
    expect(migrate?.restart).toBe('no');
    expect(migrate?.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    for (const service of [web, worker]) {
      expect(service?.depends_on).toMatchObject({
        migrate: { condition: 'service_completed_successfully' },
      });
    }
    // The same database, with the same limits, as web; and none of web's other secrets.
    const migrateConfig = parseConfig(migrate?.environment ?? {});
    const webConfig = parseConfig(web?.environment ?? {});
    expect(migrateConfig.DATABASE_URL).toBe(webConfig.DATABASE_URL);
    for (const [name, value] of Object.entries(migrate?.environment ?? {})) {
      expect(web?.environment?.[name], name).toBe(value);
    }
    // The pool size and statement limit are not among them: a migration runs on one
    // connection with no statement limit (unhurriedDatabaseOptions).
    expect(Object.keys(migrate?.environment ?? {}).sort()).toEqual([
      'DATABASE_CONNECT_TIMEOUT_MS',
      'DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS',
      'DATABASE_KEEPALIVE_MS',
      'DATABASE_URL',
    ]);
  });

  it('backs the database up with pg_dump of its own Postgres version, into a volume', async () => {
    expect(backup?.image).toBe(postgres?.image);
    expect(backup?.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    // libpq's variables name the compose database, as its owner, with the same password.
    expect(backup?.environment).toMatchObject({
      PGHOST: 'postgres',
      PGUSER: postgres?.environment?.POSTGRES_USER,
      PGPASSWORD: completeEnv.POSTGRES_PASSWORD,
      PGDATABASE: postgres?.environment?.POSTGRES_DB,
    });
    expect(backup?.environment?.PGPASSWORD).toBe(postgres?.environment?.POSTGRES_PASSWORD);
    // The dumps go to a named volume; the scripts come from the repository, read-only.
    const dir = backup?.environment?.BACKUP_DIR;
    expect(backup?.volumes).toEqual([`backups:${dir}`, './deploy/backup:/backup:ro']);
    expect(compose.volumes).toHaveProperty('backups');
    expect(backup?.command).toEqual(['/backup/backup.sh', 'schedule']);
    // The mounted scripts are there, and run as commands (the mount keeps their mode).
    for (const script of ['backup.sh', 'restore.sh']) {
      const { mode } = await stat(new URL(`../../deploy/backup/${script}`, import.meta.url));
      expect(mode & 0o111, script).toBe(0o111);
    }
    expect(backup?.restart).toBe('unless-stopped');
    expect(backup?.healthcheck?.test).toEqual(['CMD', '/backup/backup.sh', 'check']);
    // Daily and two weeks unless .env says otherwise; .env's values reach the script.
    expect(backup?.environment).toMatchObject({
      BACKUP_INTERVAL_SECONDS: '86400',
      BACKUP_KEEP_DAYS: '14',
    });
    const { BACKUP_INTERVAL_SECONDS: _i, BACKUP_KEEP_DAYS: _k, ...withoutBackup } = completeEnv;
    expect(resolved(withoutBackup).services.backup?.environment).toMatchObject({
      BACKUP_INTERVAL_SECONDS: '86400',
      BACKUP_KEEP_DAYS: '14',
    });
    expect(
      resolved({ ...completeEnv, BACKUP_INTERVAL_SECONDS: '3600', BACKUP_KEEP_DAYS: '30' }).services
        .backup?.environment,
    ).toMatchObject({ BACKUP_INTERVAL_SECONDS: '3600', BACKUP_KEEP_DAYS: '30' });
    // The password is required here too: no dump is tried without one.
    const { POSTGRES_PASSWORD: _password, ...withoutPassword } = completeEnv;
    const unresolved = structuredClone(compose);
    unresolved.services = { backup: compose.services.backup as Service };
    expect(() => interpolateCompose(unresolved, withoutPassword)).toThrow(
      ComposeInterpolationError,
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

/** The file on this machine a bind mount of the service shows at `containerPath`, if any. */
function hostPath(service: Service | undefined, containerPath: string): string | undefined {
  for (const volume of service?.volumes ?? []) {
    const [source = '', target = ''] = volume.split(':');
    if (!source.startsWith('./')) continue;
    if (containerPath === target || containerPath.startsWith(`${target}/`)) {
      return fileURLToPath(
        new URL(`../../${source}${containerPath.slice(target.length)}`, import.meta.url),
      );
    }
  }
  return undefined;
}

const readYaml = async (file: string | undefined) =>
  parse(await readFile(file ?? 'no mount', 'utf8')) as Record<string, unknown>;

describe('docker-compose.yml: the optional proxy and monitoring profiles', () => {
  const { services, volumes } = resolved();
  const { proxy, prometheus, grafana } = services;

  it('starts the proxy only with --profile proxy, Prometheus and Grafana only with --profile monitoring', () => {
    const profiled = Object.fromEntries(
      Object.entries(services)
        .filter(([, service]) => service.profiles !== undefined)
        .map(([name, service]) => [name, service.profiles]),
    );
    expect(profiled).toMatchObject({
      proxy: ['proxy'],
      prometheus: ['monitoring'],
      grafana: ['monitoring'],
    });
    // A plain `docker compose up` still starts what Plaudit needs, and only that of these.
    for (const name of ['postgres', 'redis', 'web', 'worker']) {
      expect(services[name]?.profiles, name).toBeUndefined();
    }
  });

  it('runs Caddy in front of web with the Caddyfile and start script of deploy/caddy', async () => {
    expect(proxy?.image).toMatch(/^caddy:2(\.|$)/);
    expect(proxy?.depends_on).toEqual({ web: { condition: 'service_healthy' } });
    // The script it runs, and the Caddyfile that script starts Caddy with, are files here.
    expect(proxy?.command).toEqual(['sh', '/etc/caddy/start.sh']);
    const script = await readFile(hostPath(proxy, '/etc/caddy/start.sh') ?? 'unmounted', 'utf8');
    const caddyfile = /\$\{CADDYFILE:-([^}]+)\}/.exec(script)?.[1] ?? '';
    expect(caddyfile).toBe('/etc/caddy/Caddyfile');
    const config = await readFile(hostPath(proxy, caddyfile) ?? 'unmounted', 'utf8');
    // It sends everything to web's container port, and reads the site from start.sh.
    const webPort = parseConfig(services.web?.environment ?? {}).PORT;
    expect(config).toContain(`reverse_proxy {$PLAUDIT_UPSTREAM:web:${webPort}}`);
    expect(config).toMatch(/^\{\$PLAUDIT_SITE\} \{$/m);
    // The certificate is for the address web is told people open.
    expect(proxy?.environment).toEqual({ PUBLIC_URL: services.web?.environment?.PUBLIC_URL });
    expect(() => resolved({ ...completeEnv, PUBLIC_URL: '' })).toThrow(/PUBLIC_URL/);
    // HTTP for the certificate authority's challenge and the redirect, HTTPS, HTTP/3.
    expect(proxy?.ports).toEqual(['80:80', '443:443', '443:443/udp']);
    // Certificates survive a restart.
    expect(proxy?.volumes).toEqual(
      expect.arrayContaining(['caddy-data:/data', 'caddy-config:/config']),
    );
    expect(volumes).toHaveProperty('caddy-data');
    expect(volumes).toHaveProperty('caddy-config');
  });

  it('runs Prometheus on the files of deploy/prometheus, scraping web and worker with METRICS_TOKEN', async () => {
    expect(prometheus?.image).toMatch(/^prom\/prometheus:v3\.\d+\.\d+$/);
    const configPath = prometheus?.command
      ?.find((arg) => arg.startsWith('--config.file='))
      ?.slice('--config.file='.length);
    const config = await readYaml(hostPath(prometheus, configPath ?? 'unset'));
    // Its rule files are beside it, in the same mount.
    const configDir = path.posix.dirname(configPath ?? '');
    for (const rules of config.rule_files as string[]) {
      await expect(
        readYaml(hostPath(prometheus, path.posix.join(configDir, rules))),
      ).resolves.toHaveProperty('groups');
    }
    // One job per service, every container of it found by DNS, on its port from Plaudit's
    // settings as compose passes them.
    const web = parseConfig(services.web?.environment ?? {});
    const worker = parseConfig(services.worker?.environment ?? {});
    interface ScrapeConfig {
      job_name: string;
      dns_sd_configs: { names: string[]; type: string; port: number }[];
      authorization: { credentials_file: string };
    }
    const jobs = config.scrape_configs as ScrapeConfig[];
    expect(jobs.map((job) => ({ job: job.job_name, discovery: job.dns_sd_configs }))).toEqual([
      {
        job: 'plaudit-web',
        discovery: [expect.objectContaining({ names: ['web'], type: 'A', port: web.PORT })],
      },
      {
        job: 'plaudit-worker',
        discovery: [
          expect.objectContaining({ names: ['worker'], type: 'A', port: worker.WORKER_PORT }),
        ],
      },
    ]);
    // The token file is compose's secret, made from the METRICS_TOKEN web and worker get.
    expect(prometheus?.secrets).toEqual(['metrics-token']);
    expect(compose.secrets?.['metrics-token']).toEqual({ environment: 'METRICS_TOKEN' });
    expect(compose.services.web?.environment?.METRICS_TOKEN).toMatch(/^\$\{METRICS_TOKEN[:}]/);
    for (const job of jobs) {
      expect(job.authorization.credentials_file).toBe('/run/secrets/metrics-token');
    }
    // On this machine's loopback only, with its data kept.
    expect(prometheus?.ports).toEqual([`127.0.0.1:${completeEnv.PROMETHEUS_PORT}:9090`]);
    expect(prometheus?.volumes).toContain('prometheus-data:/prometheus');
    expect(volumes).toHaveProperty('prometheus-data');
  });

  it('provisions Grafana with that Prometheus and the dashboard of deploy/grafana', async () => {
    expect(grafana?.image).toMatch(/^grafana\/grafana:\d+\.\d+\.\d+$/);
    const provisioning = '/etc/grafana/provisioning';
    const sources = await readYaml(hostPath(grafana, `${provisioning}/datasources/prometheus.yml`));
    const [source] = sources.datasources as { uid: string; type: string; url: string }[];
    expect(source?.type).toBe('prometheus');
    const prometheusPort = prometheus?.ports?.[0]?.split(':').at(-1);
    expect(source?.url).toBe(`http://prometheus:${prometheusPort}`);
    const providers = await readYaml(hostPath(grafana, `${provisioning}/dashboards/plaudit.yml`));
    const [provider] = providers.providers as { options: { path: string } }[];
    const dashboardFile = hostPath(grafana, `${provider?.options.path}/plaudit.json`);
    const dashboard = JSON.parse(await readFile(dashboardFile ?? 'unmounted', 'utf8')) as {
      panels: { type: string; datasource?: { uid: string } }[];
    };
    // Every panel reads the provisioned data source.
    const panels = dashboard.panels.filter((panel) => panel.type !== 'row');
    expect(panels.length).toBeGreaterThan(0);
    for (const panel of panels) expect(panel.datasource?.uid).toBe(source?.uid);
    expect(grafana?.ports).toEqual([`127.0.0.1:${completeEnv.GRAFANA_PORT}:3000`]);
    expect(volumes).toHaveProperty('grafana-data');
  });
});
