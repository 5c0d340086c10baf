import type { FastifyBaseLogger } from 'fastify';
import type { Registry } from 'prom-client';
import { formatDuration } from '../config/duration.js';
import type { CheckConfig } from '../config/checks.js';
import type { Config } from '../config/schema.js';
import { CheckRunner, type CheckStatus } from './runner.js';
import { Scheduler } from './scheduler.js';

export type { CheckStatus, RunRecord } from './runner.js';

/** A scheduler heartbeat older than this makes /healthz fail (it ticks every second). */
export const SCHEDULER_STALE_MS = 10_000;
// Slack on top of a check's own bound, for a busy event loop.
const CHECK_STALE_SLACK_MS = 5_000;

export interface HealthReport {
  ok: boolean;
  problems: string[];
}

export interface CheckerStatus {
  scheduler: { running: boolean; lastTickAt: number | null; staleAfterSeconds: number };
  checks: CheckStatus[];
}

export interface Checker {
  start(): void;
  stop(): Promise<void>;
  /** Deep health: scheduler heartbeat and every check's last run fresh enough. */
  health(nowMs: number): HealthReport;
  /** For the status page and /api/status; holds no credentials. */
  status(): CheckerStatus;
  /** Takes a new list of checks (config reload): kept checks keep their state and their place in the schedule. */
  reconfigure(checks: readonly CheckConfig[]): Promise<void>;
  /** Test hook (SOCKEYE_ENABLE_TEST_HOOKS=1 only): stop ticks and check starts for ms. */
  stall(ms: number): void;
  readonly running: boolean;
}

/** How old a check's last run may be: two intervals plus its timeout, plus slack. */
export function checkStaleBoundMs(intervalMs: number, timeoutMs: number): number {
  return 2 * intervalMs + timeoutMs + CHECK_STALE_SLACK_MS;
}

export function createChecker(config: Config, registry: Registry, log: FastifyBaseLogger): Checker {
  let checks: readonly CheckConfig[] = config.checks;
  const runner = new CheckRunner(checks, registry, log);
  const scheduler = new Scheduler(checks, runner, registry, log);
  return {
    async reconfigure(next) {
      checks = next;
      runner.reconfigure(next);
      await scheduler.reconfigure(next);
    },
    start: () => scheduler.start(),
    stop: () => scheduler.stop(),
    stall: (ms) => scheduler.stall(ms),
    get running() {
      return scheduler.running;
    },
    status: () => ({
      scheduler: { running: scheduler.running, lastTickAt: scheduler.lastTickAt ?? null, staleAfterSeconds: SCHEDULER_STALE_MS / 1000 },
      checks: runner.status(),
    }),
    health(now) {
      const problems: string[] = [];
      if (!scheduler.running || scheduler.startedAt === undefined) {
        problems.push('scheduler is not running');
        return { ok: false, problems };
      }
      const tickAge = now - (scheduler.lastTickAt ?? scheduler.startedAt);
      if (tickAge > SCHEDULER_STALE_MS) {
        problems.push(`scheduler heartbeat is ${(tickAge / 1000).toFixed(1)}s old (bound ${formatDuration(SCHEDULER_STALE_MS)})`);
      }
      for (const check of checks) {
        const bound = checkStaleBoundMs(check.intervalMs, check.timeoutMs);
        const last = runner.lastRunAt(check.name);
        const age = now - (last ?? scheduler.startedAt);
        if (age > bound) {
          problems.push(`check ${check.name}: ${last === undefined ? 'has not run since start' : 'last run'} ${(age / 1000).toFixed(1)}s ago (bound ${formatDuration(bound)})`);
        }
      }
      return { ok: problems.length === 0, problems };
    },
  };
}
