import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openChromium, watchConsole, type Chromium } from '../support/chromium.js';
import { REPO_ROOT, startSockeye, type Sockeye } from '../support/sockeye.js';

// A user moving from healthchecks.io: the curl lines of its documentation,
// run by a real shell against the real sockeye, with only the base URL
// changed (https://hc-ping.com → http://sockeye/ping).

const run = promisify(execFile);
const SHOTS = join(REPO_ROOT, 'test-results', 'heartbeats');
const BACKUP = '5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278';
const DUMP = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';
const PING_KEY = 'fqOOd6-F4MMNuCEnzTU01w';

let sockeye: Sockeye;
let browser: Chromium;
let base: string;

/** One documented command line, run by sh with BASE (and any extra variables) in its environment. */
async function sh(line: string, env: Record<string, string> = {}): Promise<{ stdout: string; stderr: string }> {
  return run('sh', ['-c', line], { env: { PATH: process.env.PATH!, BASE: base, ...env }, timeout: 30_000 });
}

interface Status {
  heartbeats: Array<{
    name: string;
    state: string;
    running: boolean;
    lastExitStatus: number | null;
    lastDurationSeconds: number | null;
    recentPings: Array<{ kind: string; exitStatus: number | null; rid: string | null; method: string; body: string | null; durationSeconds: number | null }>;
  }>;
}
const status = async () => (await (await fetch(`${sockeye.url}/api/status`)).json()) as Status;
const hb = (s: Status, name: string) => s.heartbeats.find((h) => h.name === name)!;

beforeAll(async () => {
  sockeye = await startSockeye({
    config: {
      targets: [],
      pingKey: PING_KEY,
      heartbeats: [
        { name: 'backup', period: '1d', grace: '1h', uuid: BACKUP },
        { name: 'db-dump', schedule: '0 3 * * *', timezone: 'Europe/Berlin', uuid: DUMP },
        { name: 'certbot-renew', schedule: '0 4 * * 1', timezone: 'Europe/Berlin', grace: '2h' },
      ],
    },
  });
  base = `${sockeye.url}/ping`;
  browser = await openChromium();
  mkdirSync(SHOTS, { recursive: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await sockeye?.stop();
});

describe('the curl lines of healthchecks.io documentation', () => {
  it('success, failure and HEAD on the UUID URL', async () => {
    // "curl -fsS -m 10 --retry 5 -o /dev/null https://hc-ping.com/<uuid>"
    await sh(`curl -fsS -m 10 --retry 5 -o /dev/null "$BASE/${BACKUP}"`);
    // A crontab line: the ping only when the job succeeds.
    await sh(`true && curl -fsS --retry 5 -o /dev/null "$BASE/${BACKUP}"`);
    await sh(`curl -fsS -m 10 --retry 5 -o /dev/null "$BASE/${BACKUP}/fail"`);
    expect(hb(await status(), 'backup').state).toBe('failed');
    // HEAD counts as a ping too.
    const head = await sh(`curl -fsS -I "$BASE/${BACKUP}"`);
    expect(head.stdout).toMatch(/^HTTP\/1\.1 200 OK/);
    const b = hb(await status(), 'backup');
    expect(b.state).toBe('up');
    expect(b.recentPings.map((p) => [p.kind, p.method])).toEqual([
      ['success', 'HEAD'],
      ['fail', 'GET'],
      ['success', 'GET'],
      ['success', 'GET'],
    ]);
  });

  it('start and end of overlapping runs paired by ?rid=, and /log, with durations per run', async () => {
    // RID=`uuidgen`; curl .../start?rid=$RID; ...; curl ...?rid=$RID
    const first = (await sh('uuidgen')).stdout.trim();
    const second = (await sh('uuidgen')).stdout.trim();
    await sh(`curl -fsS -m 10 --retry 5 "$BASE/${DUMP}/start?rid=$RID"`, { RID: first });
    await new Promise((r) => setTimeout(r, 300));
    await sh(`curl -fsS -m 10 --retry 5 "$BASE/${DUMP}/start?rid=$RID"`, { RID: second });
    expect(hb(await status(), 'db-dump').running).toBe(true);
    await sh(`curl -fsS -m 10 --retry 5 --data-raw "50% done" "$BASE/${DUMP}/log"`);
    // The second run ends first: each end is paired with its own start.
    await sh(`curl -fsS -m 10 --retry 5 "$BASE/${DUMP}?rid=$RID"`, { RID: second });
    await sh(`curl -fsS -m 10 --retry 5 "$BASE/${DUMP}?rid=$RID"`, { RID: first });
    const d = hb(await status(), 'db-dump');
    expect(d.state).toBe('up');
    expect(d.running).toBe(false);
    const [endFirst, endSecond, log] = d.recentPings;
    expect([endFirst!.rid, endSecond!.rid, log!.kind, log!.body]).toEqual([first, second, 'log', '50% done']);
    expect(endFirst!.durationSeconds!).toBeGreaterThan(endSecond!.durationSeconds! + 0.25);
    expect(d.lastDurationSeconds).toBe(endFirst!.durationSeconds);
  });

  it('a failure with its output and exit status on the ping-key/slug URL', async () => {
    // m=$(/usr/bin/certbot renew 2>&1); curl -fsS -m 10 --retry 5 --data-raw "$m" https://hc-ping.com/<ping-key>/<slug>/$?
    const job = `printf 'Renewing example.org\\nChallenge failed for domain example.org\\n'; exit 3`;
    await sh(`m=$(sh -c "$JOB" 2>&1); curl -fsS -m 10 --retry 5 --data-raw "$m" "$BASE/${PING_KEY}/certbot-renew/$?"`, { JOB: job });
    const c = hb(await status(), 'certbot-renew');
    expect(c.state).toBe('failed');
    expect(c.lastExitStatus).toBe(3);
    expect(c.recentPings[0]).toMatchObject({ kind: 'fail', exitStatus: 3, method: 'POST', body: 'Renewing example.org\nChallenge failed for domain example.org' });
    // A mistyped URL fails the curl (-f), as it would against healthchecks.io.
    await expect(sh(`curl -fsS -m 10 -o /dev/null "$BASE/${PING_KEY}/certbot-renw"`)).rejects.toThrow(/404/);
  });

  it('the metrics say what healthchecks.io would show', async () => {
    const m = await (await fetch(`${sockeye.url}/metrics`)).text();
    const v = (line: string) => m.split('\n').find((l) => l.startsWith(`${line} `))?.split(' ')[1];
    expect(v('sockeye_heartbeat_status{heartbeat="backup",state="up"}')).toBe('1');
    expect(v('sockeye_heartbeat_status{heartbeat="db-dump",state="up"}')).toBe('1');
    expect(v('sockeye_heartbeat_status{heartbeat="certbot-renew",state="failed"}')).toBe('1');
    expect(v('sockeye_heartbeat_pings_total{heartbeat="backup",kind="success"}')).toBe('3');
    expect(v('sockeye_heartbeat_pings_total{heartbeat="db-dump",kind="log"}')).toBe('1');
    expect(v('sockeye_heartbeat_running{heartbeat="db-dump"}')).toBe('0');
    // Cron heartbeats: due at the next 03:00 in Berlin, plus the default hour of grace.
    const due = Number(v('sockeye_heartbeat_deadline_timestamp_seconds{heartbeat="db-dump"}')) * 1000 - 3_600_000;
    expect(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(due)).toBe('03:00');
    expect(due - Date.now()).toBeLessThanOrEqual(24 * 3_600_000);
    expect(m).not.toContain('Challenge failed');
  });

  it('the status page shows the last pings of a heartbeat and their bodies', { timeout: 60_000 }, async () => {
    const page: Page = await browser.newPage({ width: 1280, height: 1400 });
    const problems = watchConsole(page);
    await page.goto(`${sockeye.url}/`, { waitUntil: 'load' });
    const cert = page.locator('#heartbeats article[data-name="certbot-renew"]');
    await cert.waitFor();
    expect(await cert.locator('.head .badge').innerText()).toBe('FAILED');
    expect(await cert.innerText()).toContain('0 4 * * 1 (Europe/Berlin) + 2h grace');
    const ping = cert.locator('.pings li').first();
    expect(await ping.locator('.badge').innerText()).toBe('FAIL (EXIT 3)');
    expect(await ping.locator('pre.body').innerText()).toBe('Renewing example.org\nChallenge failed for domain example.org');
    expect(await ping.innerText()).toMatch(/POST from 127\.0\.0\.1/);
    const dump = page.locator('#heartbeats article[data-name="db-dump"]');
    expect(await dump.locator('.pings li').count()).toBe(5);
    expect(await dump.locator('.pings li .badge').allInnerTexts()).toEqual(['SUCCESS', 'SUCCESS', 'LOG', 'START', 'START']);
    expect(await dump.locator('.pings li').nth(2).locator('pre.body').innerText()).toBe('50% done');
    expect(await dump.locator('.pings li').first().innerText()).toMatch(/run [0-9a-f]{8} · took \d/);
    await cert.screenshot({ path: join(SHOTS, 'certbot-renew.png') });
    await page.screenshot({ path: join(SHOTS, 'heartbeats-1280.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('a log over 100 kB sent as a file: the ping counts and its first 100,000 bytes are kept', { timeout: 60_000 }, async () => {
    // "/usr/bin/certbot renew > /tmp/certbot-renew.log 2>&1
    //  curl -fsS -m 10 --retry 5 --data-binary @/tmp/certbot-renew.log https://hc-ping.com/<uuid>/$?"
    const dir = mkdtempSync(join(tmpdir(), 'sockeye-hc-log-'));
    try {
      const log = join(dir, 'certbot-renew.log');
      await sh(`seq -f 'renewal attempt %06g' 1 6600 > "$LOG" 2>&1\ncurl -fsS -m 10 --retry 5 --data-binary @"$LOG" "$BASE/${BACKUP}/$?"`, { LOG: log });
      const sent = readFileSync(log, 'utf8');
      expect(sent.length).toBe(6600 * 23); // 151,800 bytes
      const b = hb(await status(), 'backup');
      expect(b.recentPings[0]).toMatchObject({ kind: 'success', exitStatus: 0, method: 'POST', bodyBytes: 151_800, bodyTruncated: true });
      const pings = (await (await fetch(`${sockeye.url}/api/heartbeats/backup/pings`)).json()) as { pings: Array<{ body: string; bodyBytes: number; bodyTruncated: boolean }> };
      expect(pings.pings[0]!.body).toBe(sent.slice(0, 100_000));
      // The page says the rest was not kept.
      const page: Page = await browser.newPage({ width: 1280, height: 1400 });
      const problems = watchConsole(page);
      await page.goto(`${sockeye.url}/`, { waitUntil: 'load' });
      const ping = page.locator('#heartbeats article[data-name="backup"] .pings li').first();
      await ping.waitFor();
      expect(await ping.innerText()).toContain('148 KiB, only the first 100000 bytes kept');
      expect(await ping.locator('pre.body').innerText()).toBe('…' + sent.slice(100_000 - 2000, 100_000));
      expect(problems).toEqual([]);
      await page.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
