import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { checksDashboard } from './checks.js';
import { pipelineDashboard } from './pipeline.js';
import { processDashboard } from './process.js';

export interface DashboardFile {
  /** File name under dashboards/, committed and provisioned as is. */
  file: string;
  dashboard: dashboard.Dashboard;
}

export function dashboards(): DashboardFile[] {
  return [
    { file: 'sockeye-process.json', dashboard: processDashboard() },
    { file: 'sockeye-checks.json', dashboard: checksDashboard() },
    { file: 'sockeye-pipeline.json', dashboard: pipelineDashboard() },
  ];
}

/**
 * The committed JSON text. Panel ids are numbered here, in layout order:
 * stable ids keep panel links (?viewPanel=N) working across regenerations.
 */
export function render(d: dashboard.Dashboard): string {
  const panels = (d.panels ?? []).map((p, i) => ({ ...p, id: i + 1 }));
  return `${JSON.stringify({ ...d, id: null, panels }, null, 2)}\n`;
}
