import type { ProbeContext } from './types.js';

export type Finish<T> = (err: unknown, value?: T) => void;

/**
 * One step of a probe (a request, an exchange) as a promise that settles
 * once. `start` opens what the step needs, wires its events to `finish`, and
 * returns how to release it; the release runs on every path (value, error,
 * abort of the probe's signal), synchronously with the event that ended the
 * step, before the promise settles.
 */
export function settleOnce<T>(ctx: ProbeContext, start: (finish: Finish<T>) => () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (ctx.signal.aborted) return reject(ctx.signal.reason);
    let release: (() => void) | undefined;
    let outcome: { err: unknown; value: T | undefined } | undefined;
    const settle = () => {
      release!();
      if (outcome!.err !== undefined) reject(outcome!.err);
      else resolve(outcome!.value!);
    };
    const finish: Finish<T> = (err, value) => {
      if (outcome) return;
      outcome = { err, value };
      ctx.signal.removeEventListener('abort', onAbort);
      if (release) settle();
    };
    const onAbort = () => finish(ctx.signal.reason);
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    try {
      release = start(finish);
    } catch (err) {
      ctx.signal.removeEventListener('abort', onAbort);
      return reject(err);
    }
    // Finished while starting (an error emitted synchronously).
    if (outcome) settle();
  });
}
