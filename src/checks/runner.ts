import type { FastifyBaseLogger } from 'fastify';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { CheckConfig } from '../config/checks.js';
import { formatDuration } from '../config/duration.js';
import { classifyError } from './classify.js';
import { describeTarget } from './redact.js';
import { HTTP_PHASES, REASONS_BY_TYPE, ProbeFailure, type FailureReason, type HttpPhases, type ProbeContext } from './types.js';

const STOPPED = new Error('checker stopped');

/** Runs kept per check for the status page's sparkline. */
export const HISTORY_SIZE = 30;

export interface RunRecord {
  /** Unix ms when the run finished. */
  at: number;
  success: boolean;
  durationSeconds: number;
}

export interface RunResult extends RunRecord {
  reason?: FailureReason;
  message?: string;
}

/** What the status page shows per check; never holds a credential. */
export interface CheckStatus {
  name: string;
  type: CheckConfig['type'];
  target: string;
  lastResult: 'success' | 'failure' | null;
  reason: FailureReason | null;
  message: string | null;
  lastRunAt: number | null;
  lastSuccessAt: number | null;
  lastDurationSeconds: number | null;
  intervalSeconds: number;
  timeoutSeconds: number;
  certExpiresAt: number | null;
  /** http: seconds per phase of the last run. */
  phases: HttpPhases | null;
  /** dns: answer records in the last response. */
  answerRecords: number | null;
  running: boolean;
  history: RunRecord[];
}

interface Probers {
  http: typeof import('./http.js').probeHttp;
  tcp: typeof import('./tcp.js').probeTcp;
  tls: typeof import('./tls.js').probeTls;
  dns: typeof import('./dns.js').probeDns;
  grpc: typeof import('./grpc.js').probeGrpc;
}

/**
 * Each check type's prober is loaded once a check of that type is
 * configured: a sidecar without checks never holds their code (0.9 MiB of
 * RSS with dns-packet), one with http checks only never holds the
 * DNS client. The gRPC library comes with its prober.
 */
const LOADERS: { [T in keyof Probers]: () => Promise<Probers[T]> } = {
  http: async () => (await import('./http.js')).probeHttp,
  tcp: async () => (await import('./tcp.js')).probeTcp,
  tls: async () => (await import('./tls.js')).probeTls,
  dns: async () => (await import('./dns.js')).probeDns,
  grpc: async () => {
    const { loadGrpc, probeGrpc } = await import('./grpc.js');
    await loadGrpc();
    return probeGrpc;
  },
};
const loading = new Map<keyof Probers, Promise<Probers[keyof Probers]>>();

function proberOf<T extends keyof Probers>(type: T): Promise<Probers[T]> {
  let p = loading.get(type);
  if (!p) loading.set(type, (p = LOADERS[type]()));
  return p as Promise<Probers[T]>;
}

async function probe(check: CheckConfig, ctx: ProbeContext): Promise<void> {
  if (check.http) return (await proberOf('http'))(check.http, ctx);
  if (check.tcp) return (await proberOf('tcp'))(check.tcp, ctx);
  if (check.tls) return (await proberOf('tls'))(check.tls, ctx);
  if (check.dns) return (await proberOf('dns'))(check.dns, ctx);
  if (check.grpc) return (await proberOf('grpc'))(check.grpc, ctx);
  throw new Error('check without a prober');
}

interface Entry {
  check: CheckConfig;
  target: string;
  last: RunResult | undefined;
  lastSuccessAt: number | undefined;
  certExpiresAt: number | undefined;
  phases: HttpPhases | undefined;
  answerRecords: number | undefined;
  running: boolean;
  history: RunRecord[];
}

/**
 * The generic wrapper around the probers: it alone owns timeout, success,
 * duration and failure classification, and every check metric.
 */
export class CheckRunner {
  private readonly entries = new Map<string, Entry>();
  private readonly success: Gauge;
  private readonly duration: Gauge;
  private readonly runs: Counter;
  private readonly failures: Counter;
  private readonly lastRun: Gauge;
  private readonly lastSuccess: Gauge;
  private readonly interval: Gauge;
  private readonly certExpiry: Gauge;
  private readonly httpPhase: Gauge;
  private readonly dnsAnswers: Gauge;
  readonly overruns: Counter;

  constructor(
    checks: readonly CheckConfig[],
    registry: Registry,
    private readonly log: FastifyBaseLogger,
  ) {
    const registers = [registry];
    this.success = new Gauge({ name: 'sockeye_check_success', help: 'Whether the last run of the check passed (1) or failed (0).', labelNames: ['check', 'type'], registers });
    this.duration = new Gauge({ name: 'sockeye_check_duration_seconds', help: 'Duration of the last run of the check in seconds.', labelNames: ['check', 'type'], registers });
    this.runs = new Counter({ name: 'sockeye_check_runs_total', help: 'Runs of the check by result (success or failure).', labelNames: ['check', 'result'], registers });
    this.failures = new Counter({ name: 'sockeye_check_failures_total', help: 'Failed runs of the check by bounded reason.', labelNames: ['check', 'reason'], registers });
    this.lastRun = new Gauge({ name: 'sockeye_check_last_run_timestamp_seconds', help: 'Unix time when the check last finished a run.', labelNames: ['check'], registers });
    this.lastSuccess = new Gauge({ name: 'sockeye_check_last_success_timestamp_seconds', help: 'Unix time when the check last passed.', labelNames: ['check'], registers });
    this.interval = new Gauge({ name: 'sockeye_check_interval_seconds', help: 'Configured interval of the check in seconds (shortest gap for a cron schedule).', labelNames: ['check'], registers });
    this.certExpiry = new Gauge({ name: 'sockeye_check_tls_cert_expiry_timestamp_seconds', help: 'Unix time when the earliest certificate the check last saw expires.', labelNames: ['check'], registers });
    this.httpPhase = new Gauge({
      name: 'sockeye_check_http_duration_seconds',
      help: "Seconds the last run of an http check spent in each phase: resolve, connect, tls, processing, transfer (blackbox_exporter's probe_http_duration_seconds).",
      labelNames: ['check', 'phase'],
      registers,
    });
    this.dnsAnswers = new Gauge({ name: 'sockeye_check_dns_answer_records', help: 'Records in the answer section of the last response to a dns check.', labelNames: ['check'], registers });
    this.overruns = new Counter({ name: 'sockeye_check_overruns_total', help: 'Times a check was due while its previous run was still going; the new run was skipped, not stacked.', labelNames: ['check'], registers });
    for (const check of checks) this.add(check);
    this.loadProbersFor(checks);
  }

  // Loaded now, not in the first run's time (a run that cannot load its prober fails with why).
  private loadProbersFor(checks: readonly CheckConfig[]): void {
    for (const type of new Set(checks.map((c) => c.type))) void proberOf(type).catch((err: unknown) => this.log.error({ err }, `cannot load the ${type} prober`));
  }

  private add(check: CheckConfig): void {
    this.entries.set(check.name, {
      check,
      target: describeTarget(check),
      last: undefined,
      lastSuccessAt: undefined,
      certExpiresAt: undefined,
      phases: undefined,
      answerRecords: undefined,
      running: false,
      history: [],
    });
    // Zeroed series so rate() and increase() work from the first failure on.
    for (const result of ['success', 'failure']) this.runs.inc({ check: check.name, result }, 0);
    for (const reason of REASONS_BY_TYPE[check.type]) this.failures.inc({ check: check.name, reason }, 0);
    this.overruns.inc({ check: check.name }, 0);
    this.interval.set({ check: check.name }, check.intervalMs / 1000);
  }

  /**
   * Takes a new list of checks (config reload). A kept check keeps its
   * counters, last result and history; a removed one's run in flight is
   * aborted and every series of it removed; an added one starts zeroed.
   */
  reconfigure(checks: readonly CheckConfig[]): void {
    const wanted = new Map(checks.map((c) => [c.name, c]));
    // A check whose kind changed is another check under the same name: it starts afresh.
    for (const [name, e] of this.entries) if (wanted.get(name)?.type !== e.check.type) this.remove(name, e);
    for (const check of checks) {
      const e = this.entries.get(check.name);
      if (!e) {
        this.add(check);
        continue;
      }
      e.check = check;
      e.target = describeTarget(check);
      this.interval.set({ check: check.name }, check.intervalMs / 1000);
    }
    this.loadProbersFor(checks);
  }

  private remove(name: string, e: Entry): void {
    this.entries.delete(name);
    for (const [c, check] of this.inFlight) if (check === name) c.abort(STOPPED);
    for (const g of [this.success, this.duration]) g.remove({ check: name, type: e.check.type });
    for (const result of ['success', 'failure']) this.runs.remove({ check: name, result });
    for (const reason of REASONS_BY_TYPE[e.check.type]) this.failures.remove({ check: name, reason });
    for (const phase of HTTP_PHASES) this.httpPhase.remove({ check: name, phase });
    for (const m of [this.lastRun, this.lastSuccess, this.interval, this.certExpiry, this.dnsAnswers, this.overruns]) m.remove({ check: name });
  }

  isRunning(name: string): boolean {
    return this.entries.get(name)?.running ?? false;
  }

  lastRunAt(name: string): number | undefined {
    return this.entries.get(name)?.last?.at;
  }

  /** Aborts every run in flight (shutdown); they resolve undefined and record nothing. */
  abortAll(): void {
    for (const c of this.inFlight.keys()) c.abort(STOPPED);
  }

  /** Each run in flight and the check it runs. */
  private readonly inFlight = new Map<AbortController, string>();

  /**
   * One run of a check. Resolves (never rejects) with the result, or with
   * undefined when abortAll() stopped it: a shutdown is not a failure.
   */
  async run(check: CheckConfig): Promise<RunResult | undefined> {
    const entry = this.entries.get(check.name);
    if (!entry) throw new Error(`unknown check ${check.name}`);
    entry.running = true;
    // One controller per run (not AbortSignal.any over a long-lived signal,
    // which holds on to every run's listeners on Node 20).
    const controller = new AbortController();
    this.inFlight.set(controller, check.name);
    const signal = controller.signal;
    const timer = setTimeout(() => controller.abort(new ProbeFailure('timeout', `no result within ${formatDuration(check.timeoutMs)}`)), check.timeoutMs);
    const started = performance.now();
    let certExpiry: number | undefined;
    let answerRecords: number | undefined;
    const phases: HttpPhases | undefined = check.http ? { resolve: 0, connect: 0, tls: 0, processing: 0, transfer: 0 } : undefined;
    let error: unknown;
    try {
      const ctx: ProbeContext = {
        signal,
        timeoutMs: check.timeoutMs,
        onCertExpiry: (ms) => (certExpiry = ms),
        onPhase: (phase, seconds) => phases && (phases[phase] += seconds),
        onAnswerRecords: (count) => (answerRecords = count),
      };
      // The race guarantees the run ends at its timeout even if a prober misbehaves.
      await Promise.race([probe(check, ctx), aborted(signal)]);
    } catch (err) {
      error = signal.aborted ? signal.reason : err;
    } finally {
      clearTimeout(timer);
      this.inFlight.delete(controller);
      entry.running = false;
    }
    // Stopped, or the check was removed (reload) while it ran: nothing to record.
    if (signal.reason === STOPPED || this.entries.get(check.name) !== entry) return undefined;
    const durationSeconds = (performance.now() - started) / 1000;
    const result: RunResult = { at: Date.now(), success: error === undefined, durationSeconds };
    if (error !== undefined) Object.assign(result, classifyError(error));
    if (certExpiry !== undefined) entry.certExpiresAt = certExpiry;
    // What this run saw, also when it failed: a timeout shows in the phase it hung in.
    entry.phases = phases && { ...phases };
    entry.answerRecords = answerRecords;
    this.record(entry, result);
    return result;
  }

  private record(entry: Entry, r: RunResult): void {
    const { name, type } = entry.check;
    const previous = entry.last;
    entry.last = r;
    entry.history.push({ at: r.at, success: r.success, durationSeconds: r.durationSeconds });
    if (entry.history.length > HISTORY_SIZE) entry.history.shift();
    this.success.set({ check: name, type }, r.success ? 1 : 0);
    this.duration.set({ check: name, type }, r.durationSeconds);
    this.runs.inc({ check: name, result: r.success ? 'success' : 'failure' });
    this.lastRun.set({ check: name }, r.at / 1000);
    if (entry.certExpiresAt !== undefined) this.certExpiry.set({ check: name }, entry.certExpiresAt / 1000);
    if (entry.phases) for (const phase of HTTP_PHASES) this.httpPhase.set({ check: name, phase }, entry.phases[phase]);
    if (entry.check.dns) {
      // No response (timeout, refused): no count, rather than a misleading 0.
      if (entry.answerRecords === undefined) this.dnsAnswers.remove({ check: name });
      else this.dnsAnswers.set({ check: name }, entry.answerRecords);
    }
    if (r.success) {
      entry.lastSuccessAt = r.at;
      this.lastSuccess.set({ check: name }, r.at / 1000);
      if (previous && !previous.success) this.log.info({ check: name, target: entry.target }, 'check recovered');
    } else {
      this.failures.inc({ check: name, reason: r.reason! });
      // Log changes, not every failed run: a check failing every 15s would drown the log.
      if (!previous || previous.success || previous.reason !== r.reason) {
        this.log.warn({ check: name, target: entry.target, reason: r.reason, error: r.message }, 'check failed');
      }
    }
  }

  status(): CheckStatus[] {
    return [...this.entries.values()].map((e) => ({
      name: e.check.name,
      type: e.check.type,
      target: e.target,
      lastResult: e.last ? (e.last.success ? 'success' : 'failure') : null,
      reason: e.last?.reason ?? null,
      message: e.last?.message ?? null,
      lastRunAt: e.last?.at ?? null,
      lastSuccessAt: e.lastSuccessAt ?? null,
      lastDurationSeconds: e.last?.durationSeconds ?? null,
      intervalSeconds: e.check.intervalMs / 1000,
      timeoutSeconds: e.check.timeoutMs / 1000,
      certExpiresAt: e.certExpiresAt ?? null,
      phases: e.phases ? { ...e.phases } : null,
      answerRecords: e.answerRecords ?? null,
      running: e.running,
      history: e.history.map((h) => ({ ...h })),
    }));
  }
}

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}
