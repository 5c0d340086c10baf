import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { checkServerIdentity, type ConnectionOptions, type DetailedPeerCertificate, type TLSSocket } from 'node:tls';
import { ProbeFailure } from './types.js';

export interface TlsClientConfig {
  serverName?: string | undefined;
  caFile?: string | undefined;
  insecureSkipVerify: boolean;
}

// CA files are read once per path: a check every few seconds should not
// reread the disk, and a missing file should fail the check, not the process.
const caCache = new Map<string, Buffer | Error>();

export function loadCa(file: string): Buffer {
  let ca = caCache.get(file);
  if (ca === undefined) {
    try {
      ca = readFileSync(file);
    } catch (err) {
      ca = err as Error;
    }
    caCache.set(file, ca);
  }
  if (ca instanceof Error) throw new ProbeFailure('tls', `cannot read caFile ${file}: ${(ca as NodeJS.ErrnoException).code ?? ca.message}`);
  return ca;
}

/** Node TLS options for a client; SNI only for host names (RFC 6066 forbids IPs). */
export function tlsConnectOptions(cfg: TlsClientConfig, host: string): ConnectionOptions {
  const serverName = cfg.serverName ?? host;
  return {
    ...(isIP(serverName) ? {} : { servername: serverName }),
    ...(cfg.caFile ? { ca: loadCa(cfg.caFile) } : {}),
    rejectUnauthorized: !cfg.insecureSkipVerify,
  };
}

/** The earliest notAfter (unix ms) of the chain the peer presented. */
export function earliestExpiry(cert: DetailedPeerCertificate | undefined): number | undefined {
  let earliest: number | undefined;
  const seen = new Set<DetailedPeerCertificate>();
  for (let c = cert; c && Object.keys(c).length > 0 && !seen.has(c); c = c.issuerCertificate) {
    seen.add(c);
    const t = Date.parse(c.valid_to);
    if (Number.isFinite(t) && (earliest === undefined || t < earliest)) earliest = t;
  }
  return earliest;
}

/**
 * Verification done by hand after the handshake (the socket connects with
 * rejectUnauthorized false), so the expiry of a bad chain is still reported.
 */
export function verifyPeer(socket: TLSSocket, cfg: TlsClientConfig, host: string): void {
  if (cfg.insecureSkipVerify) return;
  if (!socket.authorized) {
    const err = socket.authorizationError as Error | string | null;
    const code = typeof err === 'string' ? err : ((err as NodeJS.ErrnoException | null)?.code ?? err?.message ?? 'unknown');
    throw new ProbeFailure('tls', `certificate not trusted: ${code}`);
  }
  const identity = checkServerIdentity(cfg.serverName ?? host, socket.getPeerCertificate());
  if (identity) throw new ProbeFailure('tls', `certificate does not match: ${identity.message}`);
}
