/**
 * A real authoritative DNS server (Debian's nsd) on 127.0.0.1, UDP and TCP on
 * one port, serving the zone files given, in the foreground of a child that
 * the test file's afterAll stops.
 *
 *   const dns = await startNsd({ 'example.test': ZONE });   // { port, stop() }
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnChild, type Child } from './child.js';
import { poll } from './poll.js';
import { freePort } from './sockeye.js';

export interface Nsd {
  port: number;
  child: Child;
  stop(): Promise<void>;
}

function conf(dir: string, port: number, zones: string[]): string {
  return `server:
  ip-address: 127.0.0.1
  port: ${port}
  username: ""
  chroot: ""
  zonesdir: "${dir}"
  pidfile: "${dir}/nsd.pid"
  database: ""
  xfrdfile: "${dir}/xfrd.state"
  xfrdir: "${dir}"
  zonelistfile: "${dir}/zone.list"
  server-count: 1
  reuseport: no
  verbosity: 1
  hide-version: yes
remote-control:
  control-enable: no
${zones.map((z) => `zone:\n  name: "${z}"\n  zonefile: "${z}.zone"\n`).join('')}`;
}

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });

export async function startNsd(zones: Record<string, string>): Promise<Nsd> {
  const dir = mkdtempSync(join(tmpdir(), 'sockeye-nsd-'));
  for (const [name, text] of Object.entries(zones)) writeFileSync(join(dir, `${name}.zone`), text);
  // freePort checks TCP only; nsd also binds UDP, so a taken port is retried.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    writeFileSync(join(dir, 'nsd.conf'), conf(dir, port, Object.keys(zones)));
    const child = spawnChild('nsd', 'nsd', ['-d', '-c', join(dir, 'nsd.conf')]);
    const stop = async () => {
      await child.stop(3000);
      rmSync(dir, { recursive: true, force: true });
    };
    try {
      await Promise.race([
        poll(() => accepts(port), { timeoutMs: 15_000, what: `nsd listening on 127.0.0.1:${port}` }),
        child.exited.then((e) => Promise.reject(new Error(`nsd exited (${e.code ?? e.signal})`))),
      ]);
      return { port, child, stop };
    } catch (err) {
      const logs = child.logs();
      await child.stop(1000);
      if (attempt < 3 && /address already in use/i.test(logs)) continue;
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`${(err as Error).message}\nnsd output:\n${logs}`);
    }
  }
}
