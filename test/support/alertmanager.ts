/**
 * A real Alertmanager (Debian's /usr/bin/prometheus-alertmanager) on a free
 * 127.0.0.1 port, clustering off (it would otherwise listen on 0.0.0.0:9094),
 * temp storage. For the e2e tests and `npm run demo`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { spawnChild, untilReady, type Child } from './child.js';
import { getJson } from './poll.js';
import { freePort } from './sockeye.js';

export const ALERTMANAGER_BIN = process.env.ALERTMANAGER_BIN ?? 'prometheus-alertmanager';

export interface Alertmanager {
  url: string;
  port: number;
  dir: string;
  child: Child;
  /** Alerts Alertmanager holds now (/api/v2/alerts). */
  alerts(): Promise<Array<{ labels: Record<string, string>; status: { state: string } }>>;
  stop(): Promise<void>;
}

export interface AlertmanagerOptions {
  /** alertmanager.yml as an object or YAML text. */
  config: Record<string, unknown> | string;
  readyTimeoutMs?: number;
}

export async function startAlertmanager(options: AlertmanagerOptions): Promise<Alertmanager> {
  const dir = mkdtempSync(join(tmpdir(), 'sockeye-am-'));
  const configPath = join(dir, 'alertmanager.yml');
  writeFileSync(configPath, typeof options.config === 'string' ? options.config : stringify(options.config));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawnChild('alertmanager', ALERTMANAGER_BIN, [
    `--config.file=${configPath}`,
    `--storage.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--cluster.listen-address=',
    '--log.level=warn',
  ]);
  const am: Alertmanager = {
    url,
    port,
    dir,
    child,
    alerts: () => getJson(`${url}/api/v2/alerts`),
    async stop() {
      await child.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await untilReady(child, `${url}/-/ready`, options.readyTimeoutMs ?? 30_000, () => am.stop());
  return am;
}
