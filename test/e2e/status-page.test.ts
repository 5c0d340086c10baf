import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openChromium, watchConsole, type Chromium } from '../support/chromium.js';
import { poll } from '../support/poll.js';
import { killAllHolders, spawnHolder, type Holder } from '../support/procs.js';
import { REPO_ROOT, freePort, startSockeye, type Sockeye } from '../support/sockeye.js';

// The status page of a real sockeye (real checks against real loopback
// servers, real heartbeat pings, a real process as target) in headless
// Chromium: problems first, readable on a desktop and a phone, no console
// errors, no secrets. Screenshots land in test-results/status-page/.

const SHOTS = join(REPO_ROOT, 'test-results', 'status-page');
const PAGE_TOKEN = 'page-token-7c1e55aa90';
const HEARTBEAT_TOKEN = 'hb-token-2f9d41c0';
const SECRETS = ['hunter2-secret', 'qs-secret-token', 'admin:', PAGE_TOKEN, HEARTBEAT_TOKEN];

const dir = mkdtempSync(join(tmpdir(), 'sockeye-status-page-'));
let okServer: Server;
let sockeye: Sockeye;
let holder: Holder;
let browser: Chromium;
let closedPort: number;

async function api(path: string): Promise<Response> {
  return fetch(`${sockeye.url}${path}`, { headers: { authorization: `Bearer ${PAGE_TOKEN}` }, signal: AbortSignal.timeout(5000) });
}

beforeAll(async () => {
  okServer = createServer((req, res) => res.end(req.url === '/health' ? 'ok' : 'nope'));
  await new Promise<void>((r) => okServer.listen(0, '127.0.0.1', r));
  const okPort = (okServer.address() as { port: number }).port;
  closedPort = await freePort();
  holder = await spawnHolder({
    files: [{ path: join(dir, 'index.html'), count: 30 }],
    listen: [{ host: '127.0.0.1' }],
    connections: [
      { listener: 0, count: 12, state: 'close_wait' },
      { listener: 0, count: 2, state: 'established' },
    ],
  });
  sockeye = await startSockeye({
    config: {
      logLevel: 'warn',
      targets: [{ name: 'web', match: { cmdline: `sockeye-holder ${holder.tag}$` } }],
      checks: [
        { name: 'api-down', every: '1s', timeout: '500ms', http: { url: `http://admin:hunter2-secret@127.0.0.1:${closedPort}/health?token=qs-secret-token` } },
        // A generous timeout: a loaded test machine must not turn the passing check red.
        { name: 'web-health', every: '2s', timeout: '1500ms', http: { url: `http://127.0.0.1:${okPort}/health`, body: 'ok' } },
      ],
      heartbeats: [
        { name: 'nightly-backup', period: '1s', grace: '1s' },
        { name: 'canary', period: '1h', token: HEARTBEAT_TOKEN },
      ],
      statusPage: { token: PAGE_TOKEN },
    },
  });
  expect((await fetch(`${sockeye.url}/ping/nightly-backup`)).status).toBe(200);
  expect((await fetch(`${sockeye.url}/ping/canary`, { headers: { authorization: `Bearer ${HEARTBEAT_TOKEN}` } })).status).toBe(200);
  // Until the state the page is about: one check failing, one passing, the backup heartbeat missed.
  await poll(
    async () => {
      const s = (await (await api('/api/status')).json()) as { checks: { name: string; state: string }[]; heartbeats: { name: string; state: string }[] };
      const state = (list: { name: string; state: string }[], n: string) => list.find((x) => x.name === n)?.state;
      return state(s.checks, 'api-down') === 'failing' && state(s.checks, 'web-health') === 'passing' && state(s.heartbeats, 'nightly-backup') === 'late';
    },
    { timeoutMs: 20_000, what: 'api-down failing, web-health passing and nightly-backup late' },
  );
  browser = await openChromium();
  mkdirSync(SHOTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await sockeye?.stop();
  await killAllHolders();
  await new Promise((r) => okServer?.close(r));
  rmSync(dir, { recursive: true, force: true });
});

async function load(width: number, height: number): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ width, height });
  const problems = watchConsole(page);
  await page.goto(`${sockeye.url}/?token=${PAGE_TOKEN}`, { waitUntil: 'load' });
  await page.locator('#problems').waitFor();
  return { page, problems };
}

async function noHorizontalOverflow(page: Page): Promise<void> {
  // A string: this project compiles without the DOM library.
  const { scrollWidth, clientWidth } = (await page.evaluate('({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth })')) as {
    scrollWidth: number;
    clientWidth: number;
  };
  expect(clientWidth).toBeGreaterThan(0);
  expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
}

describe('status page in Chromium', () => {
  it('at 1280 px: the failing check and the missed heartbeat come first, then the rest; it refreshes itself without errors', async () => {
    const { page, problems } = await load(1280, 900);
    const items = await page.locator('#problems li.problem').allInnerTexts();
    expect(items.slice(0, 2)).toEqual([
      expect.stringMatching(/^CRITICAL\s+check api-down http check of GET http:\/\/\*\*\*@127\.0\.0\.1:\d+\/health\?token=\*\*\* failing \(refused: /),
      expect.stringMatching(/^CRITICAL\s+heartbeat nightly-backup missed: last success \d+s ago, expected every 1s \+ 1s grace$/),
    ]);
    expect(items.slice(2)).toEqual([expect.stringMatching(/^WARNING\s+target web 12 sockets in CLOSE_WAIT/)]);

    // Sections in the order a person reads them, each list problems first.
    expect(await page.locator('main > section').evaluateAll((els) => els.map((e) => e.id))).toEqual(['problems', 'checks', 'heartbeats', 'targets', 'sockeye']);
    expect(await page.locator('#checks article').evaluateAll((els) => els.map((e) => e.getAttribute('data-name')))).toEqual(['api-down', 'web-health']);
    expect(await page.locator('#checks article .badge').allInnerTexts()).toEqual(['FAILING', 'PASSING']);
    expect(await page.locator('#heartbeats article').evaluateAll((els) => els.map((e) => e.getAttribute('data-name')))).toEqual(['nightly-backup', 'canary']);
    expect(await page.locator('#heartbeats article .head .badge').allInnerTexts()).toEqual(['MISSED', 'UP']);

    // The target as the collectors see it: 30 handles on one file, 12 CLOSE_WAIT.
    const web = page.locator('#targets article[data-name="web"]');
    await expect.poll(() => web.locator('.top li').first().innerText()).toMatch(/^30\s+\S*index\.html$/);
    expect(await web.innerText()).toContain('tcp CLOSE_WAIT 12');
    // Sparklines are inline SVG with one bar per recent run.
    expect(await page.locator('#checks article[data-name="api-down"] svg.spark rect.critical').count()).toBeGreaterThan(0);
    expect(await page.locator('#checks article[data-name="web-health"] svg.spark rect.ok').count()).toBeGreaterThan(0);
    // sockeye itself: scheduler and own fds.
    expect(await page.locator('#sockeye').innerText()).toMatch(/scheduler[\s\S]*last tick \d+s ago[\s\S]*fds\s+\d+ \/ [\d,]+/);

    // Auto-refresh with the token as a header (it is not in the document).
    const refreshed = await page.waitForResponse((r) => r.url().endsWith('/api/status'), { timeout: 10_000 });
    expect(refreshed.status()).toBe(200);
    expect(await refreshed.request().headerValue('authorization')).toBe(`Bearer ${PAGE_TOKEN}`);

    await noHorizontalOverflow(page);
    await page.screenshot({ path: join(SHOTS, 'status-1280.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('at 390 px (a phone): no horizontal overflow, and the problems are visible within the width', async () => {
    const { page, problems } = await load(390, 844);
    await noHorizontalOverflow(page);
    for (const sel of ['#problems li.problem >> nth=0', '#problems li.problem >> nth=1', '#checks article >> nth=0', 'header .summary']) {
      const el = page.locator(sel);
      expect(await el.isVisible()).toBe(true);
      const box = (await el.boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(390);
    }
    expect(await page.locator('header').innerText()).toMatch(/CRITICAL\s+2 critical, 1 warning/);
    await page.screenshot({ path: join(SHOTS, 'status-390.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('shows a stale-data warning, not an error page, when sockeye stops answering', async () => {
    const { page } = await load(1280, 900);
    // Block the next refreshes as a dead sockeye would look from the browser.
    await page.route('**/api/status', (route) => route.abort('connectionrefused'));
    await expect.poll(() => page.locator('.stale').count(), { timeout: 12_000 }).toBe(1);
    expect(await page.locator('.stale').innerText()).toMatch(/^Cannot refresh \(.+\): showing data from \d+s ago\.$/);
    // The last good data stays on screen.
    expect(await page.locator('#problems li.problem').count()).toBe(3);
    await page.close();
  });
});

describe('GET /api/status of this sockeye', () => {
  it('validates against docs/status.schema.json, with every section filled', async () => {
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    addFormats.default(ajv);
    const validate = ajv.compile(JSON.parse(readFileSync(join(REPO_ROOT, 'docs', 'status.schema.json'), 'utf8')) as object);
    const body = (await (await api('/api/status')).json()) as { targets: { topPeers: unknown[]; listen: unknown[] }[]; checks: { recent: unknown[] }[]; heartbeats: unknown[] };
    validate(body);
    expect(validate.errors ?? []).toEqual([]);
    expect(body.targets[0]!.topPeers.length).toBeGreaterThan(0);
    expect(body.targets[0]!.listen.length).toBe(1);
    expect(body.checks.every((c) => c.recent.length > 0)).toBe(true);
    expect(body.heartbeats).toHaveLength(2);
  });
});

describe('no secrets on the status page', () => {
  it('the HTML, the rendered page and /api/status never contain URL credentials, the page token or a heartbeat token', async () => {
    const html = await (await api('/')).text();
    const json = await (await api('/api/status')).text();
    const { page } = await load(1280, 900);
    const rendered = await page.content();
    await page.close();
    for (const [what, text] of Object.entries({ html, json, rendered })) {
      for (const secret of SECRETS) expect(text.includes(secret), `${what} contains ${secret}`).toBe(false);
    }
    // The check is still shown, by its redacted URL.
    expect(json).toContain(`http://***@127.0.0.1:${closedPort}/health?token=***`);
    expect(rendered).toContain(`127.0.0.1:${closedPort}/health`);
  });

  it('without the token, / and /api/status answer 401 with a JSON reason', async () => {
    for (const path of ['/', '/api/status']) {
      const res = await fetch(`${sockeye.url}${path}`, { signal: AbortSignal.timeout(5000) });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: 'unauthorized', reason: 'this status page needs a token: Authorization: Bearer <token> or ?token=<token>' });
    }
  });
});
