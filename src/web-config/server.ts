import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { unwatchFile, watchFile } from 'node:fs';
import type { Server as HttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { createBasicAuth, type BasicAuth } from './basic-auth.js';
import { loadWebConfig, type WebConfig, type WebTls } from './load.js';

// The web config applied to every endpoint: TLS on the listening socket,
// then, per request, the configured headers, the rate limit and basic auth,
// before any route runs (a route's own token, as on /ping, comes on top);
// re-read when the file or a certificate it names changes.

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

/** How often the web config and the files it names are looked at: exporter-toolkit re-reads them on every request. */
export const WEB_CONFIG_POLL_MS = 2000;

/** What the per-request guard uses, made once per version of the web config. */
interface Guard {
  web: WebConfig;
  headers: Array<[string, string]>;
  /** Takes one request's token; false when the bucket is empty. */
  take?: () => boolean;
  check?: BasicAuth;
}

function guardOf(web: WebConfig): Guard {
  const limit = web.rateLimit;
  let take: Guard['take'];
  if (limit) {
    // A token bucket over every request (x/time/rate's, as exporter-toolkit uses): burst at most, one back per interval.
    let tokens = limit.burst;
    let at = performance.now();
    take = () => {
      const now = performance.now();
      tokens = Math.min(limit.burst, tokens + (now - at) / limit.intervalMs);
      at = now;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    };
  }
  return { web, headers: Object.entries(web.headers), take, check: web.users.size > 0 ? createBasicAuth(web.users) : undefined };
}

export default fp<{ web: WebConfig }>(async (app, { web }) => {
  let guard = guardOf(web);

  // Set at startup: the server's requestCert/rejectUnauthorized follow client_auth_type.
  const tls = web.tls;
  if (tls && tls.clientAuth !== 'NoClientCert') {
    app.server.on('secureConnection', (socket: TLSSocket) => {
      const problem = clientCertProblem(guard.web.tls ?? tls, socket);
      if (problem) {
        app.log.debug({ remote: socket.remoteAddress, problem }, 'TLS client refused');
        socket.destroy();
      }
    });
  }

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const g = guard;
    for (const [name, value] of g.headers) reply.header(name, value);
    const limit = g.web.rateLimit;
    if (g.take && limit && !g.take()) {
      return reply.code(429).header('retry-after', String(Math.ceil(limit.intervalMs / 1000))).send({ error: 'too many requests (web config rate_limit)' });
    }
    if (g.check && !(await g.check(req.headers.authorization))) {
      return reply.code(401).header('www-authenticate', 'Basic realm="sockeye", charset="UTF-8"').send({ error: 'missing or wrong user name or password (basic auth)' });
    }
  });

  // A renewed certificate (cert-manager, a Secret's symlink swap), a new user
  // or header applies without a restart, as in exporter-toolkit. A file that
  // does not load (a key written before its certificate) keeps the one in
  // force, and the next change is tried again.
  const watched = new Set<string>();
  let rereading = Promise.resolve();
  const changed = () => {
    rereading = rereading.then(reread);
  };
  const watchAll = (files: readonly string[]) => {
    for (const f of watched) if (!files.includes(f)) unwatchFile(f, changed);
    for (const f of files) if (!watched.has(f)) watchFile(f, { interval: WEB_CONFIG_POLL_MS, persistent: false }, changed);
    watched.clear();
    for (const f of files) watched.add(f);
  };
  async function reread(): Promise<void> {
    let next: WebConfig;
    try {
      next = await loadWebConfig(web.file);
    } catch (err) {
      app.log.error({ webConfig: web.file, error: (err as Error).message }, 'web config: cannot use the changed file; keeping the one in force');
      return;
    }
    const current = guard.web.tls;
    // TLS on or off and who must present a certificate are the listening socket's own settings.
    const restart = Boolean(next.tls) !== Boolean(current) || next.tls?.clientAuth !== current?.clientAuth;
    if (restart) app.log.warn({ webConfig: web.file }, 'web config: turning TLS on or off, or changing client_auth_type, takes a restart; the rest of the file is applied');
    else if (next.tls) (app.server as HttpsServer).setSecureContext(next.tls.options);
    guard = guardOf({ ...next, tls: restart ? current : next.tls });
    watchAll([web.file, ...(guard.web.tls?.files ?? [])]);
    app.log.info({ webConfig: web.file }, 'web config applied');
  }
  watchAll([web.file, ...(web.tls?.files ?? [])]);
  app.addHook('onClose', async () => {
    for (const f of watched) unwatchFile(f, changed);
    watched.clear();
  });
});
