/**
 * A webhook receiver for Alertmanager in the test process: records every
 * delivery with the time it arrived, so tests can say "this alert reached a
 * receiver N seconds after the fault" and "nothing but Watchdog arrived".
 *
 *   const hook = await startWebhook();
 *   // Alertmanager receivers: url: `${hook.url}/pager`, `${hook.url}/deadman`
 *   const got = await hook.waitFor({ alertname: 'SockeyeDown', labels: { instance } }, 30_000);
 *   await hook.close();
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { poll } from './poll.js';

/** One alert as Alertmanager's webhook payload (version 4) carries it. */
export interface WebhookAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  fingerprint: string;
}

export interface Delivery {
  /** Date.now() when the request arrived. */
  at: number;
  /** Request path: tells receivers (and Alertmanagers) apart. */
  path: string;
  receiver: string;
  status: 'firing' | 'resolved';
  alerts: WebhookAlert[];
}

export interface AlertMatch {
  alertname: string;
  /** Every given label must equal. */
  labels?: Record<string, string>;
  status?: 'firing' | 'resolved';
  /** Only deliveries to this path. */
  path?: string;
  /** Only deliveries that arrived at or after this time (ms). */
  since?: number;
}

export interface Webhook {
  url: string;
  deliveries(): Delivery[];
  /** First delivery (in arrival order) carrying a matching alert. */
  find(match: AlertMatch): { delivery: Delivery; alert: WebhookAlert } | undefined;
  waitFor(match: AlertMatch, timeoutMs: number): Promise<{ delivery: Delivery; alert: WebhookAlert }>;
  /** Answer this path with an HTTP status (e.g. 500 to make notifications fail). */
  respondWith(path: string, status: number): void;
  close(): Promise<void>;
}

export function matches(alert: WebhookAlert, m: AlertMatch): boolean {
  if (alert.labels.alertname !== m.alertname) return false;
  if (m.status && alert.status !== m.status) return false;
  for (const [k, v] of Object.entries(m.labels ?? {})) if (alert.labels[k] !== v) return false;
  return true;
}

export async function startWebhook(): Promise<Webhook> {
  const got: Delivery[] = [];
  const statusFor = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = Date.now();
      const path = new URL(req.url ?? '/', 'http://hook').pathname;
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Omit<Delivery, 'at' | 'path'>;
        got.push({ at, path, receiver: body.receiver, status: body.status, alerts: body.alerts ?? [] });
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"expected an Alertmanager webhook JSON body"}');
        return;
      }
      res.writeHead(statusFor.get(path) ?? 200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const find = (m: AlertMatch) => {
    for (const delivery of got) {
      if (m.path && delivery.path !== m.path) continue;
      if (m.since !== undefined && delivery.at < m.since) continue;
      const alert = delivery.alerts.find((a) => matches(a, m));
      if (alert) return { delivery, alert };
    }
    return undefined;
  };

  return {
    url: `http://127.0.0.1:${port}`,
    deliveries: () => [...got],
    find,
    waitFor: (m, timeoutMs) =>
      poll(() => find(m), {
        timeoutMs,
        what: `alert ${m.alertname} ${JSON.stringify(m.labels ?? {})} (${m.status ?? 'any status'}) at the webhook receiver${m.path ? ` ${m.path}` : ''}`,
      }),
    respondWith: (path, status) => void statusFor.set(path, status),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
