import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Snapshot, SnapshotSummary } from '../../src/snapshots/types.js';
import { openChromium, watchConsole, type Chromium } from '../support/chromium.js';
import { poll } from '../support/poll.js';
import { killAllHolders, spawnHolder, type Holder } from '../support/procs.js';
import { REPO_ROOT, startSockeye, type Sockeye } from '../support/sockeye.js';

// The snapshots on the status page of a real sockeye, in headless Chromium:
// a real process, healthy long enough for its automatic baseline, then leaks
// handles to one file (and hundreds of others) and CLOSE_WAIT sockets;
// snapshots are taken through POST /api/snapshots before and after; the page
// lists them, the baseline apart, and shows one with what changed, its paths
// (the top rows and a count of the rest), sockets, peers and processes.
// Screenshots land in test-results/status-page/.

const SHOTS = join(REPO_ROOT, 'test-results', 'status-page');
const PAGE_TOKEN = 'snap-page-token-51d0a7';
const dir = mkdtempSync(join(tmpdir(), 'sockeye-snapshots-page-'));
const INDEX = join(dir, 'index.html');
const UPLOADS = 300;
// The page shows this many rows of a long list, then one row for the rest.
const ROWS_SHOWN = 15;

let sockeye: Sockeye;
let holder: Holder;
let browser: Chromium;
const taken: SnapshotSummary[] = [];
let baseline: SnapshotSummary;

const auth = { authorization: `Bearer ${PAGE_TOKEN}` };
async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(`${sockeye.url}${path}`, { ...init, headers: auth, signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Snapshot of web once a scrape sees at least `fds` open (a manual snapshot shares a fresh collection). */
async function snapshotAt(fds: number): Promise<SnapshotSummary> {
  await poll(
    async () => {
      const text = await (await fetch(`${sockeye.url}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
      const m = /^sockeye_process_open_fds\{target="web"\} (\d+)$/m.exec(text);
      return m !== null && Number(m[1]) >= fds;
    },
    { timeoutMs: 30_000, what: `a scrape with web at ${fds} open fds or more` },
  );
  const s = await api<SnapshotSummary>('/api/snapshots?target=web', { method: 'POST' });
  expect(s.openFds).toBeGreaterThanOrEqual(fds);
  taken.push(s);
  return s;
}

beforeAll(async () => {
  holder = await spawnHolder({
    nofile: [8192, 8192],
    files: [{ path: INDEX, count: 30 }],
    listen: [{ host: '127.0.0.1', backlog: 64 }],
    connections: [{ listener: 0, count: 5, state: 'close_wait' }],
  });
  sockeye = await startSockeye({
    config: {
      logLevel: 'warn',
      targets: [{ name: 'web', match: { cmdline: `sockeye-holder ${holder.tag}$` } }],
      statusPage: { token: PAGE_TOKEN },
      // Only the snapshots this test takes and the baseline: a trigger firing in between would change which one is "before".
      snapshots: {
        triggers: { fdUsage: false, fdGrowth: false, closeWait: false, closeWaitStuck: false, memoryUsage: false, memoryGrowth: false, vanished: false, restarted: false },
        baseline: { after: '1s' },
      },
    },
  });
  // The automatic healthy baseline, then a snapshot by hand, a small leak, and the incident: thousands of handles to one file, hundreds of others, CLOSE_WAIT piling up.
  baseline = await poll(
    async () => {
      await fetch(`${sockeye.url}/metrics`, { signal: AbortSignal.timeout(10_000) });
      return (await api<{ snapshots: SnapshotSummary[] }>('/api/snapshots')).snapshots.find((s) => s.reason.kind === 'baseline');
    },
    { timeoutMs: 60_000, what: 'the baseline of web' },
  );
  const first = await snapshotAt(30);
  await holder.add({ files: [{ path: INDEX, count: 100 }] });
  await snapshotAt(first.openFds! + 100);
  const uploads = Array.from({ length: UPLOADS }, (_, i) => ({ path: join(dir, `upload-${String(i).padStart(3, '0')}`), count: 1 }));
  await holder.add({ files: [{ path: INDEX, count: 3000 }, ...uploads], connections: [{ listener: 0, count: 40, state: 'close_wait' }] });
  await snapshotAt(first.openFds! + 100 + 3000 + UPLOADS + 40);
  browser = await openChromium();
  mkdirSync(SHOTS, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await sockeye?.stop();
  await killAllHolders();
  rmSync(dir, { recursive: true, force: true });
});

async function open(hash: string, width = 1280, height = 900): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ width, height });
  const problems = watchConsole(page);
  await page.goto(`${sockeye.url}/?token=${PAGE_TOKEN}${hash}`, { waitUntil: 'load' });
  return { page, problems };
}

describe('snapshots on the status page in Chromium', () => {
  it('lists the snapshots newest first: when, target, reason, handles, the baseline apart; a row opens the snapshot', async () => {
    const { page, problems } = await open('');
    const rows = page.locator('#snapshots ol.incidents li');
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(3);
    const baselines = page.locator('#snapshots ol.baselines li');
    expect(await baselines.evaluateAll((els) => els.map((e) => e.getAttribute('data-id')))).toEqual([baseline.id]);
    expect(await baselines.first().innerText()).toMatch(/\sbaseline: no trigger crossed for \d+s\s/);
    expect(await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-id')))).toEqual(taken.map((s) => s.id).reverse());
    const newest = taken[2]!;
    const when = new Date(newest.savedAt).toISOString().replace('T', ' ').slice(0, 19);
    expect(await rows.first().innerText()).toMatch(new RegExp(`^${when} UTC\\s+web\\s+manual: POST /api/snapshots\\s+${newest.openFds!.toLocaleString('en-US')} handles$`));
    // Below the targets, above sockeye itself.
    expect(await page.locator('main > section').evaluateAll((els) => els.map((e) => e.id))).toEqual(['problems', 'targets', 'snapshots', 'sockeye']);
    // The target's card links to its snapshots.
    expect(await page.locator('#targets article[data-name="web"] .snaplink a').getAttribute('href')).toBe('#snapshots?target=web');
    expect(await page.locator('#targets article[data-name="web"] .snaplink').innerText()).toBe('3 snapshots of web');
    await page.screenshot({ path: join(SHOTS, 'snapshots-list-1280.png'), fullPage: true });

    await rows.first().locator('a').click();
    await page.locator('#snapshot article.snapshot').waitFor({ timeout: 15_000 });
    expect(page.url()).toContain(`#snapshot/${newest.id}`);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('the link of an alert annotation (#snapshots?target=NAME) lists that target\'s snapshots only', async () => {
    const { page, problems } = await open('#snapshots?target=web');
    await expect.poll(() => page.locator('#snapshots ol.incidents li').count(), { timeout: 15_000 }).toBe(3);
    expect(await page.locator('#snapshots').innerText()).toContain('Only target web');
    await page.close();
    const other = await open('#snapshots?target=db+primary');
    await expect.poll(() => other.page.locator('#snapshots p.none').innerText(), { timeout: 15_000 }).toBe('No snapshots of db primary.');
    await other.page.close();
    expect([...problems, ...other.problems]).toEqual([]);
  });

  it('shows one snapshot: the change against the one before and the baseline, the path with its count first, the rest counted', async () => {
    const newest = taken[2]!;
    const snapshot = await api<Snapshot>(`/api/snapshots/${newest.id}`);
    const { page, problems } = await open(`#snapshot/${newest.id}`);
    const view = page.locator(`#snapshot article.snapshot[data-id="${newest.id}"]`);
    await view.waitFor({ timeout: 15_000 });
    expect(await view.locator('.reason').innerText()).toBe('manual: POST /api/snapshots');

    // What changed, largest relative change first.
    const previous = view.locator('.changes[data-against="Since the snapshot before"] li');
    await expect.poll(() => previous.first().innerText(), { timeout: 15_000 }).toBe(`+3,000 handles to ${INDEX}`);
    expect(await previous.allInnerTexts()).toContain('+40 CLOSE_WAIT to 127.0.0.1');
    // Three hundred new paths do not make three hundred lines.
    expect(await previous.allInnerTexts()).toContain(`+${UPLOADS} handles to ${UPLOADS} paths under ${dir}/`);
    expect(await previous.count()).toBeLessThan(8);
    const against = view.locator('.changes[data-against="Since the healthy baseline"]');
    expect(await against.locator('h4 a').getAttribute('href')).toBe(`#snapshot/${baseline.id}`);
    expect(await against.locator('li').first().innerText()).toBe(`+3,100 handles to ${INDEX}`);

    // Paths: the leaking one first with its count; hundreds more shown as the top rows and one count.
    const paths = view.locator('.top', { has: page.locator('h4', { hasText: /^Paths/ }) });
    const indexCount = snapshot.target.total.paths.find((p) => p.path === INDEX)!.count;
    expect(indexCount).toBe(30 + 100 + 3000);
    expect(await paths.locator('li').first().innerText()).toMatch(new RegExp(`^3,130\\s+${INDEX.replace(/[.]/g, '\\.')}$`));
    const all = snapshot.target.total.paths;
    expect(all.length).toBeGreaterThanOrEqual(1 + UPLOADS);
    expect(await paths.locator('h4').innerText()).toBe(`Paths (${all.length})`);
    expect(await paths.locator('li').count()).toBe(ROWS_SHOWN + 1);
    const rest = all.slice(ROWS_SHOWN);
    expect(await paths.locator('li').last().innerText()).toBe(`… ${rest.length} more paths, ${rest.reduce((a, p) => a + p.count, 0).toLocaleString('en-US')} handles`);

    // Sockets and peers: the CLOSE_WAIT pile with its peer; the listener and its queue; the process with its command line.
    expect(await view.innerText()).toMatch(/45\s+tcp CLOSE_WAIT to 127\.0\.0\.1/);
    expect(await view.innerText()).toMatch(/0 \/ 64\s+port \d+/);
    expect(await view.innerText()).toContain(`pid ${holder.pid} `);
    expect(await view.innerText()).toContain(`sockeye-holder ${holder.tag}`);

    await page.screenshot({ path: join(SHOTS, 'snapshot-1280.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('at 390 px (a phone) the snapshot view does not overflow', async () => {
    const { page, problems } = await open(`#snapshot/${taken[2]!.id}`, 390, 844);
    await page.locator('#snapshot .changes li').first().waitFor({ timeout: 15_000 });
    const { scrollWidth, clientWidth } = (await page.evaluate('({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth })')) as { scrollWidth: number; clientWidth: number };
    expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
    await page.screenshot({ path: join(SHOTS, 'snapshot-390.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('the baseline has nothing before it and no baseline of its own; an unknown id says so on the page', async () => {
    const { page } = await open(`#snapshot/${baseline.id}`);
    const view = page.locator('#snapshot article.snapshot');
    await view.waitFor({ timeout: 15_000 });
    expect(await view.locator('.changes').allInnerTexts()).toEqual([
      expect.stringMatching(/^Since the snapshot before\s+No earlier snapshot of this target\.$/),
      expect.stringMatching(/^Since the healthy baseline\s+No baseline of this target taken before it/),
    ]);
    await page.close();

    const missing = '20200101T000000.000Z-web-0000';
    const gone = await browser.newPage({ width: 1280, height: 900 });
    await gone.goto(`${sockeye.url}/?token=${PAGE_TOKEN}#snapshot/${missing}`, { waitUntil: 'load' });
    await expect.poll(() => gone.locator('#snapshot .stale').innerText(), { timeout: 15_000 }).toMatch(new RegExp(`^Cannot show snapshot ${missing}: no snapshot ${missing}`));
    await gone.close();
  });
});

describe('GET /api/snapshots/ID/changes', () => {
  it('gives the diff lines against the snapshot before and the baseline, as docs/snapshot-changes.schema.json says', async () => {
    const validate = new Ajv2020({ allErrors: true, strict: true }).compile(JSON.parse(readFileSync(join(REPO_ROOT, 'docs', 'snapshot-changes.schema.json'), 'utf8')) as object);
    for (const s of [baseline, ...taken]) {
      validate(await api(`/api/snapshots/${s.id}/changes`));
      expect(validate.errors ?? [], s.id).toEqual([]);
    }
    const c = await api<{ id: string; previous: { id: string; diff: { lines: { kind: string; text: string }[]; omitted: number } }; baseline: { id: string; diff: { lines: { kind: string; text: string }[] } } }>(`/api/snapshots/${taken[1]!.id}/changes`);
    expect(c.previous.id).toBe(taken[0]!.id);
    expect(c.previous.diff.lines[0]).toEqual(expect.objectContaining({ kind: 'path', text: `+100 handles to ${INDEX}` }));
    expect(c.baseline.id).toBe(baseline.id);
    expect(c.baseline.diff.lines[0]).toEqual(expect.objectContaining({ kind: 'path', text: `+100 handles to ${INDEX}` }));
  });

  it('is behind the page token, and answers 400 for a malformed id and 404 for an unknown one', async () => {
    const id = taken[0]!.id;
    expect((await fetch(`${sockeye.url}/api/snapshots/${id}/changes`, { signal: AbortSignal.timeout(5000) })).status).toBe(401);
    const bad = await fetch(`${sockeye.url}/api/snapshots/..%2Fetc/changes`, { headers: auth, signal: AbortSignal.timeout(5000) });
    expect(bad.status).toBe(400);
    const unknown = await fetch(`${sockeye.url}/api/snapshots/20200101T000000.000Z-web-0000/changes`, { headers: auth, signal: AbortSignal.timeout(5000) });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { reason: string }).reason).toMatch(/^no snapshot 20200101T000000\.000Z-web-0000/);
  });
});
