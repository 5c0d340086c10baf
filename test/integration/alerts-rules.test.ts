// The shipped alert rules: generated file in sync, promtool-clean, every alert
// unit-tested firing and not firing, documented, and built only from metrics
// sockeye really exports.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { defaultAlertsConfig } from '../../alerts/config.js';
import { GROUPS, RECORDING_FILES, RULE_FILES, recordingGroups, recordingRulesYaml, ruleGroups, rulesYaml, type RecordingFileName, type RuleFileName } from '../../alerts/rules.js';
import { SNAPSHOTS_ANNOTATION } from '../../alerts/rule.js';
import { REPO_ROOT } from '../support/sockeye.js';
import { runTool } from '../support/tools.js';
import { labRules } from '../support/stack.js';

const FILES = Object.keys(RULE_FILES) as RuleFileName[];
const RECORDING = Object.keys(RECORDING_FILES) as RecordingFileName[];
const rulesFile = (file: RuleFileName | RecordingFileName) => join(REPO_ROOT, 'alerts', `${file}.rules.yml`);
const TESTS_DIR = join(REPO_ROOT, 'alerts', 'tests');
const RUNBOOKS = join(REPO_ROOT, 'docs', 'runbooks.md');

const rules = ruleGroups().flatMap((g) => g.rules);
const alertNames = [...new Set(rules.map((r) => r.alert))];
const perTargetAlerts = new Set(GROUPS.filter((g) => g.perTarget).flatMap((g) => ruleGroups().find((r) => r.name === g.name)!.rules.map((r) => r.alert)));
const testFiles = readdirSync(TESTS_DIR).filter((f) => f.endsWith('.test.yml')).sort();

interface ExpAlert {
  exp_labels?: Record<string, string>;
  exp_annotations?: Record<string, string>;
}
interface PromtoolTestFile {
  rule_files: string[];
  tests: Array<{
    name: string;
    alert_rule_test?: Array<{ alertname: string; eval_time: string; exp_alerts?: ExpAlert[] }>;
    promql_expr_test?: Array<{ expr: string; eval_time: string; exp_samples?: Array<{ labels: string; value: number }> }>;
  }>;
}
const testDocs = new Map(testFiles.map((f) => [f, parse(readFileSync(join(TESTS_DIR, f), 'utf8')) as PromtoolTestFile]));

const tmp = mkdtempSync(join(tmpdir(), 'sockeye-alerts-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('alerts/sockeye.rules.yml and alerts/pipeline.rules.yml', () => {
  it.each(FILES)('alerts/%s.rules.yml is exactly what `npm run alerts` generates', (file) => {
    expect(readFileSync(rulesFile(file), 'utf8'), `alerts/${file}.rules.yml is stale: run npm run alerts`).toBe(rulesYaml({ file }));
  });

  it.each(FILES)('alerts/%s.rules.yml passes promtool check rules, with every rule counted', async (file) => {
    const r = await runTool('promtool', ['check', 'rules', rulesFile(file)]);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain(`SUCCESS: ${ruleGroups({ file }).flatMap((g) => g.rules).length} rules found`);
  });

  it('the pipeline file holds Watchdog and the Prometheus/Alertmanager alerts, and nothing of them is in sockeye.rules.yml', () => {
    const names = (file: RuleFileName) => ruleGroups({ file }).flatMap((g) => g.rules.map((r) => r.alert));
    for (const name of names('pipeline')) expect(name).toMatch(/^(Watchdog|Prometheus|Alertmanager)/);
    expect(names('pipeline')).toContain('Watchdog');
    expect(names('sockeye').filter((n) => /^(Watchdog|Prometheus|Alertmanager)/.test(n))).toEqual([]);
    expect([...names('sockeye'), ...names('pipeline')]).toEqual(rules.map((r) => r.alert));
  });

  it('passes every promtool unit test in alerts/tests', async () => {
    expect(testFiles.length).toBeGreaterThan(0);
    // One promtool per core at a time: the long-horizon cases take tens of
    // seconds each, and ten side by side on two busy cores each ran past any
    // per-file bound. The bound is per file, with room for a loaded machine.
    const results: Awaited<ReturnType<typeof runTool>>[] = [];
    let next = 0;
    const lane = async () => {
      while (next < testFiles.length) {
        const i = next++;
        results[i] = await runTool('promtool', ['test', 'rules', testFiles[i]!], { cwd: TESTS_DIR, timeoutMs: 200_000 });
      }
    };
    await Promise.all(Array.from({ length: Math.min(availableParallelism(), testFiles.length) }, lane));
    results.forEach((r, i) => {
      expect(r.code, `${testFiles[i]}:\n${r.output}`).toBe(0);
      expect(r.output, testFiles[i]).toContain('SUCCESS');
    });
    // The leak cases evaluate every rule over hours and days of series: tens of seconds on a busy machine.
  }, 600_000);

  it('promtool unit tests fail against rules with a broken threshold (they can fail)', async () => {
    // Same tests, rules with the fd warning threshold moved: FdUsageHigh cases must break.
    const broken = rulesYaml({ file: 'sockeye', config: { fdUsage: { warningRatio: 0.9 } } });
    writeFileSync(join(tmp, 'sockeye.rules.yml'), broken);
    writeFileSync(join(tmp, 'fds.test.yml'), readFileSync(join(TESTS_DIR, 'fds.test.yml'), 'utf8').replace('../sockeye.rules.yml', 'sockeye.rules.yml'));
    const r = await runTool('promtool', ['test', 'rules', 'fds.test.yml'], { cwd: tmp });
    expect(r.code).not.toBe(0);
    expect(r.output).toContain('FdUsageHigh fires a warning');
  }, 120_000);

  it('the leak cases fail against a weaker leak rule (2 windows, no floor): the warm-up and daily-cycle cases are not quiet by accident', async () => {
    const dir = join(tmp, 'weak');
    mkdirSync(dir, { recursive: true });
    const minGrowth = { fds: 1, fdsOnPath: 1, sockets: 1, peerSockets: 1, memoryBytes: 1, threads: 1 };
    writeFileSync(join(dir, 'sockeye.rules.yml'), rulesYaml({ file: 'sockeye', config: { leak: { windows: 2, minGrowth } } }));
    writeFileSync(join(dir, 'fds.test.yml'), readFileSync(join(TESTS_DIR, 'fds.test.yml'), 'utf8').replace('../sockeye.rules.yml', 'sockeye.rules.yml'));
    const r = await runTool('promtool', ['test', 'rules', 'fds.test.yml'], { cwd: dir });
    expect(r.code).not.toBe(0);
    expect(r.output).toContain('FdLeak does not fire for a warm-up that climbs for 25 minutes and plateaus');
    expect(r.output).toContain('FdLeak does not fire for a slow climb');
  }, 120_000);

  it('has a promtool test file per rule group (<group>.test.yml, and <group>.<part>.test.yml for slow parts), each loading the generated file that holds its group', () => {
    const groupOf = (testFile: string) => testFile.split('.')[0]!;
    const groups = [...GROUPS, ...RECORDING.flatMap((file) => RECORDING_FILES[file])];
    expect([...new Set(testFiles.map(groupOf))].sort()).toEqual(groups.map((g) => g.name.replace(/^sockeye\./, '')).sort());
    for (const g of groups) expect(testFiles, g.name).toContain(`${g.name.replace(/^sockeye\./, '')}.test.yml`);
    const files: Array<[string, readonly { name: string }[]]> = [...FILES.map((f): [string, readonly { name: string }[]] => [f, RULE_FILES[f]]), ...RECORDING.map((f): [string, readonly { name: string }[]] => [f, RECORDING_FILES[f]])];
    for (const [file, fileGroups] of files) {
      for (const group of fileGroups) {
        for (const t of testFiles.filter((f) => groupOf(f) === group.name.replace(/^sockeye\./, ''))) expect(testDocs.get(t)?.rule_files, t).toEqual([`../${file}.rules.yml`]);
      }
    }
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
            const linked = perTargetAlerts.has(c.alertname) ? ['snapshots'] : [];
            expect(Object.keys(a.exp_annotations ?? {}).sort(), `${file}: "${test.name}" must state every annotation`).toEqual(['description', 'runbook_url', ...linked, 'summary']);
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
      for (const test of doc.tests) if (test.alert_rule_test) expect(test.name, file).toMatch(/\b(fires?|do(es)? not fire)\b/);
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

  it('alerts about one target link to its snapshots (sockeye_external_url_info of the same job and instance); the rest do not', () => {
    expect(perTargetAlerts.size).toBeGreaterThan(10);
    for (const r of rules) {
      if (perTargetAlerts.has(r.alert)) expect(r.annotations.snapshots, r.alert).toBe(SNAPSHOTS_ANNOTATION);
      else expect(r.annotations.snapshots, r.alert).toBeUndefined();
    }
    expect(SNAPSHOTS_ANNOTATION).toContain('sockeye_external_url_info{job=%q, instance=%q}');
    // Every per-target group has a promtool case where the link is filled in.
    for (const g of GROUPS.filter((x) => x.perTarget)) {
      const file = `${g.name.replace(/^sockeye\./, '')}.test.yml`;
      const filled = testDocs.get(file)!.tests.flatMap((t) => (t.alert_rule_test ?? []).flatMap((c) => c.exp_alerts ?? [])).filter((a) => a.exp_annotations?.snapshots);
      expect(filled.length, `${file} asserts a filled snapshots link`).toBeGreaterThan(0);
    }
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

  it('keeps namespace, pod, container, job and instance in every aggregation and match, so pods, namespaces and the containers of a pod never merge', () => {
    const identity = defaultAlertsConfig.instanceLabels;
    expect(identity).toEqual(expect.arrayContaining(['namespace', 'pod', 'container', 'job', 'instance']));
    let checked = 0;
    for (const r of rules) {
      for (const m of r.expr.matchAll(/\b(by|on) \(([^)]*)\)/g)) {
        const labels = m[2]!.split(',').map((s) => s.trim());
        expect(labels, `${r.alert}: ${m[0]}`).toEqual(expect.arrayContaining(identity));
        checked++;
      }
      // `without` keeps everything but what it names: never an identity label.
      for (const m of r.expr.matchAll(/\bwithout \(([^)]*)\)/g)) {
        for (const label of m[1]!.split(',').map((s) => s.trim())) expect(identity, `${r.alert}: ${m[0]}`).not.toContain(label);
      }
    }
    expect(checked).toBeGreaterThan(5);
  });

  it('the promtool tests cover two namespaces or pods of the same name for every group on sockeye metrics', () => {
    for (const group of RULE_FILES.sockeye) {
      const doc = testDocs.get(`${group.name.replace(/^sockeye\./, '')}.test.yml`)!;
      const covered = doc.tests.some((t) =>
        (t.alert_rule_test ?? []).some((c) => {
          const namespaces = new Set((c.exp_alerts ?? []).map((a) => a.exp_labels?.namespace).filter(Boolean));
          return namespaces.size > 0 && (c.exp_alerts ?? []).every((a) => a.exp_labels?.pod);
        }),
      );
      expect(covered, `${group.name}: no firing case that keeps namespace and pod`).toBe(true);
    }
  });
});

describe('alerts/kube.rules.yml: the recording rules that name a node agent\'s containers from kube-state-metrics', () => {
  const records = RECORDING.flatMap((file) => recordingGroups(file).flatMap((g) => g.rules));

  it.each(RECORDING)('alerts/%s.rules.yml is exactly what `npm run alerts` generates, and passes promtool check rules', async (file) => {
    expect(readFileSync(rulesFile(file), 'utf8'), `alerts/${file}.rules.yml is stale: run npm run alerts`).toBe(recordingRulesYaml(file));
    const r = await runTool('promtool', ['check', 'rules', rulesFile(file)]);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain(`SUCCESS: ${recordingGroups(file).flatMap((g) => g.rules).length} rules found`);
  });

  it('records level:metric:operations names of sockeye metrics sockeye registers, each tested for its samples', () => {
    expect(records.length).toBeGreaterThan(0);
    const tested = new Set([...testDocs.values()].flatMap((d) => d.tests.flatMap((t) => (t.promql_expr_test ?? []).map((e) => e.expr.trim()))));
    for (const r of records) {
      const name = /^[a-z_]+:(sockeye_[a-z_]+):[a-z_]+$/;
      expect(r.record, 'level:sockeye_metric:operations').toMatch(name);
      const [, metric] = name.exec(r.record)!;
      expect(r.expr).toContain(metric);
      expect(tested, `${r.record} has no promql_expr_test`).toContain(r.record);
    }
  });

  it('every recording test case states its samples, and the cases fail against rules without the static-pod branch (they can fail)', async () => {
    for (const t of testDocs.get('kube.test.yml')!.tests) {
      expect(t.promql_expr_test?.length, t.name).toBeGreaterThan(0);
      for (const e of t.promql_expr_test!) expect(e.exp_samples?.length, `${t.name}: ${e.expr}`).toBeGreaterThan(0);
    }
    const dir = join(tmp, 'kube');
    mkdirSync(dir, { recursive: true });
    const rules = recordingRulesYaml('kube');
    writeFileSync(join(dir, 'kube.rules.yml'), rules.slice(0, rules.lastIndexOf('or on (job, instance, target)')));
    writeFileSync(join(dir, 'kube.test.yml'), readFileSync(join(TESTS_DIR, 'kube.test.yml'), 'utf8').replace('../kube.rules.yml', 'kube.rules.yml'));
    const r = await runTool('promtool', ['test', 'rules', 'kube.test.yml'], { cwd: dir });
    expect(r.code).not.toBe(0);
    expect(r.output).toContain('pod="etcd-node-b"');
  }, 120_000);
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

  it("the incident lab's rules (both files, at lab scale) are promtool-clean", async () => {
    const file = join(tmp, 'lab.rules.yml');
    writeFileSync(file, labRules());
    const r = await runTool('promtool', ['check', 'rules', file]);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain(`SUCCESS: ${rules.length} rules found`);
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
