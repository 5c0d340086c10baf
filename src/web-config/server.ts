import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { TLSSocket } from 'node:tls';
import { createBasicAuth } from './basic-auth.js';
import type { WebConfig, WebTls } from './load.js';

// The web config applied to every endpoint: TLS on the listening socket,
// then, per request, the configured headers, the rate limit and basic auth,
// before any route runs (a route's own token, as on /ping, comes on top).

/** Fastify server options for the web config: https when it has TLS. */
export function webServerOptions(web: WebConfig | undefined): { https?: WebTls['options'] } {
  return web?.tls ? { https: web.tls.options } : {};
}

/** The SANs of a certificate as Go names them for client_allowed_sans: the bare values. */
export function certificateSans(subjectaltname: string | undefined): string[] {
  if (!subjectaltname) return [];
  return subjectaltname.split(', ').map((entry) => entry.replace(/^(DNS|IP Address|email|URI):/, ''));
}

/** Why a TLS client may not go on (undefined: it may), by client_auth_type and client_allowed_sans. */
export function clientCertProblem(tls: WebTls, socket: Pick<TLSSocket, 'getPeerCertificate' | 'authorized' | 'authorizationError'>): string | undefined {
  const peer = socket.getPeerCertificate();
  const presented = peer !== null && Object.keys(peer).length > 0;
  switch (tls.clientAuth) {
    case 'NoClientCert':
    case 'RequestClientCert':
      return undefined;
    case 'RequireAnyClientCert':
      if (!presented) return 'no client certificate';
      break;
    case 'VerifyClientCertIfGiven':
      if (presented && !socket.authorized) return `client certificate not trusted: ${String(socket.authorizationError)}`;
      break;
    case 'RequireAndVerifyClientCert':
      // The handshake itself refused anything else (rejectUnauthorized).
      break;
  }
  if (tls.allowedSans && presented) {
    const sans = certificateSans(peer.subjectaltname);
    if (!sans.some((s) => tls.allowedSans!.includes(s))) return `client certificate SANs ${JSON.stringify(sans)} not in client_allowed_sans`;
  }
  return undefined;
}

export default fp<{ web: WebConfig }>(async (app, { web }) => {
  const tls = web.tls;
  if (tls && tls.clientAuth !== 'NoClientCert') {
    app.server.on('secureConnection', (socket: TLSSocket) => {
      const problem = clientCertProblem(tls, socket);
      if (problem) {
        app.log.debug({ remote: socket.remoteAddress, problem }, 'TLS client refused');
        socket.destroy();
      }
    });
  }

  const headers = Object.entries(web.headers);
  if (headers.length > 0) {
    app.addHook('onRequest', async (_req, reply) => {
      for (const [name, value] of headers) reply.header(name, value);
    });
  }

  const limit = web.rateLimit;
  if (limit) {
    // A token bucket over every request (x/time/rate's, as exporter-toolkit uses): burst at most, one back per interval.
    let tokens = limit.burst;
    let at = performance.now();
    app.addHook('onRequest', async (_req, reply) => {
      const now = performance.now();
      tokens = Math.min(limit.burst, tokens + (now - at) / limit.intervalMs);
      at = now;
      if (tokens < 1) return reply.code(429).header('retry-after', String(Math.ceil(limit.intervalMs / 1000))).send({ error: 'too many requests (web config rate_limit)' });
      tokens -= 1;
    });
  }

  if (web.users.size > 0) {
    const check = createBasicAuth(web.users);
    app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
      if (await check(req.headers.authorization)) return;
      return reply.code(401).header('www-authenticate', 'Basic realm="sockeye", charset="UTF-8"').send({ error: 'missing or wrong user name or password (basic auth)' });
    });
  }
});
