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

export type HostileServers = ServerChild<HostilePorts>;

export interface ServerChild<P> {
  ports: P;
  certs: TestCerts;
  pid: number;
  stop(): Promise<void>;
}

/** Fresh certificates and the servers of checks-servers.child.ts in a child process. */
export function startHostileServers(): Promise<HostileServers> {
  return startServerChild<HostilePorts>('./checks-servers.child.ts');
}

/**
 * Fresh certificates and a server child (a .child.ts file next to this one,
 * given the certificates' directory) that prints its ports as one JSON line.
 */
export async function startServerChild<P>(file: string): Promise<ServerChild<P>> {
  const child = fileURLToPath(new URL(file, import.meta.url));
  const certs = makeCerts();
  const proc = spawn(process.execPath, ['--import', 'tsx', child, certs.dir], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const stop = async () => {
    proc.kill('SIGKILL');
    await exited;
    certs.cleanup();
  };
  try {
    const line = await new Promise<string>((resolve, reject) => {
      const rl = createInterface({ input: proc.stdout! });
      const timer = setTimeout(() => reject(new Error(`${file} did not start within 15s`)), 15_000);
      rl.once('line', (l) => {
        clearTimeout(timer);
        rl.close();
        resolve(l);
      });
      proc.once('exit', (code) => reject(new Error(`${file} exited with ${code}`)));
    });
    return { ports: JSON.parse(line) as P, certs, pid: proc.pid!, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
