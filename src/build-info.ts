import { readFileSync } from 'node:fs';
import { Gauge, type Registry } from 'prom-client';
import { VERSION } from './version.js';

// The commit this build came from: `npm run build` writes it next to the
// compiled code (scripts/build.mjs); run from source it is "unknown".
function readRevision(): string {
  try {
    return readFileSync(new URL('./REVISION', import.meta.url), 'utf8').trim() || 'unknown';
  } catch {
    return 'unknown';
  }
}

export const BUILD_INFO = { version: VERSION, revision: readRevision(), nodejs: process.version } as const;

/** sockeye_build_info{version,revision,nodejs} 1, as every Prometheus exporter has. */
export function registerBuildInfo(registry: Registry): void {
  const gauge = new Gauge({
    name: 'sockeye_build_info',
    help: 'A metric with a constant value of 1, labelled by the version and revision sockeye was built from and the Node.js version it runs on.',
    labelNames: ['version', 'revision', 'nodejs'],
    registers: [registry],
  });
  gauge.set(BUILD_INFO, 1);
}
