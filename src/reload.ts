import { Gauge } from 'prom-client';
import { ConfigError } from './config/errors.js';
import type { Config } from './config/schema.js';
import type { AppContext } from './context.js';
import { describeTargets } from './startup-log.js';

/**
 * Keys a running sockeye cannot take on: its mode (what a target is), its socket, the proc tree its
 * collection mode was chosen for, and the directory its heartbeat state
 * lives in. A reload that changes one is refused as a whole (the old config
 * keeps running), so nothing is half-applied and the failure shows in
 * sockeye_config_last_reload_successful.
 */
export const RESTART_ONLY_KEYS = ['mode', 'listen', 'procRoot', 'stateDir'] as const;

export interface ReloadOutcome {
  ok: boolean;
  /** One line for a person (the HTTP answer): what changed, or why nothing did. */
  message: string;
}

export interface Reloader {
  /** Reads, validates and applies the config file; reloads run one at a time. */
  reload(): Promise<ReloadOutcome>;
}

interface Named {
  name: string;
}

/** Names added, removed and changed between two lists of named items. */
function diff<T extends Named>(before: readonly T[], after: readonly T[]): { added: string[]; removed: string[]; changed: string[] } {
  const old = new Map(before.map((x) => [x.name, JSON.stringify(x)]));
  const now = new Set(after.map((x) => x.name));
  return {
    added: after.filter((x) => !old.has(x.name)).map((x) => x.name),
    removed: before.filter((x) => !now.has(x.name)).map((x) => x.name),
    changed: after.filter((x) => old.has(x.name) && old.get(x.name) !== JSON.stringify(x)).map((x) => x.name),
  };
}

function describeChanges(what: string, d: ReturnType<typeof diff>): string | undefined {
  const parts = [d.added.length && `+${d.added.join(', +')}`, d.removed.length && `-${d.removed.join(', -')}`, d.changed.length && `~${d.changed.join(', ~')}`].filter(Boolean);
  return parts.length ? `${what} ${parts.join(' ')}` : undefined;
}

const GROUPED = { name: '(every process, grouped by command name)' };

/**
 * Config reload (SIGHUP, POST /-/reload). `load` reads and validates the
 * file the server started with (undefined: started without one, nothing to
 * reload). The new config is checked whole before any of it is applied; an
 * invalid one is logged with every problem, as check-config prints them, and
 * the old one keeps running.
 */
export function createReloader(ctx: AppContext, load: (() => Promise<Config>) | undefined): Reloader {
  const registers = [ctx.registry];
  const successful = new Gauge({ name: 'sockeye_config_last_reload_successful', help: 'Whether the last configuration reload attempt was successful (1; also before any reload) or was refused (0).', registers });
  const lastSuccess = new Gauge({ name: 'sockeye_config_last_reload_success_timestamp_seconds', help: 'Unix time of the last successful configuration reload (the start, before any).', registers });
  successful.set(1);
  lastSuccess.set(ctx.startedAt / 1000);
  const { log } = ctx;

  const refuse = (message: string, fields: Record<string, unknown>): ReloadOutcome => {
    successful.set(0);
    log.error(fields, `config reload failed; still running on the previous config: ${message}`);
    return { ok: false, message };
  };

  async function reloadOnce(): Promise<ReloadOutcome> {
    if (!load) {
      successful.set(1);
      lastSuccess.set(Date.now() / 1000);
      log.info('config reload: started without a config file, nothing to reload');
      return { ok: true, message: 'started without a config file: nothing to reload' };
    }
    let next: Config;
    try {
      next = await load();
    } catch (err) {
      if (err instanceof ConfigError) return refuse(err.message, { source: err.source, problems: err.problems });
      return refuse((err as Error).message, { err });
    }
    const before = ctx.config;
    const fixed = RESTART_ONLY_KEYS.filter((k) => next[k] !== before[k]);
    if (fixed.length > 0) {
      const lines = fixed.map((k) => `${k}: cannot change on reload (running with ${JSON.stringify(before[k])}, the file now says ${JSON.stringify(next[k])}); restart sockeye to apply it`);
      return refuse(new ConfigError(lines, 'config', 'needs a restart').message, { problems: lines });
    }
    try {
      // Heartbeats first: the one part that touches the disk, so the part that can fail.
      await ctx.heartbeats.reconfigure(next.heartbeats, next.pingKey);
      await ctx.checker.reconfigure(next.checks);
      ctx.collection.reconfigure(next);
    } catch (err) {
      return refuse(`applying the new config failed partway: ${(err as Error).message}`, { err });
    }
    ctx.config = next;
    log.level = next.logLevel;
    successful.set(1);
    lastSuccess.set(Date.now() / 1000);
    const changes = [
      describeChanges('targets', diff(before.targets ?? [GROUPED], next.targets ?? [GROUPED])),
      describeChanges('checks', diff(before.checks, next.checks)),
      describeChanges('heartbeats', diff(before.heartbeats, next.heartbeats)),
    ].filter((c): c is string => c !== undefined);
    const counts = `${next.mode === 'node' ? describeTargets(next) : next.targets ? `${next.targets.length} target(s)` : 'every process, grouped by command name'}, ${next.checks.length} check(s), ${next.heartbeats.length} heartbeat(s)`;
    const message = `config reloaded: ${counts}${changes.length ? `; ${changes.join('; ')}` : '; nothing changed'}`;
    log.info({ targets: next.targets?.length ?? null, checks: next.checks.length, heartbeats: next.heartbeats.length }, message);
    return { ok: true, message };
  }

  let chain: Promise<unknown> = Promise.resolve();
  return {
    reload() {
      const r = chain.then(reloadOnce);
      chain = r.catch(() => undefined);
      return r;
    },
  };
}
