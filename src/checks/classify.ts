import { ProbeFailure, type FailureReason } from './types.js';

const TLS_CODES = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH|EPROTO$|ERR_OSSL_)/;

/** Maps any probe error to one bounded reason and a message safe to log. */
export function classifyError(err: unknown): { reason: FailureReason; message: string } {
  if (err instanceof ProbeFailure) return { reason: err.reason, message: err.message };
  const e = err as NodeJS.ErrnoException | undefined;
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = e?.message ?? String(err);
  switch (code) {
    case 'ECONNREFUSED':
      return { reason: 'refused', message };
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ECONNABORTED':
    case 'ERR_STREAM_PREMATURE_CLOSE':
      return { reason: 'reset', message };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
    case 'EAI_NODATA':
    case 'EAI_NONAME':
      return { reason: 'dns', message };
    case 'ETIMEDOUT':
    case 'ABORT_ERR':
      return { reason: 'timeout', message };
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EADDRNOTAVAIL':
      return { reason: 'refused', message };
  }
  if (TLS_CODES.test(code)) return { reason: 'tls', message };
  if (code === 'HPE_INVALID_CONSTANT' || code.startsWith('HPE_')) return { reason: 'body', message: `malformed HTTP response: ${message}` };
  // Unknown errors are most often the peer going away mid-conversation.
  return { reason: 'reset', message: code ? `${code}: ${message}` : message };
}
