import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { dashboards, render } from '../../dashboards/src/index.js';
import { KNOWN_METRICS } from '../../dashboards/known-metrics.js';
import { metricNames } from '../../dashboards/promql.js';
import {
  BUILTIN_VARIABLES,
  DASHBOARDS_DIR,
  allPanels,
  dashboardFiles,
  panelQueries,
  substituteVariables,
  type DashboardJson,
  type PanelQuery,
} from '../../dashboards/queries.js';

const run = promisify(execFile);

// Concrete values for every template variable the dashboards define.
const VALUES: Record<string, string> = {
  datasource: 'prometheus',
  job: 'sockeye',
  namespace: 'shop',
  pod: 'web-0',
  container: 'app',
  instance: '127.0.0.1:9855',
  target: 'app',
  check: 'app-http',
  heartbeat: 'nightly-backup',
  prometheus: 'prometheus',
  alertmanager: 'alertmanager',
};

const files = dashboardFiles();
const queries = panelQueries();

/** Values for just the variables this dashboard defines: a query using another dashboard's variable throws. */
function valuesFor(d: DashboardJson): Record<string, string> {
  const names = (d.templating?.list ?? []).map((v) => v.name);
  return Object.fromEntries(names.map((n) => [n, VALUES[n] ?? `no test value for ${n}`]));
}

function byTitle(title: string): DashboardJson {
  const found = files.find((f) => f.json.title === title);
  if (!found) throw new Error(`no dashboard titled ${title}`);
  return found.json;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sockeye-dashboards-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * Runs expressions through promtool as recording rules, one group per query
 * so promtool's error names the panel. Resolves to promtool's outcome.
 */
async function promtoolCheck(items: Array<{ name: string; expr: string }>, file: string): Promise<{ ok: boolean; output: string }> {
  const groups = items.map((q, i) => ({ name: q.name, rules: [{ record: `dashboard:query_${i}`, expr: q.expr }] }));
  const path = join(dir, file);
  await writeFile(path, stringify({ groups }));
  try {
    const { stdout, stderr } = await run('promtool', ['check', 'rules', path]);
    return { ok: true, output: stdout + stderr };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; code?: number };
    if (typeof e.code !== 'number') throw err; // promtool missing: a setup problem, not a pass
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

function label(q: PanelQuery): string {
  return `${q.dashboard}: ${q.panel} [${q.refId}]`;
}

describe('dashboards generator', () => {
  it('writes exactly the committed JSON (run npm run dashboards after changing dashboards/src)', async () => {
    const generated = dashboards();
    expect(generated.map((g) => g.file).sort()).toEqual(files.map((f) => f.file));
    for (const { file, dashboard } of generated) {
      const committed = await readFile(join(DASHBOARDS_DIR, file), 'utf8');
      expect(render(dashboard), `dashboards/${file} is stale`).toBe(committed);
    }
  });

  it('has the three dashboards with stable uids', () => {
    expect(files.map((f) => [f.file, f.json.uid, f.json.title])).toEqual([
      ['sockeye-checks.json', 'sockeye-checks', 'sockeye / Checks & heartbeats'],
      ['sockeye-pipeline.json', 'sockeye-pipeline', 'sockeye / Alerting pipeline'],
      ['sockeye-process.json', 'sockeye-process', 'sockeye / Process'],
    ]);
  });
});

describe.each(files.map((f) => [f.json.title, f.json] as const))('dashboard %s', (_title, d) => {
  const panels = allPanels(d);
  const variables = (d.templating?.list ?? []).map((v) => v.name);

  it('has datasource, job, namespace, pod, container and instance variables', () => {
    expect(variables.slice(0, 6)).toEqual(['datasource', 'job', 'namespace', 'pod', 'container', 'instance']);
    expect(d.templating?.list?.[0]?.type).toBe('datasource');
  });

  it('chains namespace, pod and container: each lists the values under the ones before it, with All', () => {
    const query = (name: string) => ((d.templating?.list ?? []).find((v) => v.name === name)?.query as { query: string }).query;
    expect(query('namespace')).toMatch(/\{job=~"\$job"\}, namespace\)$/);
    expect(query('pod')).toMatch(/\{job=~"\$job", namespace=~"\$namespace"\}, pod\)$/);
    expect(query('container')).toMatch(/\{job=~"\$job", namespace=~"\$namespace", pod=~"\$pod"\}, container\)$/);
    for (const name of ['namespace', 'pod', 'container']) {
      const v = (d.templating?.list ?? []).find((x) => x.name === name) as unknown as { includeAll?: boolean; allValue?: string };
      expect(v.includeAll, name).toBe(true);
      expect(v.allValue, name).toBe('.*');
    }
  });

  it("scopes every query of sockeye's series by namespace, pod and container, the container matching empty too (a sidecar's)", () => {
    let scoped = 0;
    for (const q of queries.filter((x) => x.dashboard === d.title)) {
      for (const m of q.expr.matchAll(/\b(sockeye_[a-z_]+|process_[a-z_]+|nodejs_[a-z_]+|up)\{([^}]*)\}/g)) {
        if (m[1] === 'up' && !m[2]!.includes('$job')) continue; // Prometheus' and Alertmanager's own up
        expect(m[2], `${label(q)}: ${m[0]}`).toMatch(/namespace=~"\$namespace", pod=~"\$pod", container=~"\$container\|"/);
        scoped++;
      }
    }
    expect(scoped).toBeGreaterThan(0);
  });

  it('gives every panel a title, a description and at least one query with unique refIds', () => {
    expect(panels.length).toBeGreaterThan(3);
    for (const p of panels) {
      expect(p.title, `panel ${p.id}`).toMatch(/\S/);
      expect((p as { description?: string }).description, p.title).toMatch(/\S/);
      const targets = p.targets ?? [];
      expect(targets.length, p.title).toBeGreaterThan(0);
      for (const t of targets) expect(t.expr, p.title).toMatch(/\S/);
      const refIds = targets.map((t) => t.refId);
      expect(new Set(refIds).size, p.title).toBe(refIds.length);
      expect(refIds.every((r) => r && /^[A-Z]$/.test(r)), p.title).toBe(true);
    }
  });

  it('refers to the datasource only through the $datasource variable', () => {
    const uids: string[] = [];
    JSON.stringify(d, (key, value: unknown) => {
      if (key === 'datasource' && value && typeof value === 'object') uids.push(String((value as { uid?: unknown }).uid));
      return value;
    });
    expect(uids.length).toBeGreaterThan(panels.length);
    expect(new Set(uids)).toEqual(new Set(['${datasource}']));
  });

  it('uses only variables it defines', () => {
    for (const p of panels) for (const t of p.targets ?? []) expect(() => substituteVariables(t.expr ?? '', valuesFor(d)), p.title).not.toThrow();
  });

  it('has unique panel ids and a layout inside the 24-column grid without overlaps', () => {
    const placed = (d.panels ?? []).map((p) => ({ id: p.id, ...p.gridPos! }));
    expect(new Set(placed.map((p) => p.id)).size).toBe(placed.length);
    for (const a of placed) {
      expect(a.x + a.w, `panel ${a.id}`).toBeLessThanOrEqual(24);
      for (const b of placed) {
        if (a === b) continue;
        const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
        expect(overlap, `panels ${a.id} and ${b.id} overlap`).toBe(false);
      }
    }
  });
});

describe('panel queries', () => {
  it('are exported for every panel of every dashboard', () => {
    const panelCount = files.reduce((n, f) => n + allPanels(f.json).length, 0);
    expect(new Set(queries.map((q) => `${q.dashboard}/${q.panel}`)).size).toBe(panelCount);
    for (const f of files) expect(queries.some((q) => q.dashboard === f.json.title)).toBe(true);
  });

  it('all parse and type-check with promtool after variable substitution', async () => {
    const items = queries.map((q) => ({ name: label(q), expr: substituteVariables(q.expr, VALUES) }));
    for (const i of items) expect(i.expr, i.name).not.toContain('$');
    const result = await promtoolCheck(items, 'panels.rules.yml');
    expect(result.output, result.output).toContain('SUCCESS');
    expect(result.ok, result.output).toBe(true);
  });

  it('promtool check rejects a broken query and names its panel (the check above can fail)', async () => {
    const good = queries[0]!;
    const result = await promtoolCheck(
      [
        { name: label(good), expr: substituteVariables(good.expr, VALUES) },
        { name: 'broken: unclosed paren', expr: 'sum(rate(sockeye_process_open_fds[5m])' },
        { name: 'broken: rate of an instant vector', expr: 'rate(sockeye_process_cpu_seconds_total)' },
      ],
      'broken.rules.yml',
    );
    expect(result.ok).toBe(false);
    expect(result.output).toContain('group "broken: unclosed paren"');
    expect(result.output).toContain('group "broken: rate of an instant vector"');
    expect(result.output).not.toContain(`group "${label(good)}"`);
  });

  it('use only metric names of the contract, prom-client, Prometheus or Alertmanager', () => {
    const unknown: string[] = [];
    const used = new Set<string>();
    for (const q of queries) {
      for (const name of metricNames(substituteVariables(q.expr, VALUES))) {
        used.add(name);
        if (!KNOWN_METRICS.has(name)) unknown.push(`${label(q)}: ${name}`);
      }
    }
    expect(unknown).toEqual([]);
    // The contract's headline metrics are all on some panel.
    for (const m of ['sockeye_process_fds_by_path', 'sockeye_process_sockets', 'sockeye_check_success', 'sockeye_heartbeat_deadline_timestamp_seconds', 'process_open_fds', 'nodejs_eventloop_lag_seconds', 'prometheus_rule_evaluation_failures_total', 'alertmanager_notifications_failed_total']) {
      expect(used.has(m), m).toBe(true);
    }
  });

  it('variable queries select known metrics too', () => {
    for (const { json } of files) {
      for (const v of json.templating?.list ?? []) {
        if (v.type !== 'query') continue;
        const q = (v.query as { query: string }).query;
        const m = /^label_values\((.+),\s*(\w+)\)$/.exec(q);
        expect(m, q).not.toBeNull();
        const names = metricNames(substituteVariables(m![1]!, VALUES));
        expect(names.length, q).toBe(1);
        expect(KNOWN_METRICS.has(names[0]!), q).toBe(true);
      }
    }
  });

  it('the metric name check catches a typo', () => {
    expect(metricNames('sum by (target) (sockeye_proces_open_fds{job="x"})').filter((n) => !KNOWN_METRICS.has(n))).toEqual(['sockeye_proces_open_fds']);
    expect(() => metricNames('sum(rate(x[5m])')).toThrow(/syntax error/);
  });

  it('show the incidents: CLOSE_WAIT on sockets by state, the trend on memory, the deadline on heartbeats', () => {
    const process = allPanels(byTitle('sockeye / Process'));
    const sockets = process.find((p) => p.title === 'Sockets by state');
    expect(JSON.stringify(sockets)).toMatch(/close_wait/);
    const memory = process.find((p) => p.title === 'Memory vs limit');
    expect(memory?.targets?.map((t) => t.expr).join('\n')).toMatch(/predict_linear\(sockeye_process_resident_memory_bytes/);
    expect(memory?.targets?.map((t) => t.expr).join('\n')).toMatch(/sockeye_process_memory_limit_bytes/);
    // One panel for period and cron heartbeats alike: time left before the deadline HeartbeatMissed uses.
    const heartbeats = allPanels(byTitle('sockeye / Checks & heartbeats')).find((p) => p.title === 'Time left before each heartbeat is late');
    expect(heartbeats?.targets?.map((t) => t.expr).join('\n')).toMatch(/^sockeye_heartbeat_deadline_timestamp_seconds\{[^}]*\} - time\(\)$/);
    expect(variablesOf(byTitle('sockeye / Process'))).toContain('target');
  });
});

function variablesOf(d: DashboardJson): string[] {
  return (d.templating?.list ?? []).map((v) => v.name);
}

describe('substituteVariables', () => {
  it('expands $x, ${x}, ${x:format} and [[x]], and Grafana interval built-ins', () => {
    expect(substituteVariables('a{job=~"$job", i=~"${instance}", t=~"${target:regex}", c=~"[[check]]"}[$__rate_interval]', VALUES)).toBe(
      `a{job=~"sockeye", i=~"127.0.0.1:9855", t=~"app", c=~"app-http"}[${BUILTIN_VARIABLES.__rate_interval}]`,
    );
    expect(substituteVariables('x[$__range] offset $__interval', { __range: '5m' })).toBe(`x[5m] offset ${BUILTIN_VARIABLES.__interval}`);
  });

  it('does not stop a name early: $jobs is not $job followed by "s"', () => {
    expect(() => substituteVariables('x{a="$jobs"}', { job: 'j' })).toThrow(/\$jobs/);
  });

  it('throws on a variable without a value', () => {
    expect(() => substituteVariables('up{job=~"$nope"}', VALUES)).toThrow(/\$nope/);
  });
});
