import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runProcess } from '../../support/npm-script.ts';
import { requiredBinary } from '../../support/required-binary.ts';

const deploy = fileURLToPath(new URL('../../../deploy/prometheus/', import.meta.url));

interface AlertRule {
  alert: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleTests {
  tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
}

describe('deploy/prometheus, checked by the real promtool', () => {
  // Looked up by each test, so each fails on its own when promtool is missing.
  const promtool = () => requiredBinary('promtool', 'prometheus');
  let folder: string;

  beforeAll(async () => {
    folder = await mkdtemp(path.join(tmpdir(), 'plaudit-prometheus-'));
  });
  afterAll(async () => {
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  it('accepts the scrape configuration with its rule files and its token file', async () => {
    // promtool checks that the token file exists: in the container it is compose's secret,
    // here a file of the same folder layout's copy.
    const config = await readFile(path.join(deploy, 'prometheus.yml'), 'utf8');
    const token = path.join(folder, 'metrics-token');
    await writeFile(token, 'a-metrics-token-of-24-characters-or-more\n');
    expect(config).toContain('credentials_file: /run/secrets/metrics-token');
    await writeFile(
      path.join(folder, 'prometheus.yml'),
      config.replaceAll('/run/secrets/metrics-token', token),
    );
    await copyFile(path.join(deploy, 'alerts.yml'), path.join(folder, 'alerts.yml'));
    const checked = await runProcess(
      promtool(),
      ['check', 'config', path.join(folder, 'prometheus.yml')],
      {},
    );
    expect(checked, checked.stderr).toMatchObject({ code: 0 });
    expect(checked.stdout).toContain('SUCCESS: 10 rules found');
  });

  it('finds the alert rules valid, each with a severity and words for the operator', async () => {
    const checked = await runProcess(
      promtool(),
      ['check', 'rules', path.join(deploy, 'alerts.yml')],
      {},
    );
    expect(checked, checked.stderr).toMatchObject({ code: 0 });
    const rules = alertRules(await readFile(path.join(deploy, 'alerts.yml'), 'utf8'));
    for (const rule of rules) {
      expect(['critical', 'warning'], rule.alert).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, rule.alert).toMatch(/\S/);
      // The description says what to do: it names a command or a setting to look at.
      expect(rule.annotations?.description, rule.alert).toMatch(/`[^`]+`/);
    }
  });

  it('passes the rules unit tests, which see every alert fire', async () => {
    const tested = await runProcess(
      promtool(),
      ['test', 'rules', path.join(deploy, 'alerts.test.yml')],
      {},
    );
    expect(tested.stdout + tested.stderr).toContain('SUCCESS');
    expect(tested.code).toBe(0);
    const rules = alertRules(await readFile(path.join(deploy, 'alerts.yml'), 'utf8'));
    const tests = parse(await readFile(path.join(deploy, 'alerts.test.yml'), 'utf8')) as RuleTests;
    const fired = new Set(
      tests.tests.flatMap((test) =>
        (test.alert_rule_test ?? [])
          .filter((expectation) => expectation.exp_alerts.length > 0)
          .map((expectation) => expectation.alertname),
      ),
    );
    expect([...fired].sort()).toEqual(rules.map((rule) => rule.alert).sort());
  });
});

function alertRules(text: string): AlertRule[] {
  const { groups } = parse(text) as { groups: { rules: AlertRule[] }[] };
  return groups.flatMap((group) => group.rules);
}
