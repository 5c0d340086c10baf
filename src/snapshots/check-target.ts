// Which target a failing check is about, for the alerts that carry a `check`
// label and no `target` (CheckFailing, CheckNotRunning): a check of a service
// on this machine connects to a loopback port, and the target listening on
// that port is the process that stopped answering. Pure: the caller passes
// the check's config and the last collection's targets.
import { isIP } from 'node:net';
import type { TargetSnapshot } from '../collectors/snapshot.js';
import type { CheckConfig } from '../config/checks.js';
import { splitHostPort } from '../config/fields.js';

function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/** The port the check connects to when that is on this machine (a loopback host); undefined otherwise (dns checks ask a server, not a target). */
export function localCheckPort(check: CheckConfig): number | undefined {
  let hp: { host: string; port: number } | undefined;
  if (check.http) {
    const url = new URL(check.http.url);
    hp = { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port) };
  } else {
    const address = check.tcp?.address ?? check.tls?.address ?? check.grpc?.address;
    hp = address === undefined ? undefined : splitHostPort(address);
  }
  return hp && isLoopback(hp.host) ? hp.port : undefined;
}

/** The one target listening on the check's local port; undefined when none or several do (no guessing). */
export function targetOfCheck(check: CheckConfig, targets: readonly TargetSnapshot[]): string | undefined {
  const port = localCheckPort(check);
  if (port === undefined) return undefined;
  const listening = targets.filter((t) => t.total.listen.some((l) => l.port === port));
  return listening.length === 1 ? listening[0]!.name : undefined;
}
