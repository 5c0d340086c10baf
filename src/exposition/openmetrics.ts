// OpenMetrics 1.0 text from prom-client's JSON view of a registry.
// prom-client's own OpenMetrics mode is not used: registry.metrics() under
// that content type renames counters in place (drops `_total` for good, so a
// later text scrape loses it) and reads the content type after awaits, so
// concurrent scrapes of both formats race. The registry stays in text mode;
// this serializer only reads.

/** The shape of one entry of registry.getMetricsAsJSON(). */
export interface MetricFamilyJSON {
  name: string;
  help: string;
  /** A string at run time ("counter"), though prom-client's typings declare a numeric enum. */
  type: unknown;
  values: ReadonlyArray<{ value: number; labels: Record<string, string | number | undefined>; metricName?: string }>;
}

const TYPES: Record<string, string> = {
  counter: 'counter',
  gauge: 'gauge',
  histogram: 'histogram',
  summary: 'summary',
};

// A family whose name ends in a base unit declares it (OpenMetrics requires
// the name to end with the unit when UNIT is given).
const UNITS = ['seconds', 'bytes', 'ratio'];

/** Label values: backslash, double quote and newline escaped. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text: the same three escapes as label values in OpenMetrics. */
export function escapeHelp(text: string): string {
  return escapeLabelValue(text);
}

export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function formatLabels(labels: Record<string, string | number | undefined>): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(labels)) {
    if (value === undefined) continue;
    parts.push(`${name}="${escapeLabelValue(typeof value === 'number' ? formatValue(value) : value)}"`);
  }
  return parts.length ? `{${parts.join(',')}}` : '';
}

/** Serializes families (registry.getMetricsAsJSON()) as OpenMetrics text, ending in `# EOF`. */
export function serializeOpenMetrics(families: readonly MetricFamilyJSON[]): string {
  const lines: string[] = [];
  for (const family of families) {
    const type = TYPES[String(family.type)] ?? 'unknown';
    // A counter family is named without _total; its samples carry it.
    const familyName = type === 'counter' ? family.name.replace(/_total$/, '') : family.name;
    lines.push(`# TYPE ${familyName} ${type}`);
    const unit = UNITS.find((u) => familyName.endsWith(`_${u}`));
    if (unit) lines.push(`# UNIT ${familyName} ${unit}`);
    lines.push(`# HELP ${familyName} ${escapeHelp(family.help)}`);
    for (const sample of family.values) {
      const name = type === 'counter' ? `${familyName}_total` : (sample.metricName ?? family.name);
      lines.push(`${name}${formatLabels(sample.labels)} ${formatValue(sample.value)}`);
    }
  }
  lines.push('# EOF');
  return `${lines.join('\n')}\n`;
}
