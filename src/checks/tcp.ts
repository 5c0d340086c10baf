import type { TcpCheckConfig } from '../config/checks.js';
import { Connection } from './connection.js';
import type { Prober } from './types.js';

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '0': '\0', '\\': '\\' };

/**
 * Turns \r \n \t \0 \\ and \xHH in a send step into the bytes, so that
 * single-quoted YAML ('RING\r\n') means what a protocol author expects.
 */
export function parseEscapes(text: string): string {
  return text.replace(/\\(x[0-9A-Fa-f]{2}|[nrt0\\])/g, (_, e: string) => (e[0] === 'x' ? String.fromCharCode(parseInt(e.slice(1), 16)) : ESCAPES[e]!));
}

/** Connects, then runs the send/expect conversation; every step shares the check's timeout. */
export const probeTcp: Prober<TcpCheckConfig> = async (cfg, ctx) => {
  const conn = await Connection.open(cfg.address, cfg.tls, ctx, cfg.maxReadBytes);
  try {
    for (const step of cfg.conversation) {
      if ('send' in step) await conn.send(parseEscapes(step.send));
      else await conn.expect(new RegExp(step.expect));
    }
  } finally {
    conn.close();
  }
};
