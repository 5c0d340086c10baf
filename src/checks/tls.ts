import type { TlsCheckConfig } from '../config/checks.js';
import { Connection } from './connection.js';
import { ProbeFailure, type Prober } from './types.js';

const DAY_MS = 86_400_000;

/** Handshake, verify chain and host name, and require minValidDays of validity left. */
export const probeTls: Prober<TlsCheckConfig> = async (cfg, ctx) => {
  let expiry: number | undefined;
  const conn = await Connection.open(cfg.address, cfg, {
    ...ctx,
    onCertExpiry(ms) {
      expiry = ms;
      ctx.onCertExpiry(ms);
    },
  });
  conn.close();
  if (cfg.minValidDays > 0 && expiry !== undefined) {
    const left = (expiry - Date.now()) / DAY_MS;
    if (left < cfg.minValidDays) {
      throw new ProbeFailure('tls', `certificate expires in ${left.toFixed(1)} days, fewer than minValidDays (${cfg.minValidDays})`);
    }
  }
};
