// The suite passes wherever a user clones it, even inside a private directory
// (mode 0700, like /root or a `mktemp -d`) that the uid the tests drop to
// cannot traverse: the tests that run sockeye as that uid run it from a
// world-readable copy (test/support/world-readable.ts). Proved here by
// running exactly those tests, with vitest, from such a clone. They are found
// in the source (test/support/as-other-uid.ts), so a new one is not missed.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { testsAsOtherUid } from '../support/as-other-uid.js';
import { REPO_ROOT, ensureBuilt } from '../support/sockeye.js';
import { copyEntries } from '../support/world-readable.js';

const run = promisify(execFile);

/** Every test that runs a process as another uid (setpriv), this file's own check of its premise aside. */
const AS_OTHER_UID = testsAsOtherUid(REPO_ROOT, [relative(REPO_ROOT, fileURLToPath(import.meta.url))]);

const privateDir = mkdtempSync(join(tmpdir(), 'sockeye-private-'));
let vitest: ReturnType<typeof spawn> | undefined;
afterAll(() => {
  // Its whole process group: vitest and the forks it started.
  if (vitest?.exitCode === null) process.kill(-vitest.pid!, 'SIGKILL');
  rmSync(privateDir, { recursive: true, force: true });
});

it('finds the tests that run a process as another uid in the source', () => {
  // At least those there were when it was written; a new one joins by itself.
  const found = AS_OTHER_UID.map((t) => `${t.file} › ${t.name}`);
  expect(found).toEqual(
    expect.arrayContaining([
      'test/integration/cli.test.ts › reports a file another uid cannot read as permission denied',
      'test/integration/collectors-unreadable.test.ts › is readable=0 with the missing capability logged once, and the scrape succeeds (%s source)',
      "test/integration/fd-native.test.ts › both report 'denied' for another user's process, through the path SOCKEYE_NATIVE selects",
      'test/integration/heartbeats-durability.test.ts › stops startup with a clear error (EACCES) and leaves the file as it was',
      'test/integration/heartbeats-durability.test.ts › check-config and startup name a stateDir sockeye cannot write',
      'test/integration/inspect.test.ts › a process whose fd directory cannot be read: exit 1, naming the capabilities that are missing',
    ]),
  );
});

interface JsonReport {
  testResults: Array<{ name: string; assertionResults: Array<{ title: string; status: string; failureMessages: string[] }> }>;
}

it('the tests that run sockeye as another uid pass from a clone in a 0700 directory', { timeout: 240_000 }, async () => {
  expect(statSync(privateDir).mode & 0o777).toBe(0o700);
  const clone = join(privateDir, 'sockeye');

  // What `git clone` gives (tracked files, here as they are in the working
  // tree, plus new ones not ignored), then what `npm ci` and the build add.
  await ensureBuilt();
  // safe.directory: only a listing, whoever owns the checkout (a mounted one in a container).
  const listed = (await run('git', ['-c', 'safe.directory=*', 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO_ROOT, maxBuffer: 16 << 20 })).stdout;
  const files = listed.split('\0').filter((f) => f !== '' && existsSync(join(REPO_ROOT, f)));
  const built = ['node_modules', 'dist', ...(existsSync(join(REPO_ROOT, 'build/Release/sockeye_fd.node')) ? ['build/Release/sockeye_fd.node'] : [])];
  mkdirSync(clone, { mode: 0o755 });
  await copyEntries(REPO_ROOT, [...files, ...built], clone);

  if (process.getuid?.() === 0) {
    // The premise: uid 65534 cannot reach the clone itself.
    const peek = await run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'cat', join(clone, 'package.json')]).then(
      () => 'readable',
      (err: { stderr: string }) => err.stderr,
    );
    expect(peek).toContain('Permission denied');
  }

  const out = join(privateDir, 'report.json');
  const env: NodeJS.ProcessEnv = {};
  // Not the settings of the vitest running this test.
  for (const [k, v] of Object.entries(process.env)) if (!/^(VITEST|TEST$)/.test(k)) env[k] = v;
  const proc = spawn(
    process.execPath,
    [
      join(clone, 'node_modules/vitest/vitest.mjs'),
      'run',
      ...new Set(AS_OTHER_UID.map((t) => t.file)),
      '--testNamePattern',
      AS_OTHER_UID.map((t) => `(?:${t.pattern})`).join('|'),
      '--reporter=json',
      '--outputFile',
      out,
    ],
    { cwd: clone, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  vitest = proc;
  let output = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
  proc.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
  const code = await new Promise<number | null>((resolve) => proc.once('close', resolve));

  const report = JSON.parse(readFileSync(out, 'utf8')) as JsonReport;
  const results = report.testResults.flatMap((f) => f.assertionResults.map((a) => ({ file: relative(clone, f.name), ...a })));
  const failures = results.filter((r) => r.status === 'failed').map((r) => `${r.file} › ${r.title}:\n${r.failureMessages.join('\n')}`);
  expect(failures, output).toEqual([]);
  // Each of them ran and passed (an it.each test once per row at least).
  const passed = results.filter((r) => r.status === 'passed');
  const unrun = AS_OTHER_UID.filter((t) => !passed.some((r) => r.file === t.file && new RegExp(`^(?:${t.pattern})$`).test(r.title)));
  expect(unrun.map((t) => `${t.file} › ${t.name}`), output).toEqual([]);
  expect(code, output).toBe(0);
});
