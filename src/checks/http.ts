import http from 'node:http';
import https from 'node:https';
import { isIP, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { HttpCheckConfig } from '../config/checks.js';
import { VERSION } from '../version.js';
import { earliestExpiry, tlsConnectOptions } from './tls-client.js';
import { settleOnce } from './settle.js';
import { ProbeFailure, type HttpPhase, type ProbeContext, type Prober } from './types.js';

const MAX_REDIRECTS = 5;
// Headers that must not follow a redirect to another origin.
const CREDENTIAL_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);

interface Response {
  status: number;
  location: string | undefined;
  body: Buffer;
}

/** Status and body against the expectations; redirects only when asked. */
export const probeHttp: Prober<HttpCheckConfig> = async (cfg, ctx) => {
  let url = new URL(cfg.url);
  let method: string = cfg.method;
  let headers = { ...cfg.headers };
  for (let hop = 0; ; hop++) {
    const res = await requestOnce(url, method, headers, cfg, ctx);
    if (cfg.followRedirects && res.status >= 300 && res.status < 400 && res.location) {
      if (hop >= MAX_REDIRECTS) throw new ProbeFailure('status', `more than ${MAX_REDIRECTS} redirects`);
      const next = new URL(res.location, url);
      if (next.origin !== url.origin) headers = Object.fromEntries(Object.entries(headers).filter(([k]) => !CREDENTIAL_HEADERS.has(k.toLowerCase())));
      if (res.status === 303) method = 'GET';
      url = next;
      continue;
    }
    const ok = cfg.status.length === 0 ? res.status >= 200 && res.status < 300 : cfg.status.includes(res.status);
    if (!ok) throw new ProbeFailure('status', `status ${res.status}, expected ${cfg.status.length ? cfg.status.join(' or ') : '2xx'}`);
    if (cfg.body !== undefined && !new RegExp(cfg.body).test(res.body.toString('utf8'))) {
      throw new ProbeFailure('body', `body does not match /${cfg.body}/`);
    }
    return;
  }
};

function requestOnce(url: URL, method: string, headers: Record<string, string>, cfg: HttpCheckConfig, ctx: ProbeContext): Promise<Response> {
  return settleOnce<Response>(ctx, (finish) => {
    const secure = url.protocol === 'https:';
    const req = (secure ? https : http).request(url, {
      method,
      headers: { 'user-agent': `sockeye/${VERSION}`, ...headers },
      // No pooling: nothing may outlive the probe (the incident was a leak).
      agent: false,
      ...(secure ? tlsConnectOptions(cfg, url.hostname.replace(/^\[|\]$/g, '')) : {}),
    });
    // The phase the request is in; each ends where the next begins (docs/checks.md).
    // An IP literal needs no lookup: Node emits no 'lookup' and resolve stays 0.
    let phase: HttpPhase | undefined = isIP(url.hostname.replace(/^\[|\]$/g, '')) ? 'connect' : 'resolve';
    let mark = performance.now();
    const enter = (next: HttpPhase | undefined) => {
      const now = performance.now();
      if (phase !== undefined) ctx.onPhase(phase, (now - mark) / 1000);
      phase = next;
      mark = now;
    };

    req.on('error', (err) => finish(err));
    req.once('socket', (socket: Socket) => {
      socket.once('lookup', () => phase === 'resolve' && enter('connect'));
      socket.once('connect', () => {
        if (phase === 'resolve') enter('connect');
        if (phase === 'connect') enter(secure ? 'tls' : 'processing');
      });
      if (secure) {
        socket.once('secureConnect', () => {
          if (phase === 'tls') enter('processing');
          const expiry = earliestExpiry((socket as TLSSocket).getPeerCertificate(true));
          if (expiry !== undefined) ctx.onCertExpiry(expiry);
        });
      }
      // The first byte of the response (the HTTP parser reads the same 'data' events).
      socket.once('data', () => phase === 'processing' && enter('transfer'));
    });
    req.on('response', (res) => {
      res.on('error', (err) => finish(err));
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > cfg.maxBodyBytes) {
        return finish(new ProbeFailure('body', `body of ${declared} bytes is larger than maxBodyBytes (${cfg.maxBodyBytes})`));
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > cfg.maxBodyBytes) finish(new ProbeFailure('body', `body is larger than maxBodyBytes (${cfg.maxBodyBytes})`));
        else chunks.push(chunk);
      });
      res.on('end', () => finish(undefined, { status: res.statusCode ?? 0, location: res.headers.location, body: Buffer.concat(chunks) }));
      res.on('close', () => {
        if (!res.complete) finish(Object.assign(new Error('connection closed mid-body'), { code: 'ECONNRESET' }));
      });
    });
    req.end(cfg.requestBody);
    return () => {
      // A run cut short (timeout, reset) still counts the time spent in the phase it was in.
      enter(undefined);
      // Destroy on every path: success, failure, body cap and timeout alike.
      req.destroy();
    };
  });
}
