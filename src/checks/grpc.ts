import type { Socket } from 'node:net';
import { checkServerIdentity, type DetailedPeerCertificate, type PeerCertificate } from 'node:tls';
import type * as Grpc from '@grpc/grpc-js';
import type { GrpcCheckConfig } from '../config/checks.js';
import { splitHostPort } from '../config/fields.js';
import { VERSION } from '../version.js';
import { earliestExpiry, loadCa } from './tls-client.js';
import { ProbeFailure, type FailureReason, type Prober } from './types.js';

interface HealthCheckResponse {
  status?: string;
}

interface GrpcLibrary {
  grpc: typeof Grpc;
  check: { path: string; requestSerialize: (value: unknown) => Buffer; responseDeserialize: (bytes: Buffer) => HealthCheckResponse };
  /** Credentials that add every socket the channel uses to `sockets`. */
  tracked(inner: Grpc.ChannelCredentials, sockets: Set<Socket>): Grpc.ChannelCredentials;
}

let library: Promise<GrpcLibrary> | undefined;

/**
 * grpc-js and the health service's definition cost ~200 ms and ~20 MiB to
 * load: only a configuration with a grpc check loads them (the runner calls
 * this at start so that the first run does not pay for it).
 */
export function loadGrpc(): Promise<GrpcLibrary> {
  library ??= (async () => {
    const grpc = await import('@grpc/grpc-js');
    const health = await import('grpc-health-check');
    const check = (health.service as unknown as Record<string, GrpcLibrary['check']>)['Check']!;
    // grpc-js does not end a connection attempt that its channel no longer
    // wants (a server that accepts and never sends its HTTP/2 settings keeps
    // it open for good): the prober destroys the sockets itself.
    class TrackedCredentials extends grpc.ChannelCredentials {
      constructor(
        private readonly inner: Grpc.ChannelCredentials,
        private readonly sockets: Set<Socket>,
      ) {
        super();
      }
      _isSecure(): boolean {
        return this.inner._isSecure();
      }
      _equals(other: Grpc.ChannelCredentials): boolean {
        return other === this;
      }
      _createSecureConnector(...args: Parameters<Grpc.ChannelCredentials['_createSecureConnector']>): ReturnType<Grpc.ChannelCredentials['_createSecureConnector']> {
        const connector = this.inner._createSecureConnector(...args);
        const sockets = this.sockets;
        return {
          async connect(socket: Socket) {
            sockets.add(socket);
            const result = await connector.connect(socket);
            sockets.add(result.socket);
            return result;
          },
          waitForReady: () => connector.waitForReady(),
          getCallCredentials: () => connector.getCallCredentials(),
          destroy: () => connector.destroy(),
        };
      }
    }
    return { grpc, check, tracked: (inner, sockets) => new TrackedCredentials(inner, sockets) };
  })();
  return library;
}

const STATUS_NAMES: Record<number, string> = {
  1: 'CANCELLED',
  2: 'UNKNOWN',
  3: 'INVALID_ARGUMENT',
  4: 'DEADLINE_EXCEEDED',
  5: 'NOT_FOUND',
  6: 'ALREADY_EXISTS',
  7: 'PERMISSION_DENIED',
  8: 'RESOURCE_EXHAUSTED',
  9: 'FAILED_PRECONDITION',
  10: 'ABORTED',
  11: 'OUT_OF_RANGE',
  12: 'UNIMPLEMENTED',
  13: 'INTERNAL',
  14: 'UNAVAILABLE',
  15: 'DATA_LOSS',
  16: 'UNAUTHENTICATED',
};

// grpc-js reports a failed connection as UNAVAILABLE with the socket's error in the details.
const UNAVAILABLE_CAUSES: Array<[RegExp, FailureReason]> = [
  [/ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|EADDRNOTAVAIL/, 'refused'],
  [/ENOTFOUND|EAI_AGAIN|EAI_FAIL|EAI_NODATA|EAI_NONAME|Name resolution failed|DNS resolution failed/i, 'dns'],
  [/certificate|CERT_|SSL|TLS|self[- ]signed|Hostname\/IP does not match|ERR_OSSL|handshake/i, 'tls'],
  [/ETIMEDOUT/, 'timeout'],
];

/** A grpc-js error as one of the bounded reasons. */
export function grpcFailure(err: Grpc.ServiceError, service: string): ProbeFailure {
  const name = STATUS_NAMES[err.code] ?? `status ${err.code}`;
  const details = err.details || err.message;
  switch (err.code) {
    case 5: // the health protocol's answer for a service the server does not know
      return new ProbeFailure('not_serving', `service ${JSON.stringify(service)} is unknown to the server (NOT_FOUND)`);
    case 4:
      return new ProbeFailure('timeout', `DEADLINE_EXCEEDED: ${details}`);
    case 12:
      return new ProbeFailure('status', `UNIMPLEMENTED: the server has no grpc.health.v1.Health service`);
    case 14: {
      const reason = UNAVAILABLE_CAUSES.find(([re]) => re.test(details))?.[1] ?? 'reset';
      return new ProbeFailure(reason, `UNAVAILABLE: ${details}`);
    }
    default:
      return new ProbeFailure('status', `${name}: ${details}`);
  }
}

/** grpc.health.v1.Health/Check over a channel of its own, closed when the run ends. */
export const probeGrpc: Prober<GrpcCheckConfig> = async (cfg, ctx) => {
  const { grpc, check, tracked } = await loadGrpc();
  if (ctx.signal.aborted) throw ctx.signal.reason;
  const hp = splitHostPort(cfg.address)!;
  const host = hp.host || '127.0.0.1';
  const target = `${host.includes(':') ? `[${host}]` : host}:${hp.port}`;
  const options: Grpc.ChannelOptions = {
    // A channel of its own: the shared subchannel pool would keep the connection after close().
    'grpc.use_local_subchannel_pool': 1,
    'grpc.enable_retries': 0,
    'grpc.service_config_disable_resolution': 1,
    'grpc.primary_user_agent': `sockeye/${VERSION}`,
    'grpc.max_receive_message_length': 64 * 1024,
  };
  let credentials: Grpc.ChannelCredentials;
  if (cfg.tls) {
    const tls = cfg.tls;
    const serverName = tls.serverName ?? host;
    if (tls.serverName) {
      options['grpc.ssl_target_name_override'] = tls.serverName;
      options['grpc.default_authority'] = tls.serverName;
    }
    credentials = grpc.credentials.createSsl(tls.caFile ? loadCa(tls.caFile) : null, null, null, {
      rejectUnauthorized: !tls.insecureSkipVerify,
      // Called once the chain is trusted: the expiry of what was presented, then the host name.
      checkServerIdentity(_host: string, cert: PeerCertificate) {
        const expiry = earliestExpiry(cert as DetailedPeerCertificate);
        if (expiry !== undefined) ctx.onCertExpiry(expiry);
        return checkServerIdentity(serverName, cert);
      },
    });
  } else {
    credentials = grpc.credentials.createInsecure();
  }
  const sockets = new Set<Socket>();
  const client = new grpc.Client(target, tracked(credentials, sockets), options);
  try {
    const response = await new Promise<HealthCheckResponse>((resolve, reject) => {
      const call = client.makeUnaryRequest(check.path, check.requestSerialize, check.responseDeserialize, { service: cfg.service }, new grpc.Metadata(), { deadline: Date.now() + ctx.timeoutMs }, (err, value) =>
        err ? reject(grpcFailure(err, cfg.service)) : resolve(value ?? {}),
      );
      ctx.signal.addEventListener('abort', () => call.cancel(), { once: true });
    });
    const status = response.status ?? 'UNKNOWN';
    if (status !== 'SERVING') throw new ProbeFailure('not_serving', `${cfg.service === '' ? 'the server' : `service ${JSON.stringify(cfg.service)}`} is ${status}`);
  } finally {
    client.close();
    for (const socket of sockets) socket.destroy();
  }
};
