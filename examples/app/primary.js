// @ts-check
// The supervisor: forks the workers (respawning the dead ones, as cluster
// supervisors do), holds the fault switches, serves them on the admin
// endpoint and starts the traffic driver a fault needs.
import cluster from 'node:cluster';
import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { FAULTS, FAULT_NAMES, allOff, isFault } from './faults.js';

const DRIVER = fileURLToPath(new URL('./driver.js', import.meta.url));
const RESPAWN_DELAY_MS = 500;

/** @param {import('./settings.js').Settings} settings */
export function runPrimary(settings) {
  const faults = allOff();
  /** @type {Map<number, import('node:cluster').Worker>} slot -> worker */
  const slots = new Map();
  /** @type {Map<string, import('node:child_process').ChildProcess>} */
  const drivers = new Map();
  /** @type {{ http: number, line: number, proto: number } | undefined} */
  let ports;
  let adminPort = 0;
  let workerDeaths = 0;
  let peer = settings.peer;
  let stopping = false;

  const log = (/** @type {Record<string, unknown>} */ fields) => process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), ...fields })}\n`);

  /**
   * Sends to a worker that may be dying: its channel can close between any
   * check and the send, and without a callback that error is an 'error'
   * event nobody listens to, which would take the primary down with it.
   * @param {import('node:cluster').Worker} w @param {unknown} msg
   */
  function tell(w, msg) {
    if (w.isConnected()) w.send(/** @type {any} */ (msg), () => {});
  }

  /** @param {number} index */
  function spawnWorker(index) {
    // Once ports are chosen (port 0), respawned workers must reuse them: when
    // every worker has died the shared listening socket is gone with them.
    const chosen = ports ? { APP_HTTP_PORT: String(ports.http), APP_LINE_PORT: String(ports.line), APP_PROTO_PORT: String(ports.proto) } : {};
    const worker = cluster.fork({ APP_WORKER_INDEX: String(index), ...chosen });
    slots.set(index, worker);
    worker.on('message', (msg) => {
      if (msg?.type === 'up') {
        tell(worker, { type: 'faults', faults, peer });
        if (!ports) {
          ports = msg.ports;
          maybeReady();
        }
      }
    });
    worker.on('exit', (code, signal) => {
      if (slots.get(index) === worker) slots.delete(index);
      if (stopping) return;
      workerDeaths++;
      log({ msg: 'worker died', index, pid: worker.process.pid, code, signal, respawn: settings.respawn });
      if (settings.respawn) setTimeout(() => !stopping && spawnWorker(index), RESPAWN_DELAY_MS);
    });
  }

  function broadcast() {
    for (const w of slots.values()) tell(w, { type: 'faults', faults, peer });
  }

  /** @param {string} mode @param {string[]} [args] */
  function startChild(mode, args = []) {
    // Same env as the app (ports), so the driver finds the services.
    const env = {
      ...process.env,
      APP_HTTP_PORT: String(ports?.http ?? settings.httpPort),
      APP_LINE_PORT: String(ports?.line ?? settings.linePort),
      APP_PROTO_PORT: String(ports?.proto ?? settings.protoPort),
    };
    return fork(DRIVER, [mode, ...args], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  }

  /** A sink for peer-leak when no APP_PEER is given: a separate process, so its sockets are not the app's. */
  function ensurePeer() {
    if (peer) return Promise.resolve(peer);
    const sink = startChild('sink', [settings.sinkHost]);
    drivers.set('sink', sink);
    return new Promise((resolve, reject) => {
      sink.once('exit', () => reject(new Error('peer sink exited')));
      sink.on('message', (/** @type {any} */ msg) => {
        if (msg?.type !== 'sink') return;
        peer = settings.sinkHost.includes(':') ? `[${settings.sinkHost}]:${msg.port}` : `${settings.sinkHost}:${msg.port}`;
        resolve(peer);
      });
    });
  }

  /** @param {import('./faults.js').FaultName} name @param {boolean} on */
  async function setFault(name, on) {
    if (name === 'peer-leak' && on) await ensurePeer();
    faults[name] = on;
    broadcast();
    const running = drivers.get(name);
    if (on && FAULTS[name].driver && !running) drivers.set(name, startChild(name));
    if (!on && running) {
      running.kill('SIGTERM');
      drivers.delete(name);
    }
    log({ msg: 'fault', fault: name, on });
  }

  /** Asks every worker for its counters; a worker that does not answer in 500 ms is left out. */
  function workerStats() {
    const id = Math.random();
    return Promise.all(
      [...slots.values()].map(
        (w) =>
          new Promise((resolve) => {
            const timer = setTimeout(() => resolve(null), 500);
            /** @param {any} msg */
            const onMsg = (msg) => {
              if (msg?.type === 'stats' && msg.id === id) {
                clearTimeout(timer);
                w.off('message', onMsg);
                resolve(msg.stats);
              }
            };
            w.on('message', onMsg);
            tell(w, { type: 'stats', id });
          }),
      ),
    ).then((all) => all.filter(Boolean));
  }

  const state = async () => ({
    pid: process.pid,
    ports: { ...ports, admin: adminPort },
    peer: peer || null,
    faults,
    workers: [...slots.entries()].map(([index, w]) => ({ index, pid: w.process.pid })),
    workerDeaths,
    stats: await workerStats(),
  });

  /** @param {import('node:http').ServerResponse} res @param {number} code @param {unknown} body */
  const send = (res, code, body) => res.writeHead(code, { 'content-type': 'application/json' }).end(`${JSON.stringify(body)}\n`);

  const admin = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://admin');
    const m = /^\/admin\/fault\/([^/]+)(?:\/(on|off))?$/.exec(url.pathname);
    try {
      if (url.pathname === '/admin/faults' && req.method === 'GET') return send(res, 200, await state());
      if (m && req.method === 'POST') {
        const name = decodeURIComponent(m[1] ?? '');
        const how = m[2] ?? url.searchParams.get('state');
        if (!isFault(name)) return send(res, 404, { error: `unknown fault ${JSON.stringify(name)}; expected one of ${FAULT_NAMES.join(', ')}` });
        if (how !== 'on' && how !== 'off') return send(res, 400, { error: 'expected /on or /off (or ?state=on|off)' });
        await setFault(name, how === 'on');
        return send(res, 200, { fault: name, on: faults[name] });
      }
      return send(res, 404, { error: 'not found; try GET /admin/faults or POST /admin/fault/<name>/on|off' });
    } catch (err) {
      return send(res, 500, { error: /** @type {Error} */ (err).message });
    }
  });
  admin.listen(settings.adminPort, settings.adminHost, () => {
    adminPort = /** @type {import('node:net').AddressInfo} */ (admin.address()).port;
    maybeReady();
  });

  let announced = false;
  function maybeReady() {
    if (announced || !ports || !adminPort) return;
    announced = true;
    // One JSON line on stdout: harnesses read the chosen ports from it.
    process.stdout.write(`${JSON.stringify({ event: 'ready', pid: process.pid, ports: { ...ports, admin: adminPort }, faults: Object.keys(FAULTS) })}\n`);
  }

  for (let i = 0; i < settings.workers; i++) spawnWorker(i);

  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    for (const d of drivers.values()) d.kill('SIGTERM');
    for (const w of slots.values()) w.process.kill('SIGTERM');
    admin.close();
    setTimeout(() => process.exit(0), 200).unref();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}
