import { Gauge, type Registry } from 'prom-client';

/**
 * sockeye_external_url_info{url} 1 while externalUrl is configured (read at
 * each scrape, so a reload changes it). The generated alert rules look it up
 * by the alert's job and instance to link to the target's snapshots:
 * Prometheus cannot read sockeye's config, but it can read this series.
 */
export function registerExternalUrlInfo(registry: Registry, externalUrl: () => string | undefined): void {
  new Gauge({
    name: 'sockeye_external_url_info',
    help: 'A metric with a constant value of 1, labelled by the URL people reach this sockeye at (config externalUrl); absent when none is configured. Alert annotations link to snapshots there.',
    labelNames: ['url'],
    registers: [registry],
    collect() {
      this.reset();
      const url = externalUrl();
      if (url !== undefined) this.set({ url }, 1);
    },
  });
}
