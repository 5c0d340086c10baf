// sockeye launched the ways it ships (npm start's command, the image's ENV)
// really runs with the memory settings, and a serving sockeye does not load
// code only some uses need. Real processes, read through /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { SCHEMA_COMPILER_MODULES } from '../../src/schema-compilers.js';
import { parseDockerEnv, shippedLaunch } from '../support/launch.js';
import { poll } from '../support/poll.js';
import { REPO_ROOT, ensureBuilt, freePort, runSockeye, startSockeye } from '../support/sockeye.js';

const tmp = mkdtempSync(join(tmpdir(), 'sockeye-launch-'));
const started = new Set<ChildProcess>();
afterAll(async () => {
  // Each shell leads its own process group: its node child goes with it.
  for (const p of started) {
    try {
      process.kill(-p.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await Promise.all([...started].map((p) => (p.exitCode === null && p.signalCode === null ? new Promise((r) => p.once('exit', r)) : undefined)));
  rmSync(tmp, { recursive: true, force: true });
});

const PROBE = fileURLToPath(new URL('../support/loaded-modules.mjs', import.meta.url));
const MiB = 1024 * 1024;

/** The zero-config default (every process it can see) gives each scrape real work; state in tmp. */
function configFile(name: string): string {
  const path = join(tmp, `${name}.yaml`);
  writeFileSync(path, stringify({ logLevel: 'warn', stateDir: join(tmp, `${name}-state`) }));
  return path;
}

/** `pid` itself or its descendant whose command line runs dist/main.js. */
function findNode(pid: number): number | undefined {
  if (cmdline(pid).includes('dist/main.js')) return pid;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    for (const child of readFileSync(`/proc/${pid}/task/${task}/children`, 'latin1').split(' ').filter(Boolean)) {
      const found = findNode(Number(child));
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** The node process running dist/main.js at or under `pid`; throws when there is none. */
function nodeOf(pid: number): number {
  const found = findNode(pid);
  if (found === undefined) throw new Error(`no node process running dist/main.js at or under pid ${pid}`);
  return found;
}

const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').filter(Boolean);
const environ = (pid: number) => readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').filter(Boolean);

/** Scrapes `n` times; the main isolate's new space (both semi-spaces) as prom-client reports it after. */
async function newSpaceAfterScrapes(url: string, n: number): Promise<number> {
  let body = '';
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(200);
    body = await res.text();
  }
  const m = /^nodejs_heap_space_size_total_bytes\{space="new"\} (\S+)$/m.exec(body);
  expect(m, 'prom-client reports the new space').not.toBeNull();
  return Number(m![1]);
}

describe("npm start's command, run as the script says", () => {
  it('starts node with the flags and the malloc setting, and the young generation stays within 1 MiB semi-spaces', async () => {
    await ensureBuilt();
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } };
    const launch = shippedLaunch();
    const port = await freePort();
    // What npm runs: sh -c SCRIPT, arguments appended.
    const proc = spawn('sh', ['-c', `${pkg.scripts.start} "$@"`, 'sh', '--listen', `127.0.0.1:${port}`], {
      cwd: REPO_ROOT,
      env: { PATH: `${join(process.execPath, '..')}:${process.env.PATH}`, SOCKEYE_CONFIG: configFile('start') },
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    started.add(proc);
    let stderr = '';
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const url = `http://127.0.0.1:${port}`;
    await poll(async () => proc.exitCode === null && (await fetch(`${url}/readyz`)).ok, { timeoutMs: 15_000, what: `sockeye from npm start's command on ${url}` }).catch((err: Error) => {
      throw new Error(`${err.message}; stderr: ${stderr}`);
    });
    // The shell may exec node or fork it: the node process is the one running dist/main.js.
    const pid = nodeOf(proc.pid!);
    try {
      const args = cmdline(pid);
      expect(args.slice(1, 1 + launch.nodeFlags.length)).toEqual(launch.nodeFlags);
      expect(args[1 + launch.nodeFlags.length]).toBe('dist/main.js');
      for (const [k, v] of Object.entries(launch.env)) expect(environ(pid)).toContain(`${k}=${v}`);
      expect(await newSpaceAfterScrapes(url, 10)).toBeLessThanOrEqual(2 * MiB);
    } finally {
      process.kill(pid, 'SIGTERM');
    }
  });
});

describe("the image's runtime ENV", () => {
  it('reaches node through NODE_OPTIONS: same bound on the young generation', async () => {
    const env = parseDockerEnv(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'));
    expect(env.NODE_OPTIONS).toBeTruthy();
    const s = await startSockeye({ config: { logLevel: 'warn' }, env });
    for (const [k, v] of Object.entries(env)) expect(environ(s.pid)).toContain(`${k}=${v}`);
    expect(await newSpaceAfterScrapes(s.url, 10)).toBeLessThanOrEqual(2 * MiB);
    await s.stop();
  });
});

describe('modules a server does not load until needed', () => {
  /** Every module URL or path the process loaded, once it answered its `nth` SIGUSR2 (the file keeps what earlier answers wrote). */
  async function loaded(file: string, pid: number, nth = 1): Promise<string[]> {
    process.kill(pid, 'SIGUSR2');
    return poll(
      () => {
        const lines = readFileSync(file, 'utf8').split('\n');
        return lines.filter((l) => l === 'done').length >= nth && lines;
      },
      { timeoutMs: 5000, what: `${file} to hold ${nth} "done" line(s)` },
    );
  }

  /** The modules of dist/ among `modules`, as paths under it ("status/page.js"). */
  const distModules = (modules: string[]) => modules.map((m) => /\/dist\/(.+\.js)$/.exec(m)?.[1]).filter((m): m is string => m !== undefined);

  it("a scraped server has loaded fastify and the app, but neither fastify's schema compilers, the inspect command nor the web config's bcrypt", async () => {
    const file = join(tmp, 'server-modules.txt');
    writeFileSync(file, '');
    const s = await startSockeye({ config: { logLevel: 'warn' }, env: { NODE_OPTIONS: `--import=${PROBE}`, LOADED_MODULES_FILE: file } });
    expect((await fetch(`${s.url}/metrics`)).status).toBe(200);
    expect((await fetch(`${s.url}/api/status`)).status).toBe(200);
    const modules = await loaded(file, s.pid);
    await s.stop();
    // The probe sees both kinds: ESM (the app) and CommonJS (fastify's own requires).
    expect(modules.some((m) => m.endsWith('/dist/app.js'))).toBe(true);
    expect(modules.some((m) => /\/node_modules\/fastify\/lib\/route\.js$/.test(m))).toBe(true);
    for (const name of SCHEMA_COMPILER_MODULES) expect(modules.filter((m) => m.includes(`/node_modules/${name}/`))).toEqual([]);
    expect(modules.filter((m) => m.includes('/node_modules/ajv/'))).toEqual([]);
    expect(modules.filter((m) => m.includes('/dist/inspect/'))).toEqual([]);
    // gRPC (~20 MiB) only with a grpc check.
    expect(modules.filter((m) => /\/node_modules\/(@grpc|grpc-health-check|protobufjs)\//.test(m))).toEqual([]);
    expect(modules.filter((m) => m.includes('/node_modules/bcryptjs/') || m.endsWith('/dist/web-config/server.js'))).toEqual([]);
  });

  it('a sidecar only scraped holds neither the status page, the snapshot diff, node mode, the web config loader nor a check prober; the page loads its code when asked', async () => {
    const file = join(tmp, 'sidecar-modules.txt');
    writeFileSync(file, '');
    const s = await startSockeye({ config: { logLevel: 'warn', stateDir: join(tmp, 'sidecar-state') }, env: { NODE_OPTIONS: `--import=${PROBE}`, LOADED_MODULES_FILE: file } });
    try {
      expect((await fetch(`${s.url}/metrics`)).status).toBe(200);
      const scraped = distModules(await loaded(file, s.pid));
      // The collection and the snapshots' capturing side did run.
      expect(scraped).toEqual(expect.arrayContaining(['collectors/pipeline.js', 'snapshots/picture.js', 'snapshots/index.js', 'routes/status.js']));
      const notYet = /^(status\/|web-config\/|snapshots\/(compare|diff)\.js$|deltas\.js$|collectors\/(resolve-node|kube-pods)\.js$|procfs\/pid\/cgroup-kube\.js$|checks\/(http|tcp|tls|dns|grpc)\.js$)/;
      expect(scraped.filter((m) => notYet.test(m))).toEqual([]);

      expect((await fetch(`${s.url}/`)).status).toBe(200);
      const paged = distModules(await loaded(file, s.pid, 2));
      expect(paged).toEqual(expect.arrayContaining(['status/page.js', 'status/gather.js', 'status/schema.js']));
    } finally {
      await s.stop();
    }
  });

  it('a dns check loads its prober; fastify and dns-packet are required, never ES-imported (which would make node scan their source for export names)', async () => {
    const file = join(tmp, 'cjs-modules.txt');
    writeFileSync(file, '');
    // A dns check: its prober is what holds dns-packet.
    const s = await startSockeye({
      config: { logLevel: 'warn', targets: [], checks: [{ name: 'd', every: '1h', dns: { server: '127.0.0.1:1', name: 'example.org' } }] },
      env: { NODE_OPTIONS: `--import=${PROBE}`, LOADED_MODULES_FILE: file },
    });
    const modules = await loaded(file, s.pid);
    await s.stop();
    expect(distModules(modules)).toContain('checks/dns.js');
    // Required: in the require cache, as paths; ES imports would be file: URLs from the load hook.
    for (const entry of ['fastify/fastify.js', 'dns-packet/index.js']) {
      expect(modules.filter((m) => m.endsWith(`/node_modules/${entry}`))).toEqual([expect.stringMatching(/^\//)]);
    }
  });

  it('a node agent does load node mode\'s resolution (the probe would see it)', async () => {
    const file = join(tmp, 'node-modules.txt');
    writeFileSync(file, '');
    const s = await startSockeye({ config: { logLevel: 'warn', mode: 'node', stateDir: join(tmp, 'node-state') }, env: { NODE_OPTIONS: `--import=${PROBE}`, LOADED_MODULES_FILE: file } });
    try {
      expect((await fetch(`${s.url}/metrics`)).status).toBe(200);
      expect(distModules(await loaded(file, s.pid))).toContain('collectors/resolve-node.js');
    } finally {
      await s.stop();
    }
  });

  it('a grpc check does load grpc-js (the probe would see it)', async () => {
    const file = join(tmp, 'grpc-modules.txt');
    writeFileSync(file, '');
    const s = await startSockeye({
      config: { logLevel: 'warn', targets: [], checks: [{ name: 'g', every: '1h', grpc: { address: '127.0.0.1:1' } }] },
      env: { NODE_OPTIONS: `--import=${PROBE}`, LOADED_MODULES_FILE: file },
    });
    // Once the check has run (refused), the library is surely loaded.
    await poll(async () => ((await (await fetch(`${s.url}/api/status`)).json()) as { checks: { state: string }[] }).checks[0]?.state === 'failing', {
      timeoutMs: 10_000,
      what: 'the grpc check to have run',
    });
    const modules = await loaded(file, s.pid);
    await s.stop();
    expect(modules.some((m) => m.includes('/node_modules/@grpc/grpc-js/'))).toBe(true);
  });

  it('a server with basic auth in its web config does load bcrypt (the probe would see it)', async () => {
    const file = join(tmp, 'web-modules.txt');
    writeFileSync(file, '');
    const web = join(tmp, 'web.yml');
    writeFileSync(web, 'basic_auth_users:\n  p: $2y$10$GLNBlCcufrR5GfPcX7As3OzfX7Rff7k2GTrog30RvnoSgLxaltHDa\n');
    const auth = `Basic ${Buffer.from('p:scrape-secret').toString('base64')}`;
    const s = await startSockeye({
      config: { logLevel: 'warn' },
      args: ['--web.config.file', web],
      env: { NODE_OPTIONS: `--import=${PROBE}`, LOADED_MODULES_FILE: file },
      ready: async (x) => (await fetch(`${x.url}/readyz`, { headers: { authorization: auth } })).ok,
    });
    const modules = await loaded(file, s.pid);
    await s.stop();
    expect(modules.some((m) => m.includes('/node_modules/bcryptjs/'))).toBe(true);
  });

  it('`sockeye inspect` does load the inspect command (the probe would see it)', async () => {
    const file = join(tmp, 'inspect-modules.txt');
    writeFileSync(file, '');
    const r = await runSockeye(['inspect', String(process.pid), '--json'], { env: { NODE_OPTIONS: `--import=${PROBE}`, LOADED_MODULES_FILE: file } });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(file, 'utf8')).toMatch(/\/dist\/inspect\/command\.js$/m);
  });
});
