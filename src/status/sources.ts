import type { AppContext } from '../context.js';
import type { StatusSources } from './gather.js';

// Maps what the collectors and the checker expose to the status report's
// facts. The only place that knows their shapes.

export function statusSources(_ctx: AppContext): StatusSources {
  return {
    targets: async () => [],
    checks: () => [],
    heartbeats: () => [],
  };
}
