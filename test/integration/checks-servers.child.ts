/**
 * Hostile and friendly servers on 127.0.0.1 for the checker's tests, run as a
 * child process so that their sockets are not counted in the test's own
 * /proc/self/fd. Usage: node --import tsx checks-servers.child.ts CERT_DIR
 * Prints one JSON line of ports, then serves until stdin closes.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';

const certDir = process.argv[2]!;
const pair = (name: string) => ({ key: readFileSync(join(certDir, `${name}.key`)), cert: readFileSync(join(certDir, `${name}.crt`)) });
const held = new Set<net.Socket>();
const hold = (s: net.Socket) => {
  held.add(s);
  s.on('error', () => undefined);
  s.on('close', () => held.delete(s));
};

const BIG = Buffer.alloc(5 * 1024 * 1024, 'x');

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

function party(socket: net.Socket): void {
  hold(socket);
  socket.write('PLSAUTH\r\n');
  let buf = '';
  socket.on('data', (d) => {
    buf += d.toString();
    if (buf.includes('RING')) socket.end('AHOY-HOY\r\n');
  });
}

const app: http.RequestListener = (req, res) => {
  switch (req.url) {
    case '/health':
      return void res.end('ok');
    case '/error':
      res.statusCode = 500;
      return void res.end('boom');
    case '/body':
      return void res.end('nope');
    case '/redirect':
      res.writeHead(302, { location: '/health' });
      return void res.end();
    case '/loop':
      res.writeHead(302, { location: '/loop' });
      return void res.end();
    case '/big':
      return void res.end(BIG);
    case '/auth':
      res.statusCode = req.headers.authorization === 'Basic dXNlcjpwYXNz' ? 200 : 401;
      return void res.end(req.headers.authorization ?? '');
    default:
      res.statusCode = 404;
      res.end();
  }
};

const refusedServer = net.createServer();
const refused = await listen(refusedServer);
await new Promise((r) => refusedServer.close(r));

const ports = {
  refused,
  silent: await listen(net.createServer(hold)),
  // Headers and part of the body, then nothing.
  headersStall: await listen(
    net.createServer((s) => {
      hold(s);
      s.once('data', () => s.write('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial'));
    }),
  ),
  // Part of a large body, then a TCP RST.
  resetMidBody: await listen(
    net.createServer((s) => {
      hold(s);
      s.once('data', () => {
        s.write(`HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n${'y'.repeat(1000)}`, () => setTimeout(() => s.resetAndDestroy(), 20));
      });
    }),
  ),
  // Greets and hangs up: an expect that never matches, at EOF.
  wrongGreeting: await listen(
    net.createServer((s) => {
      hold(s);
      s.end('GO AWAY\r\n');
    }),
  ),
  http: await listen(http.createServer(app)),
  https: await listen(https.createServer(pair('valid'), app)),
  expired: await listen(https.createServer(pair('expired'), app)),
  wrongHost: await listen(https.createServer(pair('wronghost'), app)),
  party: await listen(net.createServer(party)),
  tlsParty: await listen(tls.createServer(pair('valid'), party)),
};

process.stdout.write(`${JSON.stringify(ports)}\n`);
// The parent's end of stdin closing (exit or crash) ends us too.
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
