import type { CheckConfig } from '../config/checks.js';

// Query parameters that carry secrets often enough to never show them.
const SENSITIVE_PARAM = /^(token|access_token|api[-_]?key|key|secret|password|passwd|pass|auth|signature|sig|client_secret|session)$/i;

/** A URL without its credentials: userinfo and secret-looking query values become ***. */
export function redactUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return '(invalid url)';
  }
  if (url.username || url.password) {
    url.username = '***';
    url.password = '';
  }
  for (const key of [...url.searchParams.keys()]) {
    if (SENSITIVE_PARAM.test(key)) url.searchParams.set(key, '***');
  }
  // URLSearchParams would percent-encode the stars.
  return url.toString().replaceAll('%2A%2A%2A', '***');
}

/** What a check looks at, for logs and the status page; never holds a secret. */
export function describeTarget(check: CheckConfig): string {
  if (check.http) return `${check.http.method} ${redactUrl(check.http.url)}`;
  if (check.tcp) return `tcp${check.tcp.tls ? '+tls' : ''}://${check.tcp.address}`;
  if (check.tls) return `tls://${check.tls.address}${check.tls.serverName ? ` (${check.tls.serverName})` : ''}`;
  if (check.dns) {
    const { server, transport, name, type } = check.dns;
    return `${name} ${type} via ${transport}://${server.host.includes(':') ? `[${server.host}]` : server.host}:${server.port}`;
  }
  if (check.grpc) return `grpc${check.grpc.tls ? '+tls' : ''}://${check.grpc.address}${check.grpc.service ? ` (service ${JSON.stringify(check.grpc.service)})` : ''}`;
  return '(none)';
}
