import { connect as netConnect, type Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { splitHostPort } from '../config/fields.js';
import { earliestExpiry, tlsConnectOptions, verifyPeer, type TlsClientConfig } from './tls-client.js';
import { ProbeFailure, type ProbeContext } from './types.js';

/**
 * A TCP (optionally TLS) connection for the tcp and tls probers. It always
 * has an error listener, buffers what arrives, and is destroyed by whoever
 * opened it, on every path, and by an abort of the probe's signal.
 */
export class Connection {
  private text = '';
  private readonly decoder = new StringDecoder('utf8');
  private ended = false;
  private error: Error | undefined;
  private wake: (() => void) | undefined;
  private connected = false;
  private readonly onAbort = () => this.socket.destroy();

  private constructor(
    readonly socket: Socket | TLSSocket,
    private readonly ctx: ProbeContext,
    private readonly maxReadBytes: number,
    tls: boolean,
  ) {
    socket.once(tls ? 'secureConnect' : 'connect', () => {
      this.connected = true;
      this.notify();
    });
    socket.on('data', (chunk: Buffer) => {
      this.text += this.decoder.write(chunk);
      // Stop reading a flood; the expect step fails on the size below.
      if (this.text.length > this.maxReadBytes) socket.pause();
      this.notify();
    });
    socket.on('end', () => {
      this.ended = true;
      this.notify();
    });
    socket.on('error', (err) => {
      this.error ??= err;
      this.notify();
    });
    socket.on('close', () => {
      this.ended = true;
      this.notify();
    });
    ctx.signal.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Connects (and for TLS completes the handshake and verifies the peer). */
  static async open(address: string, tls: TlsClientConfig | undefined, ctx: ProbeContext, maxReadBytes = 64 * 1024): Promise<Connection> {
    const hp = splitHostPort(address);
    if (!hp) throw new ProbeFailure('dns', `not a host:port address: ${address}`);
    const host = hp.host || '127.0.0.1';
    const socket = tls
      ? tlsConnect({ ...tlsConnectOptions(tls, host), host, port: hp.port, rejectUnauthorized: false })
      : netConnect({ host, port: hp.port });
    const conn = new Connection(socket, ctx, maxReadBytes, tls !== undefined);
    try {
      await conn.waitFor(() => conn.connected, tls ? 'the TLS handshake completed' : 'connecting');
      if (tls) {
        const t = socket as TLSSocket;
        const expiry = earliestExpiry(t.getPeerCertificate(true));
        if (expiry !== undefined) ctx.onCertExpiry(expiry);
        verifyPeer(t, tls, host);
      }
      return conn;
    } catch (err) {
      conn.close();
      throw err;
    }
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** Waits until ready() holds; throws on error, end, or abort. */
  private async waitFor(ready: () => boolean, what: string): Promise<void> {
    for (;;) {
      if (this.ctx.signal.aborted) throw this.ctx.signal.reason;
      if (this.error) throw this.error;
      if (ready()) return;
      if (this.ended) throw new ProbeFailure('reset', `connection closed before ${what}`);
      await this.nextEvent();
    }
  }

  private nextEvent(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.ctx.signal.removeEventListener('abort', done);
        resolve();
      };
      this.wake = done;
      this.ctx.signal.addEventListener('abort', done, { once: true });
    });
  }

  async send(data: string): Promise<void> {
    if (this.ctx.signal.aborted) throw this.ctx.signal.reason;
    if (this.error) throw this.error;
    await new Promise<void>((resolve, reject) => {
      this.socket.write(data, (err) => (err ? reject(this.error ?? err) : resolve()));
    });
  }

  /** Reads until the pattern matches what arrived since the last match. */
  async expect(pattern: RegExp): Promise<RegExpExecArray> {
    for (;;) {
      const m = pattern.exec(this.text);
      if (m) {
        this.text = this.text.slice(m.index + m[0].length);
        return m;
      }
      if (this.ctx.signal.aborted) throw this.ctx.signal.reason;
      if (this.text.length > this.maxReadBytes) {
        throw new ProbeFailure('expect', `no match for /${pattern.source}/ within ${this.maxReadBytes} bytes`);
      }
      if (this.error) throw this.error;
      if (this.ended) {
        throw new ProbeFailure('expect', `connection closed without a match for /${pattern.source}/ (got ${JSON.stringify(this.text.slice(0, 80))})`);
      }
      await this.nextEvent();
    }
  }

  close(): void {
    this.ctx.signal.removeEventListener('abort', this.onAbort);
    this.socket.destroy();
  }
}
