// `npm run demo`: the incident lab on your machine, without Docker. Starts the
// example app, sockeye watching it, Prometheus (shipped rules at lab scale:
// 1s scrapes, `for:` ÷ 60), Alertmanager and a receiver that prints every
// page here. Break things from the prompt, or from another terminal:
//   npm run demo -- fault close-wait on
// Ctrl-C stops everything.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startBusyApps, type BusyApps } from '../test/support/busy.js';
import { FAULT_NAMES, hardNofileLimit, labCmdline, startLabApp, type FaultName, type LabApp } from '../test/support/lab.js';
import { ALERTMANAGER_BIN } from '../test/support/alertmanager.js';
import { PROMETHEUS_BIN } from '../test/support/prometheus.js';
import { ensureBuilt } from '../test/support/sockeye.js';
import { LAB_SNAPSHOTS_CONFIG, startStack, type Stack } from '../test/support/stack.js';

const STATE_FILE = join(tmpdir(), 'sockeye-demo.json');

interface DemoState {
  pid: number;
  admin: string;
  sockeye: string;
}

const HELP = `commands:
  <fault> on|off       ${FAULT_NAMES.join(', ')}
  heartbeat stop|start|fail   the demo's nightly-backup job stops pinging, resumes, or reports failure
  sockeye stall        stall sockeye's scheduler for 10 minutes (/healthz turns 503)
  faults               what is switched on, with the app's counters
  alerts               what Prometheus has pending or firing
  quit                 stop everything (or Ctrl-C)`;

function have(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function switchFault(admin: string, name: string, how: string): Promise<string> {
  if (!(FAULT_NAMES as string[]).includes(name) || (how !== 'on' && how !== 'off')) return `expected: <fault> on|off, fault one of ${FAULT_NAMES.join(', ')}`;
  const res = await fetch(`${admin}/admin/fault/${name}/${how}`, { method: 'POST', signal: AbortSignal.timeout(5000) });
  return `${name} ${how}: ${res.status === 200 ? 'ok' : await res.text()}`;
}

/** `npm run demo -- fault NAME on|off` from another terminal. */
async function remote(args: string[]): Promise<number> {
  let state: DemoState;
  try {
    state = JSON.parse(readFileSync(STATE_FILE, 'utf8')) as DemoState;
    process.kill(state.pid, 0);
  } catch {
    process.stderr.write('demo: no running demo found; start one with `npm run demo` first\n');
    return 1;
  }
  const [command, name, how] = args;
  if (command === 'fault' && name && how) {
    process.stdout.write(`${await switchFault(state.admin, name, how)}\n`);
    return 0;
  }
  if (command === 'faults') {
    process.stdout.write(`${JSON.stringify(await (await fetch(`${state.admin}/admin/faults`)).json(), null, 2)}\n`);
    return 0;
  }
  process.stderr.write(`usage: npm run demo -- fault <name> on|off | faults\n${HELP}\n`);
  return 2;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.length > 0) return remote(args);

  const missing = [PROMETHEUS_BIN, ALERTMANAGER_BIN].filter((c) => !have(c));
  if (missing.length > 0) {
    process.stderr.write(
      `demo: ${missing.join(' and ')} not found.\n` +
        '  Debian/Ubuntu: sudo apt-get install prometheus prometheus-alertmanager\n' +
        '  elsewhere: download both from https://prometheus.io/download/ and put them on PATH\n' +
        '  (or set PROMETHEUS_BIN / ALERTMANAGER_BIN to their paths, e.g. ALERTMANAGER_BIN=alertmanager)\n' +
        '  or run the same stack in containers: docker compose up\n',
    );
    return 1;
  }

  process.stdout.write('demo: building sockeye and starting the stack…\n');
  await ensureBuilt();
  let app: LabApp | undefined;
  let busy: BusyApps | undefined;
  let stack: Stack | undefined;
  let pinger: NodeJS.Timeout | undefined;
  let printer: NodeJS.Timeout | undefined;
  let closing = false;
  const shutdown = async (code: number) => {
    if (closing) return;
    closing = true;
    process.stdout.write('\ndemo: stopping…\n');
    clearInterval(pinger);
    clearInterval(printer);
    rmSync(STATE_FILE, { force: true });
    await stack?.stop().catch(() => {});
    await app?.stop().catch(() => {});
    await busy?.stop().catch(() => {});
    process.stdout.write('demo: stopped.\n');
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  try {
    // Production limits: the fd hard limit as high as this machine allows
    // (Node raises its soft limit to it) and no memory limit, so the leaks
    // page from their growth, as they would in a container. Beside the app,
    // healthy busy apps (session churn, a pool of 320 connections, a warm-up)
    // that must never page.
    app = await startLabApp({ name: 'demo', nofile: hardNofileLimit() });
    busy = await startBusyApps({ memoryLimit: process.getuid?.() === 0 });
    const conversation = [{ expect: 'PLSAUTH' }, { send: '{"cmd":"RING"}\r\n' }, { expect: 'AHOY-HOY' }];
    stack = await startStack({
      // Incident snapshots from the pages too, through the shipped route (docs/snapshots.md).
      snapshotsWebhook: 'demo',
      sockeyes: [
        {
          name: 'demo',
          env: { SOCKEYE_ENABLE_TEST_HOOKS: '1' },
          config: {
            logLevel: 'warn',
            // Lab scale, as the rules: the shipped 30s minimum lifetime of a
            // restarted process is 1s here, a socket long-lived after 5s, not 5m.
            restarts: { minLifetime: '1s' },
            leaks: { longLivedAfter: '5s' },
            snapshots: LAB_SNAPSHOTS_CONFIG,
            targets: [{ name: 'app', match: { cmdline: labCmdline('demo') }, processes: { min: 3 } }, ...busy.targets],
            checks: [
              { name: 'party-socket', every: '2s', timeout: '1s', tcp: { address: `127.0.0.1:${app.ports.proto}`, conversation } },
              { name: 'web-health', every: '2s', timeout: '1s', http: { url: `http://127.0.0.1:${app.ports.http}/health`, status: [200], body: '^ok' } },
            ],
            heartbeats: [{ name: 'nightly-backup', period: '10s', grace: '5s' }],
          },
        },
      ],
    });
  } catch (err) {
    process.stderr.write(`demo: ${(err as Error).message}\n`);
    await shutdown(1);
    return 1;
  }
  const sockeye = stack.sockeyes.get('demo')!;
  const admin = `http://127.0.0.1:${app.ports.admin}`;
  writeFileSync(STATE_FILE, JSON.stringify({ pid: process.pid, admin, sockeye: sockeye.url } satisfies DemoState));

  // The warm-up ramps for 15 s (15 minutes, shipped) and holds: it must not page.
  void busy!.warmUp().catch((err: Error) => process.stdout.write(`demo: warm-up: ${err.message}\n`));

  let heartbeat: 'ok' | 'stopped' = 'ok';
  const ping = (path: string) => fetch(`${sockeye.url}/ping/${path}`, { method: 'POST' }).catch(() => undefined);
  void ping('nightly-backup');
  pinger = setInterval(() => heartbeat === 'ok' && void ping('nightly-backup'), 5000);

  // Every page, as it reaches the receiver.
  let seen = 0;
  printer = setInterval(() => {
    const all = stack!.webhook.deliveries();
    for (const d of all.slice(seen)) {
      if (d.path.startsWith('/deadmansswitch/')) continue; // Watchdog, every few seconds
      for (const a of d.alerts) {
        const what = Object.entries(a.labels)
          .filter(([k]) => !['alertname', 'job', 'severity', 'instance'].includes(k))
          .map(([k, v]) => `${k}=${v}`)
          .join(' ');
        process.stdout.write(`\n[${new Date(d.at).toISOString().slice(11, 19)}] PAGE ${a.status.toUpperCase()} ${a.labels.alertname} (${a.labels.severity}) ${what}\n  ${a.annotations.summary}\n> `);
      }
    }
    seen = all.length;
  }, 500);

  process.stdout.write(
    `
sockeye demo is running (Ctrl-C stops it):
  example app     http://127.0.0.1:${app.ports.http}/   line service :${app.ports.line}   protocol server :${app.ports.proto}
  fault switches  ${admin}/admin/faults
  sockeye         ${sockeye.url}/metrics   ${sockeye.url}/healthz   ${sockeye.url}/ (status page and its incident snapshots)
  Prometheus      ${stack.prometheus.url}/alerts
  Alertmanager    ${stack.alertmanagers.get('am1')!.url}
  healthy apps    sessions, pool, warmup (sockeye targets that must never page)
Pages are printed here as they arrive. From another terminal: npm run demo -- fault close-wait on

${HELP}
> `,
  );

  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: false });
  rl.on('close', () => {
    // stdin closed (not a terminal): keep running until a signal.
  });
  for await (const line of rl) {
    const [a, b] = line.trim().split(/\s+/);
    try {
      if (!a) {
        // empty line
      } else if (a === 'quit' || a === 'exit') {
        await shutdown(0);
      } else if ((FAULT_NAMES as string[]).includes(a)) {
        process.stdout.write(`${await switchFault(admin, a as FaultName, b ?? '')}\n`);
      } else if (a === 'heartbeat' && (b === 'stop' || b === 'start' || b === 'fail')) {
        heartbeat = b === 'start' ? 'ok' : 'stopped';
        if (b === 'fail') await ping('nightly-backup/fail');
        if (b === 'start') await ping('nightly-backup');
        process.stdout.write(`heartbeat nightly-backup: ${b}\n`);
      } else if (a === 'sockeye' && b === 'stall') {
        const res = await fetch(`${sockeye.url}/debug/scheduler/stall?seconds=600`, { method: 'POST' });
        process.stdout.write(`scheduler stall: ${await res.text()}\n`);
      } else if (a === 'faults') {
        process.stdout.write(`${JSON.stringify(await app.state(), null, 2)}\n`);
      } else if (a === 'alerts') {
        const alerts = await stack.prometheus.alerts();
        process.stdout.write(`${alerts.map((x) => `${x.state.padEnd(8)} ${x.labels.alertname} ${x.labels.target ?? x.labels.check ?? x.labels.heartbeat ?? ''}`).join('\n') || '(none)'}\n`);
      } else {
        process.stdout.write(`${HELP}\n`);
      }
    } catch (err) {
      process.stdout.write(`error: ${(err as Error).message}\n`);
    }
    process.stdout.write('> ');
  }
  return -1;
}

const code = await main();
if (code >= 0) process.exit(code);
