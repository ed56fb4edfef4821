import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { type RunningPlaudit, startPlaudit } from '../../src/app.ts';
import { parseConfig } from '../../src/config.ts';
import { CommandAdmission } from '../../src/core/command-admission.ts';
import { PlauditMetrics } from '../../src/http/metrics.ts';
import { type RunningWorker, startWorker } from '../../src/worker.ts';
import { parseExposition } from '../support/exposition.ts';
import { FakeSlackApi } from '../support/fake-slack-api.ts';
import { createFreshDatabase, type FreshDatabase } from '../support/fresh-database.ts';
import { slackEnv } from '../support/slack-plaudit.ts';

const METRICS_TOKEN = 'monitoring-metrics-token-0123456789';

/** A PromQL expression and where it is, with the label names its text shows. */
interface Query {
  readonly where: string;
  readonly expr: string;
  /** Label names shown by the legend or annotations made from the query's results. */
  readonly shown: string[];
}

async function dashboardQueries(): Promise<Query[]> {
  const text = await readFile(
    new URL('../../deploy/grafana/dashboards/plaudit.json', import.meta.url),
    'utf8',
  );
  const dashboard = JSON.parse(text) as {
    panels: { title: string; targets?: { expr: string; legendFormat?: string }[] }[];
  };
  return dashboard.panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({
      where: `dashboard panel "${panel.title}"`,
      expr: target.expr,
      shown: [...(target.legendFormat ?? '').matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map(
        ([, name]) => name as string,
      ),
    })),
  );
}

async function alertQueries(): Promise<Query[]> {
  const text = await readFile(
    new URL('../../deploy/prometheus/alerts.yml', import.meta.url),
    'utf8',
  );
  const { groups } = parse(text) as {
    groups: { rules: { alert: string; expr: string; annotations: Record<string, string> }[] }[];
  };
  return groups.flatMap((group) =>
    group.rules.map((rule) => ({
      where: `alert ${rule.alert}`,
      expr: rule.expr,
      shown: Object.values(rule.annotations).flatMap((annotation) =>
        [...annotation.matchAll(/\$labels\.(\w+)/g)].map(([, name]) => name as string),
      ),
    })),
  );
}

/** Plaudit's metric names a query reads (every one Plaudit makes starts with plaudit_). */
const metricNames = (expr: string) => [
  ...new Set([...expr.matchAll(/\bplaudit_[a-z0-9_]+\b/g)].map(([name]) => name)),
];

/** The label names a query matches on or groups by. */
function labelNames(expr: string): string[] {
  const names: string[] = [];
  for (const [, matchers = ''] of expr.matchAll(/[\w:]+\s*\{([^}]*)\}/g)) {
    for (const [, name] of matchers.matchAll(/(\w+)\s*(?:=~|!~|!=|=)/g)) names.push(name as string);
  }
  for (const [, list = ''] of expr.matchAll(
    /\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g,
  )) {
    names.push(
      ...list
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean),
    );
  }
  return names;
}

describe('the dashboard and the alert rules read only metrics a running Plaudit exports', () => {
  const teamId = `T${randomUUID().slice(0, 8).toUpperCase()}`;
  const fake = new FakeSlackApi({ id: teamId, name: 'Acme', botUserId: 'UBOT' });
  const prefix = `monitoring-${randomUUID().slice(0, 8)}`;
  let database: FreshDatabase;
  let web: RunningPlaudit;
  let worker: RunningWorker;
  /** Metric family name → type, from the `# TYPE` lines of web's and worker's /metrics. */
  const families = new Map<string, string>();
  /** Metric family name → the label names its samples carry or it declares. */
  const labels = new Map<string, Set<string>>();

  const addLabels = (name: string, names: Iterable<string>) => {
    const known = labels.get(name) ?? new Set<string>();
    for (const label of names) known.add(label);
    labels.set(name, known);
  };

  beforeAll(async () => {
    await fake.start();
    // Web and worker on a database of their own: the worker sweeps every organization.
    database = await createFreshDatabase('monitoring', { migrated: true });
    const env = {
      LOG_LEVEL: 'silent',
      DATABASE_URL: database.url,
      REDIS_URL: inject('redisUrl'),
      REDIS_PREFIX: prefix,
      METRICS_TOKEN,
    };
    web = await startPlaudit(
      parseConfig({ ...env, ...slackEnv(fake), PLAUDIT_ROLE: 'web', PORT: '0' }),
    );
    worker = await startWorker(parseConfig({ ...env, PLAUDIT_ROLE: 'worker', WORKER_PORT: '0' }));
    // Scraped as Prometheus does: with METRICS_TOKEN.
    for (const url of [web.url, worker.url]) {
      const response = await fetch(`${url}/metrics`, {
        headers: { authorization: `Bearer ${METRICS_TOKEN}` },
      });
      expect(response.status).toBe(200);
      const text = await response.text();
      for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
        families.set(name as string, type as string);
      }
      for (const sample of parseExposition(text)) {
        const family = families.has(sample.name)
          ? sample.name
          : sample.name.replace(/_(bucket|sum|count)$/, '');
        addLabels(family, Object.keys(sample.labels));
      }
    }
    // A counter shows its labels only once counted: take the declared ones from the code.
    const declared = new PlauditMetrics(undefined, pino({ level: 'silent' }));
    declared.observeAdmission(new CommandAdmission({ inFlight: 1 }));
    for (const metric of declared.registry.getMetricsAsArray()) {
      addLabels(metric.name, (metric as unknown as { labelNames: string[] }).labelNames ?? []);
    }
  });
  afterAll(async () => {
    await worker?.close();
    await web?.close();
    await fake.stop();
    const redis = new Redis(inject('redisUrl'));
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await database?.drop();
  });

  /** The family a name in a query belongs to: itself, or the histogram it is a series of. */
  const familyOf = (name: string): string | undefined => {
    if (families.has(name)) return name;
    const base = name.replace(/_(bucket|sum|count)$/, '');
    return families.get(base) === 'histogram' ? base : undefined;
  };

  it('names only metric families web or worker exports', async () => {
    const queries = [...(await dashboardQueries()), ...(await alertQueries())];
    expect(queries.length).toBeGreaterThan(20);
    const unknown = queries.flatMap((query) =>
      metricNames(query.expr)
        .filter((name) => familyOf(name) === undefined)
        .map((name) => `${query.where}: ${name}`),
    );
    expect(unknown).toEqual([]);
  });

  it('matches and groups only by labels those metrics carry', async () => {
    const queries = [...(await dashboardQueries()), ...(await alertQueries())];
    const wrong = queries.flatMap((query) => {
      const names = metricNames(query.expr).map((name) => familyOf(name) ?? name);
      // Prometheus adds job and instance to every scraped series; `up` has only those.
      const allowed = new Set([
        'job',
        'instance',
        ...names.flatMap((name) => [...(labels.get(name) ?? [])]),
      ]);
      if (/_bucket\b/.test(query.expr)) allowed.add('le');
      return [...labelNames(query.expr), ...query.shown]
        .filter((label) => !allowed.has(label))
        .map((label) => `${query.where}: label ${label} (of ${names.join(', ') || 'up'})`);
    });
    expect(wrong).toEqual([]);
  });

  it('shows answers, refusals, shed commands, queues, job failures, the ledger and redemptions', async () => {
    const shown = new Set(
      (await dashboardQueries()).flatMap((query) =>
        metricNames(query.expr).map((name) => familyOf(name)),
      ),
    );
    for (const family of [
      'plaudit_http_requests_total',
      'plaudit_http_request_duration_seconds',
      'plaudit_gives_total',
      'plaudit_refusals_total',
      'plaudit_commands_shed_total',
      'plaudit_queue_jobs',
      'plaudit_job_failures_total',
      'plaudit_ledger_violations',
      'plaudit_ledger_verified_timestamp_seconds',
      'plaudit_redemptions_total',
    ]) {
      expect([...shown], family).toContain(family);
    }
  });
});
