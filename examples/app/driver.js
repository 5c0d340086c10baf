// @ts-check
// The clients of the incidents, run by the supervisor as a separate process
// (so their sockets are not counted as the app's): HEAD requests, line-service
// clients that hang up without QUIT, clients that give up on slow responses,
// browsers that retry a poisoned POST, protocol clients that wait for an
// answer. Also the sink that the peer-leak fault
// connects to. Usage: node driver.js <fault> (ports from the same env as the app)
//                     node driver.js sink HOST   (prints the port it listens on)
import { request } from 'node:http';
import { connect, createServer } from 'node:net';
import { readSettings } from './settings.js';

const settings = readSettings();
const [mode, arg] = process.argv.slice(2);
// The app listens on APP_HOST; 0.0.0.0 is reached through loopback.
const host = !settings.host || settings.host === '0.0.0.0' ? '127.0.0.1' : settings.host === '::' ? '::1' : settings.host;
const every = Math.max(1, Math.round(1000 / Math.max(1, settings.driverRate)));

/** @param {() => void} fn */
const loop = (fn) => setInterval(fn, every);

/**
 * @param {string} method
 * @param {string} path
 * @param {{ body?: string, abortAfterMs?: number }} [opts]
 * @returns {Promise<number>} status, or 0 when the request failed
 */
function call(method, path, opts = {}) {
  return new Promise((resolve) => {
    const req = request({ host, port: settings.httpPort, method, path, agent: false, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
    if (opts.abortAfterMs !== undefined) setTimeout(() => req.destroy(), opts.abortAfterMs);
    req.end(opts.body);
  });
}

switch (mode) {
  case 'head-leak':
    loop(() => void call('HEAD', '/index.html'));
    break;
  case 'close-wait':
    loop(() => {
      const sock = connect({ host, port: settings.linePort });
      sock.on('error', () => {});
      // Hang up after the greeting, without QUIT.
      sock.once('data', () => sock.end());
    });
    break;
  case 'response-leak':
    // The client gives up before the response is finished: 'close', never 'finish'.
    loop(() => void call('GET', '/slow?ms=500', { abortAfterMs: 50 }));
    break;
  case 'wedge':
    // Clients of the protocol server that RING and wait for AHOY-HOY as long as
    // the server keeps them (its own 60s idle timeout): while it is wedged
    // they pile up, connections the app holds and answers none of.
    loop(() => {
      const sock = connect({ host, port: settings.protoPort });
      sock.on('error', () => {});
      sock.on('data', (d) => {
        if (/AHOY-HOY/.test(d.toString())) sock.end();
      });
      sock.write('{"cmd":"RING"}\r\n');
    });
    break;
  case 'poison': {
    // A browser retrying the same POST a moment after each failure: every
    // attempt lands on the next worker and kills it too. (Every 2s, so each
    // worker lives long enough to be seen by a 1s scrape before it dies.)
    let busy = false;
    setInterval(async () => {
      if (busy) return;
      busy = true;
      await call('POST', '/checkout', { body: '{"coupon":"poison"}' });
      busy = false;
    }, 2000);
    break;
  }
  case 'sink': {
    /** @type {Set<import('node:net').Socket>} */
    const held = new Set();
    const srv = createServer((sock) => {
      held.add(sock);
      sock.on('error', () => {});
      sock.on('close', () => held.delete(sock));
    });
    srv.listen(0, arg || '127.0.0.1', () => {
      process.send?.({ type: 'sink', port: /** @type {import('node:net').AddressInfo} */ (srv.address()).port });
    });
    break;
  }
  default:
    process.stderr.write(`driver: unknown mode ${JSON.stringify(mode)}\n`);
    process.exit(2);
}
// The supervisor's death (or disconnect) ends the driver too.
process.on('disconnect', () => process.exit(0));
