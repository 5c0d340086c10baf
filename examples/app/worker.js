// @ts-check
// A worker of the example app: the HTTP server (static file, a slow endpoint,
// a checkout POST), the line service and the protocol server. Each fault is a
// bug that is only "in the code" while its switch is on.
import { open, createReadStream } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { connect, createServer as createTcpServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { allOff } from './faults.js';

const INDEX = fileURLToPath(new URL('./public/index.html', import.meta.url));

/**
 * @param {import('./settings.js').Settings} settings
 * @param {number} index  stable worker slot (0..workers-1); slot 0 runs the app's own outbound checker
 */
export function runWorker(settings, index) {
  let faults = allOff();
  /** @type {Set<import('node:net').Socket>} */
  const peerSockets = new Set();
  /** Responses in flight, forgotten on finish (and on close, unless response-leak is on). */
  /** @type {Map<number, { res: import('node:http').ServerResponse, buffer: Buffer }>} */
  const inFlight = new Map();
  let nextId = 0;
  let leakedFds = 0;
  let retainedBytes = 0;
  let peerErrors = 0;

  const http = createHttpServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://app');
    if (url.pathname === '/health') {
      res.end('ok\n');
    } else if (url.pathname === '/' || url.pathname === '/index.html') {
      if (req.method === 'HEAD') {
        if (faults['head-leak']) {
          // Incident 1: stat the file through an fd for Content-Length and never close it.
          open(INDEX, 'r', (err, _fd) => {
            if (!err) leakedFds++;
            res.writeHead(err ? 500 : 200, { 'content-type': 'text/html' }).end();
          });
        } else {
          res.writeHead(200, { 'content-type': 'text/html' }).end();
        }
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html' });
      createReadStream(INDEX).pipe(res);
    } else if (url.pathname === '/slow') {
      // Incident 4: track the response (with its per-request buffers) until it is done.
      const id = nextId++;
      const buffer = retainedBytes < settings.responseLeakMaxBytes ? Buffer.alloc(settings.responseLeakBytes, 1) : Buffer.alloc(0);
      retainedBytes += buffer.length;
      inFlight.set(id, { res, buffer });
      const forget = () => {
        if (inFlight.delete(id)) retainedBytes -= buffer.length;
      };
      res.on('finish', forget);
      res.on('close', () => {
        if (!faults['response-leak']) forget();
      });
      const ms = Math.min(Number(url.searchParams.get('ms')) || 300, 10_000);
      setTimeout(() => {
        if (!res.destroyed) res.end('done\n');
      }, ms);
    } else if (url.pathname === '/checkout' && req.method === 'POST') {
      const chunks = /** @type {Buffer[]} */ ([]);
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        setImmediate(() => {
          // Incident 5: a throw in an async callback is uncaught and kills the process.
          if (faults.poison && body.includes('poison')) throw new Error('checkout: cannot apply coupon "poison"');
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}\n');
        });
      });
    } else {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}\n');
    }
  });
  http.listen(settings.httpPort, settings.host);

  // Incident 2: a line service; a client should send QUIT, but one that just
  // hangs up leaves a half-closed socket, which the buggy server never closes.
  const line = createTcpServer({ allowHalfOpen: true }, (sock) => {
    sock.on('error', () => {});
    sock.write('HELLO\r\n');
    sock.on('data', (d) => {
      if (/QUIT/.test(d.toString())) sock.end('BYE\r\n');
      else sock.write('OK\r\n');
    });
    sock.on('end', () => {
      if (!faults['close-wait']) sock.end();
    });
  });
  line.listen(settings.linePort, settings.host);

  // Incident 6: greet PLSAUTH, answer RING with AHOY-HOY; wedged: silent.
  const proto = createTcpServer((sock) => {
    sock.on('error', () => {});
    sock.setTimeout(60_000, () => sock.destroy());
    if (faults.wedge) return;
    sock.write('PLSAUTH\r\n');
    sock.on('data', (d) => {
      if (faults.wedge) return;
      if (/RING/.test(d.toString())) sock.write('AHOY-HOY\r\n');
    });
  });
  proto.listen(settings.protoPort, settings.host);

  // Incident 3: the app's own checker, in worker slot 0, leaks a connection per
  // probe to one peer while peer-leak is on.
  /** @type {NodeJS.Timeout | undefined} */
  let leakTimer;
  /** @param {string} peer */
  function startPeerLeak(peer) {
    if (leakTimer || !peer) return;
    const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(peer);
    if (!m) return;
    const [, host, port] = m;
    leakTimer = setInterval(() => {
      const sock = connect({ host, port: Number(port) });
      sock.on('error', () => {
        peerErrors++;
        peerSockets.delete(sock);
      });
      peerSockets.add(sock);
    }, Math.max(1, Math.round(1000 / Math.max(1, settings.peerLeakRate))));
  }
  function stopPeerLeak() {
    clearInterval(leakTimer);
    leakTimer = undefined;
  }

  process.on('message', (/** @type {any} */ msg) => {
    if (msg?.type === 'faults') {
      faults = msg.faults;
      if (index === 0 && faults['peer-leak']) startPeerLeak(msg.peer);
      if (!faults['peer-leak']) stopPeerLeak();
    } else if (msg?.type === 'stats') {
      process.send?.({
        type: 'stats',
        id: msg.id,
        stats: { index, pid: process.pid, leakedFds, peerSockets: peerSockets.size, peerErrors, retainedBytes, inFlight: inFlight.size },
      });
    }
  });
  // Port 0 means "pick one": workers share the primary's listening sockets, so
  // every worker reports the same chosen ports.
  /** @param {import('node:net').Server} srv */
  const listening = (srv) => new Promise((resolve) => (srv.listening ? resolve(undefined) : srv.once('listening', resolve)));
  /** @param {import('node:net').Server} srv */
  const portOf = (srv) => /** @type {import('node:net').AddressInfo} */ (srv.address()).port;
  Promise.all([http, line, proto].map(listening)).then(() => {
    process.send?.({ type: 'up', index, ports: { http: portOf(http), line: portOf(line), proto: portOf(proto) } });
  });
}
