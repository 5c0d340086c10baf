// npm run bench:memory [-- options] — where sockeye's resident memory goes,
// idle and after scrapes of the 19,000-fd fixture, for launch variants (node
// flags, malloc env, kernel source, worker heap limits) side by side.
// Runs are paired: every repetition starts each variant once, in a rotating
// order, so machine load hits them alike. Figures come from /proc/PID/status
// and /proc/PID/smaps of the real `dist/main.js` (nothing is loaded into the
// measured process); the main isolate's heap from prom-client's own metrics
// in the scrape. Reports; never asserts. Wrap it in
// `flock /tmp/sockeye-bench.lock` on a shared machine.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parse, stringify } from 'yaml';
import { ensureBuilt, freePort, MAIN_JS, REPO_ROOT } from '../test/support/sockeye.js';
import { cleanup, installCleanupHandlers, track, trackDir } from './cleanup.js';
import { startFixtures } from './fixtures/index.js';
import { OUT } from './floor.js';
import { scrape, waitHttp } from './http.js';
import { MAPPING_GROUPS, parseMainHeap, readMemory, type MainHeap, type MemorySample } from './memory/maps.js';
import { SHIPPED } from './sockeye/server.js';
import { max, median, mib, ms, sig } from './stats.js';

const USAGE = `npm run bench:memory [-- options]

  --variants LIST   comma-separated; each a '+'-joined set of tokens (default: ${defaultVariants().join(',')})
                      plain          node dist/main.js, no flag
                      shipped        as package.json's start script launches it (${[...Object.entries(SHIPPED.env).map(([k, v]) => `${k}=${v}`), ...SHIPPED.nodeFlags].join(' ') || 'no flag'})
                      semiN          --max-semi-space-size=N (MiB) on the main isolate
                      arenaN         MALLOC_ARENA_MAX=N
                      native, text    the kernel source (default: chosen as sockeye chooses; text runs in the worker)
                      wyoungN        the worker's young generation N MiB (default 2)
                      optsize        --optimize-for-size
                      lite           --lite-mode (no optimizing compiler)
                      --FLAG[=V]     any other node/V8 flag, e.g. --v8-pool-size=1
                      VAR=VALUE      any environment variable, e.g. MALLOC_MMAP_THRESHOLD_=131072
                      key.path=VALUE a setting of sockeye's config file (VALUE read as YAML),
                                     e.g. snapshots.enabled=false
                      baseline       the main.js of --baseline DIR instead of dist/ (a build of an
                                     older commit: code changes measured against it, paired)
                      bare | deps | appimport
                                     floors, idle only: node doing nothing; node that loaded
                                     fastify, prom-client, zod and yaml as sockeye loads them
                                     (fastify required); node that imported dist/app.js
  --reps N          runs of each variant (default 3)
  --scrapes N       /metrics scrapes before the "after" sample (default 20)
  --interval MS     pause between scrapes (default 0: back to back)
  --fds N           the target's fds (default 19000)
  --settle MS       wait before each sample (default 3000)
  --baseline DIR    a dist/ built from another commit, for the baseline token
  --checks N        also run N http checks every second against a local server (default 0)
  -h, --help`;

function defaultVariants(): string[] {
  return ['plain', 'semi1', 'arena2', 'semi1+arena2', 'text+semi1+arena2', 'deps'];
}

interface Variant {
  name: string;
  nodeFlags: string[];
  env: Record<string, string>;
  collection: Record<string, unknown> | undefined;
  floor: 'bare' | 'deps' | 'appimport' | undefined;
  baseline: boolean;
  /** Config file settings by dotted path (key.path=VALUE tokens). */
  settings: [string[], unknown][];
}

function parseVariant(name: string): Variant {
  const v: Variant = { name, nodeFlags: [], env: {}, collection: undefined, floor: undefined, baseline: false, settings: [] };
  for (const token of name.split('+')) {
    let m: RegExpExecArray | null;
    if (token === 'plain') continue;
    if (token === 'shipped') {
      v.nodeFlags.push(...SHIPPED.nodeFlags);
      Object.assign(v.env, SHIPPED.env);
    }
    else if ((m = /^semi(\d+)$/.exec(token))) v.nodeFlags.push(`--max-semi-space-size=${m[1]}`);
    else if ((m = /^arena(\d+)$/.exec(token))) v.env.MALLOC_ARENA_MAX = m[1]!;
    else if (token === 'native' || token === 'text') v.collection = { ...v.collection, source: token };
    else if ((m = /^wyoung(\d+)$/.exec(token))) v.collection = { ...v.collection, workerResourceLimits: { maxYoungGenerationSizeMb: Number(m[1]), maxOldGenerationSizeMb: 128 } };
    else if (token === 'optsize') v.nodeFlags.push('--optimize-for-size');
    else if (token === 'lite') v.nodeFlags.push('--lite-mode');
    else if (token === 'bare' || token === 'deps' || token === 'appimport') v.floor = token;
    else if (token === 'baseline') v.baseline = true;
    else if (/^--[\w-]+(=\S+)?$/.test(token)) v.nodeFlags.push(token);
    else if ((m = /^([A-Z_][A-Z0-9_]*)=(\S+)$/.exec(token))) v.env[m[1]!] = m[2]!;
    else if ((m = /^([a-z]\w*(?:\.\w+)*)=(\S+)$/.exec(token))) v.settings.push([m[1]!.split('.'), parse(m[2]!)]);
    else throw new Error(`unknown variant token ${JSON.stringify(token)} in ${JSON.stringify(name)}`);
  }
  return v;
}

function options() {
  const { values } = parseArgs({
    options: {
      variants: { type: 'string' },
      reps: { type: 'string', default: '3' },
      scrapes: { type: 'string', default: '20' },
      interval: { type: 'string', default: '0' },
      fds: { type: 'string', default: '19000' },
      settle: { type: 'string', default: '3000' },
      baseline: { type: 'string' },
      checks: { type: 'string', default: '0' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const int = (name: string, text: string, min: number, maxValue: number) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > maxValue) {
      process.stderr.write(`bench:memory: --${name} must be a whole number in ${min}..${maxValue}, got ${JSON.stringify(text)}\n`);
      process.exit(2);
    }
    return n;
  };
  let variants: Variant[];
  try {
    variants = (values.variants?.split(',') ?? defaultVariants()).map((s) => parseVariant(s.trim()));
  } catch (err) {
    process.stderr.write(`bench:memory: ${(err as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (variants.some((v) => v.floor && v.settings.length > 0) || variants.some((v) => v.baseline && (v.collection || v.floor)) || (variants.some((v) => v.baseline) && !values.baseline)) {
    process.stderr.write('bench:memory: the baseline token needs --baseline DIR and combines with node flags, malloc env and settings only; floors take no settings\n');
    process.exit(2);
  }
  return {
    baseline: values.baseline === undefined ? undefined : join(resolve(values.baseline), 'main.js'),
    variants,
    reps: int('reps', values.reps, 1, 50),
    scrapes: int('scrapes', values.scrapes, 1, 10_000),
    interval: int('interval', values.interval, 0, 60_000),
    fds: int('fds', values.fds, 100, 19_500),
    settle: int('settle', values.settle, 0, 60_000),
    checks: int('checks', values.checks, 0, 5000),
  };
}

interface RunResult {
  variant: string;
  idle: MemorySample;
  after?: MemorySample;
  heap?: MainHeap;
  scrapeMs?: number;
  openFds?: number;
}

const NODE_BINARY = realpathSync(process.execPath);
const SERVE = fileURLToPath(new URL('./memory/serve.mjs', import.meta.url));
/** What each floor loads: `require:` as sockeye requires it (src/require-cjs.ts), the rest imported. */
const FLOOR_LOADS = {
  bare: [],
  deps: ['require:fastify', 'prom-client', 'zod', 'yaml'],
  appimport: [new URL('../dist/app.js', import.meta.url).href],
} as const;

function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  // What the measured process sees must be only what the variant sets.
  for (const [k, value] of Object.entries(process.env)) if (!k.startsWith('SOCKEYE_') && !k.startsWith('MALLOC_') && k !== 'NODE_OPTIONS') env[k] = value;
  return { ...env, ...extra };
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

async function stop(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited(child);
  clearTimeout(timer);
}

async function runFloor(v: Variant, settle: number): Promise<RunResult> {
  const imports = FLOOR_LOADS[v.floor!]
    .map((m) => (m.startsWith('require:') ? `(await import('node:module')).createRequire(${JSON.stringify(`${REPO_ROOT}/`)})(${JSON.stringify(m.slice('require:'.length))});` : `await import(${JSON.stringify(m)});`))
    .join(' ');
  const child = track(
    spawn(process.execPath, [...v.nodeFlags, '--input-type=module', '-e', `${imports} process.send?.('up'); setInterval(() => {}, 60_000);`], {
      cwd: REPO_ROOT,
      env: childEnv(v.env),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`${v.name}: exited (${code}) before it was up`)));
    });
    await sleep(settle);
    return { variant: v.name, idle: readMemory(child.pid!, NODE_BINARY) };
  } finally {
    await stop(child);
  }
}

/** The config with each key.path=VALUE of the variant set in it. */
function withSettings(config: Record<string, unknown>, settings: Variant['settings']): Record<string, unknown> {
  for (const [path, value] of settings) {
    let at = config;
    for (const key of path.slice(0, -1)) at = (at[key] ??= {}) as Record<string, unknown>;
    at[path.at(-1)!] = value;
  }
  return config;
}

async function runSockeye(v: Variant, targetPid: number, o: ReturnType<typeof options>, checkUrl: string | undefined): Promise<RunResult> {
  const dir = trackDir(mkdtempSync(join(tmpdir(), 'sockeye-memory-')));
  const config = join(dir, 'sockeye.yaml');
  const checks = Array.from({ length: checkUrl ? o.checks : 0 }, (_, i) => ({ name: `c${i}`, every: '1s', timeout: '900ms', http: { url: `${checkUrl}/${i}` } }));
  writeFileSync(config, stringify(withSettings({ logLevel: 'warn', targets: [{ name: 'bench', match: { pid: targetPid } }], checks }, v.settings)));
  const port = await freePort();
  const args = v.collection ? [SERVE, config, '127.0.0.1', String(port), JSON.stringify(v.collection)] : [v.baseline ? o.baseline! : MAIN_JS, '--config', config, '--listen', `127.0.0.1:${port}`];
  const child = track(spawn(process.execPath, [...v.nodeFlags, ...args], { cwd: dir, env: childEnv(v.env), stdio: ['ignore', 'inherit', 'inherit'] }));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitHttp(`${url}/readyz`, 30_000, () => child.exitCode !== null);
    await sleep(o.settle);
    const idle = readMemory(child.pid!, NODE_BINARY);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const times: number[] = [];
    let body = '';
    try {
      for (let i = 0; i < o.scrapes; i++) {
        const s = await scrape(`${url}/metrics`, agent);
        if (s.status !== 200) throw new Error(`${v.name}: /metrics answered ${s.status}`);
        times.push(s.ms);
        body = s.body;
        if (o.interval > 0) await sleep(o.interval);
      }
    } finally {
      agent.destroy();
    }
    await sleep(o.settle);
    const after = readMemory(child.pid!, NODE_BINARY);
    const fds = /^sockeye_process_open_fds\{target="bench"\} (\S+)/m.exec(body);
    return { variant: v.name, idle, after, heap: parseMainHeap(body), scrapeMs: median(times), openFds: fds ? Number(fds[1]) : undefined };
  } finally {
    await stop(child);
  }
}

async function listenLocal(server: http.Server): Promise<{ server: http.Server; url: string }> {
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { server, url: `http://127.0.0.1:${port}` };
}

/** "104 [98.2–115]": the median and the range over runs. */
function spread(values: number[], fmt: (n: number) => string = (n) => sig(n / 1048576)): string {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return 'n/a';
  return `${fmt(median(finite))} [${fmt(Math.min(...finite))}–${fmt(max(finite))}]`;
}

function report(variants: Variant[], results: RunResult[], o: ReturnType<typeof options>): string {
  const rows: [string, (r: RunResult) => number][] = [
    ['idle VmRSS', (r) => r.idle.status.vmRss],
    ['idle RssAnon', (r) => r.idle.status.rssAnon],
    ['idle RssFile', (r) => r.idle.status.rssFile],
    [`after ${o.scrapes} scrapes: VmRSS`, (r) => r.after?.status.vmRss ?? NaN],
    ['↳ RssAnon', (r) => r.after?.status.rssAnon ?? NaN],
    ['↳ RssFile', (r) => r.after?.status.rssFile ?? NaN],
    ['↳ peak (VmHWM)', (r) => r.after?.status.vmHwm ?? NaN],
    ...MAPPING_GROUPS.map((g): [string, (r: RunResult) => number] => [`↳ smaps: ${g}`, (r) => r.after?.groups[g].rss ?? NaN]),
    ['↳ main isolate: V8 heap total', (r) => r.heap?.heapTotal ?? NaN],
    ['↳ main isolate: heap used', (r) => r.heap?.heapUsed ?? NaN],
    ['↳ main isolate: new space', (r) => r.heap?.newSpace ?? NaN],
    ['↳ main isolate: external', (r) => r.heap?.external ?? NaN],
  ];
  const lines = [`| MiB, median [min–max] of ${o.reps} | ${variants.map((v) => v.name).join(' | ')} |`, `|---|${variants.map(() => '---:').join('|')}|`];
  for (const [label, get] of rows) {
    const cells = variants.map((v) => spread(results.filter((r) => r.variant === v.name).map(get)));
    if (cells.every((c) => c === 'n/a')) continue;
    lines.push(`| ${label} | ${cells.join(' | ')} |`);
  }
  lines.push(`| scrape (median of each run) | ${variants.map((v) => spread(results.filter((r) => r.variant === v.name).map((r) => r.scrapeMs ?? NaN), ms)).join(' | ')} |`);
  lines.push(`| threads | ${variants.map((v) => spread(results.filter((r) => r.variant === v.name).map((r) => (r.after ?? r.idle).status.threads), String)).join(' | ')} |`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const o = options();
  installCleanupHandlers();
  await ensureBuilt();
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const needsTarget = o.variants.some((v) => !v.floor);
  const pid = needsTarget ? (await startFixtures([o.fds], log)).targets[0]!.pid : 0;
  // The checks' server lives in this process: it is not what is measured.
  const checkServer = o.checks > 0 ? await listenLocal(http.createServer((_, res) => res.end('ok'))) : undefined;
  const results: RunResult[] = [];
  for (let rep = 0; rep < o.reps; rep++) {
    // Rotate the order each repetition: no variant always runs first (or after the same one).
    const order = o.variants.map((_, i) => o.variants[(i + rep) % o.variants.length]!);
    for (const v of order) {
      const r = v.floor ? await runFloor(v, o.settle) : await runSockeye(v, pid, o, checkServer?.url);
      results.push(r);
      const a = r.after?.status;
      log(
        `run ${rep + 1}/${o.reps} ${v.name}: idle ${mib(r.idle.status.vmRss)} (anon ${mib(r.idle.status.rssAnon)})` +
          (a ? `; after ${o.scrapes} scrapes ${mib(a.vmRss)} (anon ${mib(a.rssAnon)}, peak ${mib(a.vmHwm)}), new space ${mib(r.heap?.newSpace ?? NaN)}, scrape ${ms(r.scrapeMs ?? NaN)}, open_fds ${r.openFds}` : ''),
      );
      if (r.after && r.openFds !== undefined && r.openFds < o.fds * 0.95) log(`  warning: sockeye reported ${r.openFds} open fds, the target holds ~${o.fds}`);
    }
  }
  const table = report(o.variants, results, o);
  checkServer?.server.close();
  process.stdout.write(`\nsockeye memory, ${o.fds}-fd target, ${o.scrapes} scrapes${o.interval ? ` ${o.interval} ms apart` : ' back to back'}${o.checks ? `, ${o.checks} http checks a second` : ''}; node ${process.version}; ${new Date().toISOString()}\n\n${table}\n`);
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, 'memory.json'), JSON.stringify({ options: { ...o, variants: o.variants }, results }, null, 1));
  writeFileSync(join(OUT, 'memory.md'), `${table}\n`);
}

main().then(
  () => {
    cleanup();
    process.exit(0);
  },
  (err: unknown) => {
    process.stderr.write(`bench:memory: ${(err as Error).stack ?? String(err)}\n`);
    cleanup();
    process.exit(1);
  },
);
