// The panel queries of the committed dashboard JSON, for tests: the unit
// tests parse them with promtool, the end-to-end harness runs them against a
// real Prometheus. Read from the JSON files, not the generator, so what is
// tested is what Grafana loads.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const DASHBOARDS_DIR = fileURLToPath(new URL('.', import.meta.url));

export interface PanelQuery {
  /** Dashboard title, e.g. "sockeye / Process". */
  dashboard: string;
  /** Panel title. */
  panel: string;
  refId: string;
  expr: string;
  /** True when the panel asks for the current value only. */
  instant: boolean;
}

/** The parts of Grafana's dashboard JSON these helpers read. */
export interface DashboardJson {
  uid: string;
  title: string;
  panels?: PanelJson[];
  templating?: { list?: Array<{ name: string; type: string; query?: unknown; datasource?: { uid?: string } }> };
}

export interface PanelJson {
  id?: number;
  type: string;
  title?: string;
  gridPos?: { x: number; y: number; w: number; h: number };
  datasource?: { type?: string; uid?: string };
  targets?: Array<{ refId?: string; expr?: string; instant?: boolean; datasource?: { type?: string; uid?: string } }>;
  /** Panels of a collapsed row. */
  panels?: PanelJson[];
}

/** Every dashboards/*.json, parsed, by file name. */
export function dashboardFiles(dir = DASHBOARDS_DIR): Array<{ file: string; json: DashboardJson }> {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, json: JSON.parse(readFileSync(`${dir}/${file}`, 'utf8')) as DashboardJson }));
}

/** Panels in layout order, rows' own panels included, rows themselves not. */
export function allPanels(d: DashboardJson): PanelJson[] {
  return (d.panels ?? []).flatMap((p) => (p.type === 'row' ? (p.panels ?? []) : [p]));
}

export function panelQueries(dir = DASHBOARDS_DIR): PanelQuery[] {
  return dashboardFiles(dir).flatMap(({ json }) =>
    allPanels(json).flatMap((p) =>
      (p.targets ?? []).map((t) => ({
        dashboard: json.title,
        panel: p.title ?? '',
        refId: t.refId ?? '',
        expr: t.expr ?? '',
        instant: t.instant === true,
      })),
    ),
  );
}

/** What Grafana's built-in interval variables become when a test has no dashboard time range. */
export const BUILTIN_VARIABLES: Readonly<Record<string, string>> = {
  __rate_interval: '1m',
  __interval: '15s',
  __interval_ms: '15000',
  __range: '1h',
  __range_s: '3600',
  __range_ms: '3600000',
};

// ${name}, ${name:format}, [[name]] and $name: the forms Grafana expands.
const VARIABLE = /\$\{(\w+)(?::[^}]*)?\}|\[\[(\w+)(?::[^\]]*)?\]\]|\$(\w+)/g;

/**
 * Replaces Grafana variables with concrete values (given ones first, then
 * BUILTIN_VARIABLES). Throws on a variable with no value, so a typo in a
 * dashboard surfaces here rather than as an empty panel.
 */
export function substituteVariables(expr: string, values: Readonly<Record<string, string>>): string {
  return expr.replace(VARIABLE, (whole, braced?: string, bracketed?: string, bare?: string) => {
    const name = braced ?? bracketed ?? bare ?? '';
    const value = Object.hasOwn(values, name) ? values[name] : BUILTIN_VARIABLES[name];
    if (value === undefined) throw new Error(`no value for Grafana variable ${whole} in: ${expr}`);
    return value;
  });
}
