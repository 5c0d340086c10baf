// The shipped alert rules: generated file in sync, promtool-clean, every alert
// unit-tested firing and not firing, documented, and built only from metrics
// sockeye really exports.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { defaultAlertsConfig } from '../../alerts/config.js';
import { GROUPS, ruleGroups, rulesYaml } from '../../alerts/rules.js';
import { REPO_ROOT } from '../support/sockeye.js';
import { runTool } from '../support/tools.js';

const RULES_FILE = join(REPO_ROOT, 'alerts', 'sockeye.rules.yml');
const TESTS_DIR = join(REPO_ROOT, 'alerts', 'tests');
const RUNBOOKS = join(REPO_ROOT, 'docs', 'runbooks.md');

const rules = ruleGroups().flatMap((g) => g.rules);
const alertNames = [...new Set(rules.map((r) => r.alert))];
const testFiles = readdirSync(TESTS_DIR).filter((f) => f.endsWith('.test.yml')).sort();

interface ExpAlert {
  exp_labels?: Record<string, string>;
  exp_annotations?: Record<string, string>;
}
interface PromtoolTestFile {
  rule_files: string[];
  tests: Array<{ name: string; alert_rule_test?: Array<{ alertname: string; eval_time: string; exp_alerts?: ExpAlert[] }> }>;
}
const testDocs = new Map(testFiles.map((f) => [f, parse(readFileSync(join(TESTS_DIR, f), 'utf8')) as PromtoolTestFile]));

const tmp = mkdtempSync(join(tmpdir(), 'sockeye-alerts-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('alerts/sockeye.rules.yml', () => {
  it('is exactly what `npm run alerts` generates', () => {
    expect(readFileSync(RULES_FILE, 'utf8'), 'alerts/sockeye.rules.yml is stale: run npm run alerts').toBe(rulesYaml());
  });

  it('passes promtool check rules, with every rule counted', async () => {
    const r = await runTool('promtool', ['check', 'rules', RULES_FILE]);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  it('passes every promtool unit test in alerts/tests', async () => {
    expect(testFiles.length).toBeGreaterThan(0);
    // One promtool per file, side by side: the long-horizon cases take seconds each.
    const results = await Promise.all(testFiles.map((f) => runTool('promtool', ['test', 'rules', f], { cwd: TESTS_DIR })));
    results.forEach((r, i) => {
      expect(r.code, `${testFiles[i]}:\n${r.output}`).toBe(0);
      expect(r.output, testFiles[i]).toContain('SUCCESS');
    });
  });

  it('promtool unit tests fail against rules with a broken threshold (they can fail)', async () => {
    // Same tests, rules with the fd warning threshold moved: FdUsageHigh cases must break.
    const broken = rulesYaml({ config: { fdUsage: { warningRatio: 0.9 } } });
    writeFileSync(join(tmp, 'sockeye.rules.yml'), broken);
    writeFileSync(join(tmp, 'fds.test.yml'), readFileSync(join(TESTS_DIR, 'fds.test.yml'), 'utf8').replace('../sockeye.rules.yml', 'sockeye.rules.yml'));
    const r = await runTool('promtool', ['test', 'rules', 'fds.test.yml'], { cwd: tmp });
    expect(r.code).not.toBe(0);
    expect(r.output).toContain('FdUsageHigh fires a warning');
  });

  it('has one promtool test file per rule group, each loading the generated rules', () => {
    expect(testFiles).toEqual(GROUPS.map((g) => `${g.name.replace(/^sockeye\./, '')}.test.yml`).sort());
    for (const [file, doc] of testDocs) expect(doc.rule_files, file).toEqual(['../sockeye.rules.yml']);
  });

  it('every alert has a firing case with exact labels and annotations, and a case where it must not fire', () => {
    const firing = new Map<string, number>();
    const quiet = new Map<string, number>();
    for (const [file, doc] of testDocs) {
      for (const test of doc.tests) {
        for (const c of test.alert_rule_test ?? []) {
          expect(alertNames, `${file}: "${test.name}" tests an alert that does not exist`).toContain(c.alertname);
          const exp = c.exp_alerts ?? [];
          const counts = exp.length > 0 ? firing : quiet;
          counts.set(c.alertname, (counts.get(c.alertname) ?? 0) + 1);
          for (const a of exp) {
            expect(a.exp_labels?.severity, `${file}: "${test.name}" must state the severity`).toBeTruthy();
            expect(Object.keys(a.exp_annotations ?? {}).sort(), `${file}: "${test.name}" must state every annotation`).toEqual(['description', 'runbook_url', 'summary']);
          }
        }
      }
    }
    for (const name of alertNames) {
      expect(firing.get(name) ?? 0, `${name} has no firing test case`).toBeGreaterThan(0);
      // Watchdog always fires: its "not firing" is the dead man's switch's job.
      if (name !== 'Watchdog') expect(quiet.get(name) ?? 0, `${name} has no not-firing test case`).toBeGreaterThan(0);
    }
  });

  it('test case names say what should happen', () => {
    for (const [file, doc] of testDocs) {
      for (const test of doc.tests) expect(test.name, file).toMatch(/\b(fires?|do(es)? not fire)\b/);
    }
  });

  it('every alert has a severity, summary, description and a runbook_url generated from its name', () => {
    for (const r of rules) {
      expect(['critical', 'warning', 'info', 'none'], r.alert).toContain(r.labels.severity);
      expect(r.annotations.summary.length, r.alert).toBeGreaterThan(10);
      expect(r.annotations.description.length, r.alert).toBeGreaterThan(r.annotations.summary.length);
      expect(r.annotations.runbook_url).toBe(`${defaultAlertsConfig.runbookBase}/docs/runbooks.md#${r.alert.toLowerCase()}`);
    }
    expect(rules.filter((r) => r.alert === 'Watchdog').map((r) => r.labels.severity)).toEqual(['none']);
  });

  it('alerts that share a name differ in severity only (so critical can inhibit warning)', () => {
    for (const name of alertNames) {
      const same = rules.filter((r) => r.alert === name);
      expect(new Set(same.map((r) => r.labels.severity)).size, name).toBe(same.length);
    }
  });

  it('every alert has a runbook section: meaning, how to confirm (with commands), what to do', () => {
    const text = readFileSync(RUNBOOKS, 'utf8');
    const sections = new Map<string, string>();
    for (const part of text.split(/^## /m).slice(1)) {
      const [heading = '', ...body] = part.split('\n');
      sections.set(heading.trim().toLowerCase(), body.join('\n'));
    }
    for (const name of alertNames) {
      expect([...sections.keys()], `docs/runbooks.md has no "## ${name}" section`).toContain(name.toLowerCase());
      const body = sections.get(name.toLowerCase());
      expect(body, name).toContain('**Meaning.**');
      expect(body, name).toMatch(/\*\*Confirm\.\*\*[\s\S]*```/);
      expect(body, name).toContain('**Act.**');
    }
  });

  it('docs/alerts.md lists every alert, with its severities, in the at-a-glance table', () => {
    const rows = new Map<string, string>();
    for (const m of readFileSync(join(REPO_ROOT, 'docs', 'alerts.md'), 'utf8').matchAll(/^\| \[(\w+)\]\(runbooks\.md#(\w+)\) \| ([^|]+) \|/gm)) {
      expect(m[2], m[1]).toBe(m[1]!.toLowerCase());
      rows.set(m[1]!, m[3]!.trim());
    }
    expect([...rows.keys()].sort()).toEqual([...alertNames].sort());
    for (const name of alertNames) {
      const severities = rules.filter((r) => r.alert === name).map((r) => r.labels.severity);
      expect(rows.get(name), name).toBe(severities.join(' / '));
    }
  });

  it('uses only sockeye_ metrics that sockeye registers (names in src/)', () => {
    const registered = new Set<string>();
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(dir, e.name));
        else if (e.name.endsWith('.ts')) for (const m of readFileSync(join(dir, e.name), 'utf8').matchAll(/['"`](sockeye_[a-z_]+)['"`]/g)) registered.add(m[1]!);
      }
    };
    walk(join(REPO_ROOT, 'src'));
    const used = new Set(rules.flatMap((r) => [...r.expr.matchAll(/(?<!")\bsockeye_[a-z_]+/g)].map((m) => m[0])));
    expect(used.size).toBeGreaterThan(15);
    for (const name of used) expect(registered, `${name} is used by an alert but sockeye never registers it`).toContain(name);
  });

  it('keeps job and instance in every aggregation, so several sockeyes never merge', () => {
    for (const r of rules) {
      for (const m of r.expr.matchAll(/\bby \(([^)]*)\)/g)) {
        const labels = m[1]!.split(',').map((s) => s.trim());
        expect(labels, `${r.alert}: ${m[0]}`).toEqual(expect.arrayContaining(['job', 'instance']));
      }
      for (const m of r.expr.matchAll(/\bwithout \(([^)]*)\)/g)) {
        const labels = m[1]!.split(',').map((s) => s.trim());
        for (const kept of ['job', 'namespace', 'pod', 'instance']) expect(labels, `${r.alert}: ${m[0]}`).not.toContain(kept);
      }
    }
  });
});

describe('ruleGroups options (used by the incident lab and the PrometheusRule)', () => {
  it('shortenFor rewrites every `for:` and nothing else; the result is still promtool-clean', async () => {
    const short = ruleGroups({ shortenFor: (s) => s / 60 }).flatMap((g) => g.rules);
    expect(short.map((r) => r.expr)).toEqual(rules.map((r) => r.expr));
    expect(short.find((r) => r.alert === 'SockeyeDown')?.for).toBe('2s');
    expect(short.find((r) => r.alert === 'SockeyeAbsent')?.for).toBe('5s');
    // Alerts without `for:` stay without one.
    expect(short.filter((r) => r.for === undefined).map((r) => r.alert)).toEqual(rules.filter((r) => r.for === undefined).map((r) => r.alert));
    const file = join(tmp, 'short.rules.yml');
    writeFileSync(file, rulesYaml({ shortenFor: (s) => s / 60 }));
    const r = await runTool('promtool', ['check', 'rules', file]);
    expect(r.code, r.output).toBe(0);
  });

  it('sub-second results become milliseconds, and 0 drops the `for:`', () => {
    const ms = ruleGroups({ shortenFor: (s) => s / 1000 }).flatMap((g) => g.rules);
    expect(ms.find((r) => r.alert === 'SockeyeDown')?.for).toBe('120ms');
    const none = ruleGroups({ shortenFor: () => 0 }).flatMap((g) => g.rules);
    expect(none.every((r) => r.for === undefined)).toBe(true);
  });

  it('config overrides replace thresholds and windows in the expressions', () => {
    const lab = ruleGroups({ config: { schedulerStallAfter: '5s', fdExhaustion: { window: '30s', horizon: '2m' } } }).flatMap((g) => g.rules);
    const stalled = lab.find((r) => r.alert === 'SockeyeSchedulerStalled')!;
    expect(stalled.expr).toMatch(/> 5\n/);
    const fd = lab.find((r) => r.alert === 'FdExhaustionPredicted')!;
    expect(fd.expr).toContain('[30s], 120)');
    expect(fd.expr).toContain('offset 15s');
    // Untouched values keep their defaults.
    expect(fd.expr).toContain(`> ${defaultAlertsConfig.fdExhaustion.minUsageRatio}`);
  });
});
