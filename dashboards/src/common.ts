import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as statetimeline from '@grafana/grafana-foundation-sdk/statetimeline';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';

// Shared pieces of the three dashboards: the datasource variable every query
// goes through, the template variables, and a panel helper that numbers
// queries so the committed JSON is stable.

/** Every panel and query points at the datasource variable, never a fixed uid. */
export const DATASOURCE: dashboard.DataSourceRef = { type: 'prometheus', uid: '${datasource}' };

export const TAGS = ['sockeye'];

/**
 * The labels that tell one watched pod from another (the alerts'
 * instanceLabels): every aggregation keeps them, so with instance "All" two
 * namespaces' targets of the same name, or two containers of one pod under a
 * node agent, stay two lines.
 */
export const WHERE = 'namespace, pod, container, job, instance';

/**
 * The variables every panel query is scoped by, in chain order: a node
 * agent's container series carry their own namespace, pod and container, a
 * sidecar's the ones of its scrape (Prometheus Operator) or none.
 */
export const SCOPE = ['job', 'namespace', 'pod', 'container', 'instance'];

/**
 * Labels a series may lack while its neighbours have them: a sidecar's series
 * have no container (a plain scrape config), a node agent's own (scrapes,
 * checks) neither. Their matcher also accepts the empty value, so picking
 * containers never hides them.
 */
const MAY_BE_EMPTY = new Set(['container']);

export function datasourceVariable(): dashboard.DatasourceVariableBuilder {
  return new dashboard.DatasourceVariableBuilder('datasource').label('Data source').type('prometheus');
}

/**
 * A label_values() variable. Multi-select with "All" = ".*", so queries
 * always match it with =~ (Grafana renders several values as a regex).
 */
export function labelVariable(name: string, label: string, query: string): dashboard.QueryVariableBuilder {
  return new dashboard.QueryVariableBuilder(name)
    .label(label)
    .datasource(DATASOURCE)
    .query({ query, refId: `${name}-variable` })
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue('.*')
    .current({ text: 'All', value: '$__all' });
}

const SCOPE_LABELS: Record<string, string> = { job: 'Job', namespace: 'Namespace', pod: 'Pod', container: 'Container', instance: 'Instance' };

/** The SCOPE variables and (optionally) more, each chained on the ones before it, on one metric. */
export function scopeVariables(metric: string, extra: Array<[name: string, label: string]> = []): dashboard.QueryVariableBuilder[] {
  const chain: Array<[string, string]> = [...SCOPE.map((n): [string, string] => [n, SCOPE_LABELS[n]!]), ...extra];
  return chain.map(([name, label], i) => {
    const scope = matchers(chain.slice(0, i).map(([n]) => n));
    return labelVariable(name, label, `label_values(${metric}${scope ? `{${scope}}` : ''}, ${name})`);
  });
}

/** `job=~"$job", container=~"$container|", …` for the given variables. */
export function matchers(names: string[], extra: string[] = []): string {
  return [...names.map((n) => (MAY_BE_EMPTY.has(n) ? `${n}=~"$${n}|"` : `${n}=~"$${n}"`)), ...extra].join(', ');
}

export interface Query {
  expr: string;
  legend?: string;
  /** Instant query: current value only (bar gauges, tables, stats of "now"). */
  instant?: boolean;
}

type AnyPanel = cog.Builder<dashboard.Panel> & {
  datasource(ds: dashboard.DataSourceRef): unknown;
  withTarget(t: cog.Builder<cog.Dataquery>): unknown;
  title(t: string): unknown;
  description(d: string): unknown;
  height(h: number): unknown;
  span(w: number): unknown;
};

export interface PanelSpec<P extends AnyPanel> {
  title: string;
  description: string;
  queries: Query[];
  /** Grid width out of 24. */
  width?: number;
  height?: number;
  configure?: (panel: P) => void;
}

/** Title, description, datasource and queries (refIds A, B, …) on a panel builder. */
export function panel<P extends AnyPanel>(builder: P, spec: PanelSpec<P>): P {
  builder.title(spec.title);
  builder.description(spec.description);
  builder.datasource(DATASOURCE);
  builder.height(spec.height ?? 8);
  builder.span(spec.width ?? 12);
  spec.queries.forEach((q, i) => {
    const target = new prometheus.DataqueryBuilder()
      .datasource(DATASOURCE)
      .refId(String.fromCharCode(65 + i))
      .expr(q.expr)
      .legendFormat(q.legend ?? '__auto');
    if (q.instant) target.instant();
    else target.range();
    builder.withTarget(target);
  });
  spec.configure?.(builder);
  return builder;
}

export function thresholds(steps: Array<[value: number | null, color: string]>): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder()
    .mode(dashboard.ThresholdsMode.Absolute)
    .steps(steps.map(([value, color]) => ({ value, color })));
}

export function legendTable(): common.VizLegendOptionsBuilder {
  return new common.VizLegendOptionsBuilder()
    .showLegend(true)
    .displayMode(common.LegendDisplayMode.Table)
    .placement(common.LegendPlacement.Bottom)
    .calcs(['lastNotNull', 'max']);
}

export function stacked(): common.StackingConfigBuilder {
  return new common.StackingConfigBuilder().mode(common.StackingMode.Normal);
}

/** Series matching the regex drawn in a fixed colour (limits, thresholds, alarm states). */
export function colourSeries(regexp: string, colour: string, dashed = false): { matcher: dashboard.MatcherConfig; properties: dashboard.DynamicConfigValue[] } {
  const properties: dashboard.DynamicConfigValue[] = [{ id: 'color', value: { mode: 'fixed', fixedColor: colour } }];
  if (dashed) {
    properties.push({ id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } });
    properties.push({ id: 'custom.fillOpacity', value: 0 });
  }
  return { matcher: { id: 'byRegexp', options: regexp }, properties };
}

/** 1 → ok text in green, 0 → bad text in red. */
export function booleanMapping(ok: string, bad: string): dashboard.ValueMapping[] {
  return [
    {
      type: dashboard.MappingType.ValueToText,
      options: { '1': { text: ok, color: 'green', index: 0 }, '0': { text: bad, color: 'red', index: 1 } },
    },
  ];
}

/** A dashboard with the settings all three share; panels and variables are added by the caller. */
export function sockeyeDashboard(title: string, uid: string, description: string): dashboard.DashboardBuilder {
  return new dashboard.DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(TAGS)
    .editable()
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .time({ from: 'now-6h', to: 'now' })
    .refresh('30s')
    .link(sockeyeLinks());
}

/** The dashed red line of a limit, for series whose legend ends with the suffix. */
export function limitSeries(suffix: string): ReturnType<typeof colourSeries> {
  return colourSeries(`.* ${suffix}$`, 'red', true);
}

/** Cross-links between the sockeye dashboards, keeping the time range and variables. */
export function sockeyeLinks(): dashboard.DashboardLinkBuilder {
  return new dashboard.DashboardLinkBuilder('sockeye dashboards')
    .type(dashboard.DashboardLinkType.Dashboards)
    .tags(TAGS)
    .asDropdown(true)
    .keepTime(true)
    .includeVars(true);
}

// Panel kinds with the defaults all three dashboards share.

export function timeSeries(spec: PanelSpec<timeseries.PanelBuilder>): timeseries.PanelBuilder {
  return panel(new timeseries.PanelBuilder().legend(legendTable()).fillOpacity(10).lineWidth(1), spec);
}

/** Current values as bars, largest first: the "lsof | sort | uniq -c" view. */
export function topList(spec: PanelSpec<bargauge.PanelBuilder>): bargauge.PanelBuilder {
  const builder = new bargauge.PanelBuilder()
    .displayMode(common.BarGaugeDisplayMode.Gradient)
    .orientation(common.VizOrientation.Horizontal)
    .showUnfilled(true)
    .reduceOptions(new common.ReduceDataOptionsBuilder().values(false).calcs(['lastNotNull']));
  return panel(builder, { ...spec, queries: spec.queries.map((q) => ({ instant: true, ...q })) });
}

export function statValue(spec: PanelSpec<stat.PanelBuilder>): stat.PanelBuilder {
  const builder = new stat.PanelBuilder()
    .colorMode(common.BigValueColorMode.Background)
    .graphMode(common.BigValueGraphMode.Area)
    .reduceOptions(new common.ReduceDataOptionsBuilder().values(false).calcs(['lastNotNull']));
  return panel(builder, { width: 6, height: 5, ...spec });
}

/** One row per series, coloured by value mappings: pass/fail, up/down over time. */
export function stateTimeline(spec: PanelSpec<statetimeline.PanelBuilder>): statetimeline.PanelBuilder {
  const builder = new statetimeline.PanelBuilder()
    .showValue(common.VisibilityMode.Never)
    .mergeValues(true)
    .fillOpacity(80);
  return panel(builder, spec);
}
