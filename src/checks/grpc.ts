import type { Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type * as Grpc from '@grpc/grpc-js';
import type { GrpcCheckConfig } from '../config/checks.js';
import { splitHostPort } from '../config/fields.js';
import { VERSION } from '../version.js';
import { earliestExpiry, tlsConnectOptions, verifyPeer, type TlsClientConfig } from './tls-client.js';
import { ProbeFailure, type FailureReason, type ProbeContext, type Prober } from './types.js';

interface HealthCheckResponse {
  status?: string;
}

interface GrpcLibrary {
  grpc: typeof Grpc;
  check: { path: string; requestSerialize: (value: unknown) => Buffer; responseDeserialize: (bytes: Buffer) => HealthCheckResponse };
  /** Channel credentials whose connections the prober makes and owns (see ProbeConnector). */
  credentials(connector: ProbeConnector): Grpc.ChannelCredentials;
}

/**
 * The connection layer of one run's channel. grpc-js does not end a
 * connection attempt its channel no longer wants (a server that accepts and
 * never sends its HTTP/2 settings keeps it open for good), so every socket is
 * kept here and destroyed when the run ends. TLS is done as by the tls and
 * tcp probers: SNI only for host names, verification after the handshake so
 * that an expired chain's expiry is still reported, the same reasons.
 */
class ProbeConnector {
  readonly sockets = new Set<Socket>();
  /** Why the last connection failed, in our words (grpc-js only keeps its text). */
  failure: unknown;

  constructor(
    private readonly tls: TlsClientConfig | undefined,
    private readonly host: string,
    private readonly ctx: ProbeContext,
  ) {}

  get secure(): boolean {
    return this.tls !== undefined;
  }

  connect(socket: Socket): Promise<{ socket: Socket; secure: boolean }> {
    this.sockets.add(socket);
    const tls = this.tls;
    if (!tls) return Promise.resolve({ socket, secure: false });
    return new Promise((resolve, reject) => {
      const fail = (err: unknown) => {
        this.failure = err;
        reject(err instanceof Error ? err : new Error(String(err)));
      };
      let secured: TLSSocket;
      try {
        secured = tlsConnect({ socket, ...tlsConnectOptions(tls, this.host), rejectUnauthorized: false, ALPNProtocols: ['h2'] });
      } catch (err) {
        return fail(err);
      }
      this.sockets.add(secured);
      secured.once('error', fail);
      secured.once('secureConnect', () => {
        try {
          const expiry = earliestExpiry(secured.getPeerCertificate(true));
          if (expiry !== undefined) this.ctx.onCertExpiry(expiry);
          verifyPeer(secured, tls, this.host);
          secured.removeListener('error', fail);
          resolve({ socket: secured, secure: true });
        } catch (err) {
          fail(err);
        }
      });
    });
  }

  close(): void {
    for (const socket of this.sockets) socket.destroy();
  }
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
    // grpc-js's extension point for how a channel connects (its own TLS and
    // insecure credentials implement the same three methods).
    class ProbeCredentials extends grpc.ChannelCredentials {
      constructor(private readonly connector: ProbeConnector) {
        super();
      }
      _isSecure(): boolean {
        return this.connector.secure;
      }
      _equals(other: Grpc.ChannelCredentials): boolean {
        return other === this;
      }
      _createSecureConnector(): ReturnType<Grpc.ChannelCredentials['_createSecureConnector']> {
        const connector = this.connector;
        return {
          connect: (socket: Socket) => connector.connect(socket),
          waitForReady: () => Promise.resolve(),
          getCallCredentials: () => grpc.credentials.createEmpty(),
          destroy: () => undefined,
        };
      }
    }
    return { grpc, check, credentials: (connector) => new ProbeCredentials(connector) };
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
  const { grpc, check, credentials } = await loadGrpc();
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
  // The authority (and with TLS the name verified) is serverName when given.
  if (cfg.tls?.serverName) options['grpc.default_authority'] = `${cfg.tls.serverName}:${hp.port}`;
  const connector = new ProbeConnector(cfg.tls, host, ctx);
  const client = new grpc.Client(target, credentials(connector), options);
  try {
    const response = await new Promise<HealthCheckResponse>((resolve, reject) => {
      const call = client.makeUnaryRequest(check.path, check.requestSerialize, check.responseDeserialize, { service: cfg.service }, new grpc.Metadata(), { deadline: Date.now() + ctx.timeoutMs }, (err, value) =>
        // A connection our connector refused (TLS) fails the call as UNAVAILABLE: say why in our words.
        err ? reject(err.code === 14 && connector.failure !== undefined ? connector.failure : grpcFailure(err, cfg.service)) : resolve(value ?? {}),
      );
      ctx.signal.addEventListener('abort', () => call.cancel(), { once: true });
    });
    const status = response.status ?? 'UNKNOWN';
    if (status !== 'SERVING') throw new ProbeFailure('not_serving', `${cfg.service === '' ? 'the server' : `service ${JSON.stringify(cfg.service)}`} is ${status}`);
  } finally {
    client.close();
    connector.close();
  }
};
