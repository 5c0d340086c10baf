import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { makeCerts, type TestCerts } from '../support/certs.js';

export interface HostilePorts {
  refused: number;
  silent: number;
  headersStall: number;
  resetMidBody: number;
  wrongGreeting: number;
  http: number;
  https: number;
  expired: number;
  wrongHost: number;
  party: number;
  tlsParty: number;
}

export interface HostileServers {
  ports: HostilePorts;
  certs: TestCerts;
  pid: number;
  stop(): Promise<void>;
}

const CHILD = fileURLToPath(new URL('./checks-servers.child.ts', import.meta.url));

/** Fresh certificates and the servers of checks-servers.child.ts in a child process. */
export async function startHostileServers(): Promise<HostileServers> {
  const certs = makeCerts();
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, certs.dir], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const stop = async () => {
    proc.kill('SIGKILL');
    await exited;
    certs.cleanup();
  };
  try {
    const line = await new Promise<string>((resolve, reject) => {
      const rl = createInterface({ input: proc.stdout! });
      const timer = setTimeout(() => reject(new Error('hostile servers did not start within 15s')), 15_000);
      rl.once('line', (l) => {
        clearTimeout(timer);
        rl.close();
        resolve(l);
      });
      proc.once('exit', (code) => reject(new Error(`hostile servers exited with ${code}`)));
    });
    return { ports: JSON.parse(line) as HostilePorts, certs, pid: proc.pid!, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
