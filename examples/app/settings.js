// @ts-check
// Every setting comes from the environment so the same file runs in its
// container, under `npm run demo` and in the e2e tests (several instances on
// free ports: 0 means "pick one", the chosen ports are reported on stdout).

/**
 * @param {string} name
 * @param {number} fallback
 */
function int(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name}: expected a whole number >= 0, got ${JSON.stringify(raw)}`);
  return n;
}

export function readSettings() {
  return {
    /** Address the app's services listen on. */
    host: process.env.APP_HOST || '0.0.0.0',
    httpPort: int('APP_HTTP_PORT', 8080),
    /** Line protocol service of incident 2 (clients should say QUIT). */
    linePort: int('APP_LINE_PORT', 7070),
    /** PLSAUTH / RING / AHOY-HOY protocol server of incident 6. */
    protoPort: int('APP_PROTO_PORT', 31337),
    /** Fault switches; loopback only unless told otherwise. */
    adminHost: process.env.APP_ADMIN_HOST || '127.0.0.1',
    adminPort: int('APP_ADMIN_PORT', 8081),
    workers: Math.max(1, int('APP_WORKERS', 2)),
    /** Respawn dead workers (after a short delay), as cluster supervisors do. */
    respawn: process.env.APP_RESPAWN !== '0',
    /** host:port the peer-leak fault connects to; empty: a sink child the app starts. */
    peer: process.env.APP_PEER || '',
    /** Where that sink child listens when APP_PEER is empty. */
    sinkHost: process.env.APP_SINK_HOST || '127.0.0.1',
    /** Outbound connections per second while peer-leak is on. */
    peerLeakRate: int('APP_PEER_LEAK_RATE', 25),
    /** Bytes retained per leaked response (response-leak), and the cap per worker. */
    responseLeakBytes: int('APP_RESPONSE_LEAK_BYTES', 2 * 1024 * 1024),
    responseLeakMaxBytes: int('APP_RESPONSE_LEAK_MAX_BYTES', 1024 * 1024 * 1024),
    /** Client actions per second of the traffic driver. */
    driverRate: int('APP_DRIVER_RATE', 20),
  };
}

/** @typedef {ReturnType<typeof readSettings>} Settings */
