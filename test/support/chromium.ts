/**
 * Headless Debian Chromium driven by playwright-core, for e2e tests of pages
 * sockeye serves.
 *
 *   const browser = await openChromium();          // closed in afterAll
 *   const page = await browser.newPage({ width: 1280, height: 900 });
 *   const log = watchConsole(page);                // console errors, page errors, failed requests
 *
 * Uses /usr/bin/chromium (scripts/ensure-test-deps.sh installs it), a fresh
 * user-data-dir per browser (removed on close), and no network beyond what
 * the page asks for: the flags switch off Chromium's own background traffic.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll } from 'vitest';

export const CHROMIUM = '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Chromium {
  newPage(viewport: { width: number; height: number }): Promise<Page>;
  close(): Promise<void>;
}

const open = new Set<Chromium>();
try {
  afterAll(async () => {
    await Promise.all([...open].map((b) => b.close()));
  });
} catch {
  // Imported outside a test file (a script): the exit hook or the caller cleans up.
}

export async function openChromium(): Promise<Chromium> {
  const profile = mkdtempSync(join(tmpdir(), 'sockeye-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, timeout: 30_000 });
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    throw new Error(`cannot start ${CHROMIUM} (install it: bash scripts/ensure-test-deps.sh): ${(err as Error).message}`);
  }
  let closed = false;
  const browser: Chromium = {
    async newPage(viewport) {
      const page = await context.newPage();
      await page.setViewportSize(viewport);
      return page;
    },
    async close() {
      if (closed) return;
      closed = true;
      open.delete(browser);
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
  open.add(browser);
  return browser;
}

/** Everything that went wrong in the page: console errors, uncaught exceptions, failed or 4xx/5xx requests. */
export function watchConsole(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning') problems.push(`console.${msg.type()}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('requestfailed', (req) => problems.push(`requestfailed: ${req.url()} ${req.failure()?.errorText ?? ''}`));
  page.on('response', (res) => {
    if (res.status() >= 400) problems.push(`HTTP ${res.status()}: ${res.url()}`);
  });
  return problems;
}
