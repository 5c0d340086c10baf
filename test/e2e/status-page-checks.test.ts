import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerChild, type ServerChild } from '../integration/checks-servers.js';
import { openChromium, watchConsole, type Chromium } from '../support/chromium.js';
import { startNsd, type Nsd } from '../support/nsd.js';
import { poll } from '../support/poll.js';
import { REPO_ROOT, startSockeye, type Sockeye } from '../support/sockeye.js';

// The check kinds on the status page of a real sockeye: an http check against
// a server that delays its head (the phase bar shows it in processing), a dns
// check against a real nsd, grpc checks against a real grpc-js health server.

const SHOTS = join(REPO_ROOT, 'test-results', 'status-page');
const HEAD_DELAY_MS = 300;

let slow: Server;
let nsd: Nsd;
let grpc: ServerChild<{ plain: number }>;
let sockeye: Sockeye;
let browser: Chromium;

interface ApiCheck {
  name: string;
  type: string;
  state: string;
  target: string;
  reason: string | null;
  phases: Record<string, number> | null;
  answerRecords: number | null;
}

beforeAll(async () => {
  slow = createServer((_req, res) => setTimeout(() => res.end('ok'), HEAD_DELAY_MS));
  await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
  [nsd, grpc] = await Promise.all([
    startNsd({ 'example.test': '$ORIGIN example.test.\n$TTL 60\n@ IN SOA ns1 hostmaster 1 3600 600 86400 60\n@ IN NS ns1\nns1 IN A 127.0.0.1\nwww IN A 192.0.2.10\n' }),
    startServerChild<{ plain: number }>('./checks-grpc.child.ts'),
  ]);
  sockeye = await startSockeye({
    config: {
      logLevel: 'warn',
      targets: [],
      checks: [
        { name: 'slow-web', every: '2s', timeout: '1500ms', http: { url: `http://127.0.0.1:${(slow.address() as { port: number }).port}/` } },
        { name: 'zone', every: '2s', timeout: '1500ms', dns: { server: `127.0.0.1:${nsd.port}`, name: 'www.example.test', answer: ['192\\.0\\.2\\.10$'] } },
        { name: 'orders', every: '2s', timeout: '1500ms', grpc: { address: `127.0.0.1:${grpc.ports.plain}`, service: 'app.Serving' } },
        { name: 'billing', every: '2s', timeout: '1500ms', grpc: { address: `127.0.0.1:${grpc.ports.plain}`, service: 'app.Down' } },
      ],
    },
  });
  await poll(
    async () => {
      const s = (await (await fetch(`${sockeye.url}/api/status`)).json()) as { checks: ApiCheck[] };
      const state = (n: string) => s.checks.find((c) => c.name === n)?.state;
      return state('slow-web') === 'passing' && state('zone') === 'passing' && state('orders') === 'passing' && state('billing') === 'failing';
    },
    { timeoutMs: 20_000, what: 'slow-web, zone and orders passing, billing failing' },
  );
  browser = await openChromium();
  mkdirSync(SHOTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await sockeye?.stop();
  await Promise.all([nsd?.stop(), grpc?.stop(), new Promise((r) => slow?.close(r))]);
});

describe('status page: check kinds and phases', () => {
  it('/api/status carries the phases of http checks and the answer count of dns checks', async () => {
    const { checks } = (await (await fetch(`${sockeye.url}/api/status`)).json()) as { checks: ApiCheck[] };
    const by = Object.fromEntries(checks.map((c) => [c.name, c]));
    expect(by['slow-web']!.phases!.processing).toBeGreaterThanOrEqual(HEAD_DELAY_MS / 1000 - 0.002);
    expect(Object.keys(by['slow-web']!.phases!)).toEqual(['resolve', 'connect', 'tls', 'processing', 'transfer']);
    expect(by['zone']).toMatchObject({ type: 'dns', phases: null, answerRecords: 1, target: `www.example.test A via udp://127.0.0.1:${nsd.port}` });
    expect(by['orders']).toMatchObject({ type: 'grpc', phases: null, answerRecords: null, target: `grpc://127.0.0.1:${grpc.ports.plain} (service "app.Serving")` });
    expect(by['billing']).toMatchObject({ type: 'grpc', state: 'failing', reason: 'not_serving' });
  });

  it('in Chromium: each kind with its target, the http phase bar led by processing, no console errors', async () => {
    const page = await browser.newPage({ width: 1280, height: 900 });
    const problems = watchConsole(page);
    await page.goto(`${sockeye.url}/`, { waitUntil: 'load' });
    await page.locator('#checks').waitFor();
    expect(await page.locator('#checks article').evaluateAll((els) => els.map((e) => e.getAttribute('data-name')))).toEqual(['billing', 'orders', 'slow-web', 'zone']);
    const head = (n: string) => page.locator(`#checks article[data-name="${n}"] .head .muted`).innerText();
    expect(await head('zone')).toBe(`dns www.example.test A via udp://127.0.0.1:${nsd.port}`);
    expect(await head('orders')).toBe(`grpc grpc://127.0.0.1:${grpc.ports.plain} (service "app.Serving")`);
    expect(await page.locator('#checks article[data-name="billing"] .why').innerText()).toBe('not_serving: service "app.Down" is NOT_SERVING');
    expect(await page.locator('#checks article[data-name="zone"]').innerText()).toMatch(/answer records\s+1/);

    const web = page.locator('#checks article[data-name="slow-web"]');
    expect(await web.locator('.phasebar .ph').evaluateAll((els) => els.map((e) => e.getAttribute('data-phase')))).toEqual(['resolve', 'connect', 'tls', 'processing', 'transfer']);
    // The head's delay dominates: processing is the widest segment, most of the bar.
    const widths = (await web.locator('.phasebar .ph').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().width))) as number[];
    const bar = (await web.locator('.phasebar').evaluate((e) => e.getBoundingClientRect().width)) as number;
    expect(widths[3]!).toBe(Math.max(...widths));
    expect(widths[3]! / bar).toBeGreaterThan(0.5);
    expect(await web.locator('.legend li[data-phase="processing"]').innerText()).toMatch(/^processing\s+\d+ ms$/);
    expect(await web.locator('.phasebar').getAttribute('aria-label')).toMatch(/^last run by phase: resolve 0 ms, connect \d+ ms, tls 0 ms, processing \d+ ms, transfer \d+ ms$/);
    // Only http checks have phases.
    expect(await page.locator('#checks .phasebar').count()).toBe(1);
    await page.screenshot({ path: join(SHOTS, 'checks-kinds-1280.png'), fullPage: true });
    expect(problems).toEqual([]);
  });
});
