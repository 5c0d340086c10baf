// @ts-check
// The faults the incident lab can switch on, one per incident sockeye exists
// for (numbered as in docs/incident-lab.md).
// Each names where it lives (the workers' servers, a traffic driver that
// plays the clients of the incident, or both) so the supervisor knows what
// to start when it is switched on.

/** @typedef {'head-leak' | 'close-wait' | 'peer-leak' | 'response-leak' | 'poison' | 'wedge'} FaultName */

/**
 * @type {Record<FaultName, { incident: number, summary: string, driver: boolean }>}
 * driver: the fault needs client traffic to show (HEAD requests, clients that
 * hang up, browsers retrying a POST, protocol clients waiting); the supervisor runs driver.js for it.
 */
export const FAULTS = {
  'head-leak': { incident: 1, summary: 'HEAD /index.html opens the file and never closes it', driver: true },
  'close-wait': { incident: 2, summary: 'the line service never closes its side when a client hangs up (CLOSE_WAIT)', driver: true },
  'peer-leak': { incident: 3, summary: 'outbound connections to one peer are opened and never closed', driver: false },
  'response-leak': { incident: 4, summary: 'responses are tracked until finish and never freed on close (memory grows)', driver: true },
  poison: { incident: 5, summary: 'POST /checkout throws in an async callback and kills the worker; clients retry', driver: true },
  wedge: { incident: 6, summary: 'the protocol server accepts connections and never answers; its clients wait and pile up', driver: true },
};

/** @type {FaultName[]} */
export const FAULT_NAMES = /** @type {FaultName[]} */ (Object.keys(FAULTS));

/** @param {string} name @returns {name is FaultName} */
export function isFault(name) {
  return Object.hasOwn(FAULTS, name);
}

/** @returns {Record<FaultName, boolean>} every fault off */
export function allOff() {
  return /** @type {Record<FaultName, boolean>} */ (Object.fromEntries(FAULT_NAMES.map((n) => [n, false])));
}
