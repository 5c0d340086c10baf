import type { CheckConfig } from '../config/checks.js';

/** The bounded failure reasons of the metric contract; nothing else becomes a label. */
export const FAILURE_REASONS = ['timeout', 'refused', 'reset', 'dns', 'tls', 'status', 'body', 'expect', 'rcode', 'answer', 'not_serving'] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

/**
 * The reasons each kind of check can fail with: the series zeroed at start
 * (so rate() works from the first failure), without ones that can never move.
 */
export const REASONS_BY_TYPE: Record<CheckConfig['type'], readonly FailureReason[]> = {
  http: ['timeout', 'refused', 'reset', 'dns', 'tls', 'status', 'body'],
  tcp: ['timeout', 'refused', 'reset', 'dns', 'tls', 'expect'],
  tls: ['timeout', 'refused', 'reset', 'dns', 'tls'],
  dns: ['timeout', 'refused', 'reset', 'dns', 'rcode', 'answer'],
  grpc: ['timeout', 'refused', 'reset', 'dns', 'tls', 'status', 'not_serving'],
};

/** A failure whose reason the prober knows (status mismatch, body, expect, ...). */
export class ProbeFailure extends Error {
  constructor(
    readonly reason: FailureReason,
    message: string,
  ) {
    super(message);
    this.name = 'ProbeFailure';
  }
}

export interface ProbeContext {
  /** Aborted on timeout (reason: a ProbeFailure 'timeout') or when the checker stops. */
  signal: AbortSignal;
  timeoutMs: number;
  /** Called with the earliest certificate expiry (unix ms) of a presented chain. */
  onCertExpiry(expiryMs: number): void;
  /** http: adds seconds spent in a phase (called as each phase ends, also on a timeout). */
  onPhase(phase: HttpPhase, seconds: number): void;
  /** dns: the number of records in the answer section of the response. */
  onAnswerRecords(count: number): void;
}

/** blackbox_exporter's phases of an HTTP request, in order (docs/checks.md says where each starts and ends). */
export const HTTP_PHASES = ['resolve', 'connect', 'tls', 'processing', 'transfer'] as const;
export type HttpPhase = (typeof HTTP_PHASES)[number];
export type HttpPhases = Record<HttpPhase, number>;

/**
 * Every prober has this one signature: resolve on success, throw on failure
 * (a ProbeFailure, or a Node error whose errno classify() maps). Probers own
 * their sockets and destroy them on every path before settling.
 */
export type Prober<C> = (config: C, ctx: ProbeContext) => Promise<void>;

export type CheckSpec = CheckConfig;
