import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { poll } from '../support/poll.js';
import { REPO_ROOT, freePort, runSockeye, startSockeye } from '../support/sockeye.js';
import { worldReadableCopy } from '../support/world-readable.js';

// The real CLI, built: dist/main.js, as `sockeye` runs in a container.

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
const FIXTURES = join(REPO_ROOT, 'test/fixtures/config');
const BAD = join(FIXTURES, 'invalid/several-problems.yaml');
const tmp = mkdtempSync(join(tmpdir(), 'sockeye-cli-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
// check-config also verifies procRoot and stateDir on this host: the fixture's, pointed at ones that exist here.
const GOOD = join(tmp, 'full.yaml');
writeFileSync(GOOD, readFileSync(join(FIXTURES, 'valid/full.yaml'), 'utf8').replace('procRoot: /host/proc', 'procRoot: /proc').replace('stateDir: /var/lib/sockeye', `stateDir: ${join(tmp, 'state')}`));

/** The exact stderr check-config prints for an invalid fixture. */
function expectedStderr(yamlFile: string): string {
  const lines = readFileSync(yamlFile.replace(/\.yaml$/, '.err'), 'utf8').trimEnd().split('\n');
  return `${yamlFile}: invalid configuration\n${lines.map((l) => `  ${l}`).join('\n')}\n`;
}

const NO_STACK = /^\s+at /m;

describe('help and version', () => {
  it.each([['--help'], ['-h'], ['check-config', '--help']])('%s prints usage on stdout and exits 0', async (...args) => {
    const r = await runSockeye(args);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^Usage:$/m);
    expect(r.stdout).toContain('sockeye check-config FILE');
    expect(r.stdout).toContain('--listen');
    expect(r.stdout).toContain('--web.config.file FILE');
    expect(r.stdout).toContain('sockeye healthcheck');
  });

  it.each([['--version'], ['-V']])('%s prints the package.json version', async (flag) => {
    const r = await runSockeye([flag]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`sockeye ${pkg.version}\n`);
  });
});

describe('bad usage exits 2 with a message', () => {
  it.each([
    [['--bogus'], 'sockeye: unknown option --bogus'],
    [['frobnicate'], 'sockeye: unknown command "frobnicate"'],
    [['--config'], "sockeye: Option '-c, --config <value>' argument missing"],
    [['check-config'], 'sockeye: check-config: expected a config file path'],
    [['--listen', 'localhost'], 'sockeye: --listen: expected host:port (IPv6 in brackets, e.g. [::1]:9855), got "localhost"'],
    [['--listen', '[::1:80'], 'sockeye: --listen: expected host:port (IPv6 in brackets, e.g. [::1]:9855), got "[::1:80"'],
    [['--listen', '127.0.0.1:99999'], 'sockeye: --listen: expected host:port (IPv6 in brackets, e.g. [::1]:9855), got "127.0.0.1:99999"'],
  ])('%j', async (args, message) => {
    const r = await runSockeye(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`${message}\nTry 'sockeye --help'.\n`);
  });

  it('an invalid SOCKEYE_LISTEN is named as such', async () => {
    const r = await runSockeye([], { env: { SOCKEYE_LISTEN: 'nowhere' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('sockeye: SOCKEYE_LISTEN: expected host:port');
  });
});

describe('check-config', () => {
  it('accepts a good file (0, summary on stdout)', async () => {
    const r = await runSockeye(['check-config', GOOD]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${GOOD}: ok — 4 target(s), 0 check(s), 1 heartbeat(s)\n`);
  });

  it('accepts the shipped example config', async () => {
    const example = join(REPO_ROOT, 'examples/sockeye.yaml');
    const r = await runSockeye(['check-config', example]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/: ok — 3 target\(s\), 5 check\(s\), 1 heartbeat\(s\)\n$/);
  });

  it('rejects a bad file (2, every problem on stderr with its key path, no stack)', async () => {
    const r = await runSockeye(['check-config', BAD]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(expectedStderr(BAD));
  });

  it('checks every file given and fails if any is bad', async () => {
    const missing = join(tmp, 'missing.yaml');
    const r = await runSockeye(['check-config', GOOD, BAD, missing]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe(`${GOOD}: ok — 4 target(s), 0 check(s), 1 heartbeat(s)\n`);
    expect(r.stderr).toBe(`${expectedStderr(BAD)}${missing}: cannot read config file: no such file\n`);
  });

  it('validates a web config given with --web.config.file, alone or next to config files', async () => {
    const web = join(tmp, 'web.yml');
    writeFileSync(web, 'basic_auth_users:\n  prometheus: $2y$10$GLNBlCcufrR5GfPcX7As3OzfX7Rff7k2GTrog30RvnoSgLxaltHDa\n');
    const alone = await runSockeye(['check-config', '--web.config.file', web]);
    expect([alone.code, alone.stdout, alone.stderr]).toEqual([0, `${web}: ok — web config, basic auth (1 user(s))\n`, '']);
    const bad = join(tmp, 'web-bad.yml');
    writeFileSync(bad, 'tls_server_config:\n  cert_file: /nonexistent.crt\n  key_file: /nonexistent.key\n  client_auth: RequireAndVerifyClientCert\n');
    const both = await runSockeye(['check-config', GOOD, '--web.config.file', bad]);
    expect(both.code).toBe(2);
    expect(both.stdout).toBe(`${GOOD}: ok — 4 target(s), 0 check(s), 1 heartbeat(s)\n`);
    expect(both.stderr).toMatch(new RegExp(`^${bad}: invalid configuration\n  tls_server_config\.client_auth: unknown key, did you mean "client_auth_type"\\?`));
  });

  it('reads the file from --config or SOCKEYE_CONFIG when none is given', async () => {
    const viaFlag = await runSockeye(['check-config', '--config', GOOD]);
    expect(viaFlag.code).toBe(0);
    expect(viaFlag.stdout).toContain(`${GOOD}: ok`);
    const viaEnv = await runSockeye(['check-config'], { env: { SOCKEYE_CONFIG: BAD } });
    expect(viaEnv.code).toBe(2);
    expect(viaEnv.stderr).toBe(expectedStderr(BAD));
  });

  it('reports a file another uid cannot read as permission denied', async () => {
    if (process.getuid!() !== 0) {
      // Not root: our own uid cannot read a mode-000 file either.
      const file = join(tmp, 'secret-self.yaml');
      writeFileSync(file, 'topN: 3\n');
      chmodSync(file, 0o000);
      const r = await runSockeye(['check-config', file]);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`${file}: cannot read config file: permission denied\n`);
      return;
    }
    // Root reads everything: drop to nobody with setpriv (util-linux, in ensure-test-deps.sh).
    const dir = mkdtempSync(join(tmpdir(), 'sockeye-cli-perm-'));
    try {
      chmodSync(dir, 0o755);
      const file = join(dir, 'secret.yaml');
      writeFileSync(file, 'topN: 3\n', { mode: 0o600 });
      const wrapper = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
      // From a copy nobody can reach: this checkout may sit in a private directory.
      const main = join(await worldReadableCopy(), 'dist/main.js');
      const r = await runSockeye(['check-config', file], { wrapper, cwd: dir, main });
      expect(r.stderr).toBe(`${file}: cannot read config file: permission denied\n`);
      expect(r.code).toBe(2);
      // The same file is fine for its owner: the failure above is the permission.
      expect((await runSockeye(['check-config', file])).code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a directory given as the config', async () => {
    const r = await runSockeye(['check-config', tmp]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`${tmp}: cannot read config file: is a directory, expected a file\n`);
  });
});

describe('serving', () => {
  it('zero-config default serves /metrics and exits 0 on SIGTERM', async () => {
    const s = await startSockeye();
    const res = await fetch(`${s.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const body = await res.text();
    // sockeye's own process metrics, from its own fresh registry.
    expect(body).toMatch(/^process_open_fds \d+$/m);
    expect(body).toMatch(/^# HELP process_cpu_seconds_total /m);
    expect(await s.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  });

  it('says once at startup what runs: version, revision, no config, stateDir, listen address, collection', async () => {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    const s = await startSockeye();
    // Written right after listen: /readyz may answer before the pipe delivers it.
    await poll(() => s.logs().includes('"stateDir"'), { timeoutMs: 10_000, what: 'the startup line' });
    const lines = s.logs().split('\n').filter((l) => l.includes('"stateDir"')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 30, version: pkg.version, revision: head, nodejs: process.version, config: null, stateDir: '.sockeye-state', listen: `127.0.0.1:${s.port}`, tls: false, basicAuth: false });
    expect(lines[0]!.msg).toMatch(
      new RegExp(`^sockeye ${pkg.version.replaceAll('.', '\\.')} \\(revision ${head}, Node\\.js ${process.version}\\) serving http://127\\.0\\.0\\.1:${s.port}; no config: watching every process, grouped by command name; stateDir \\.sockeye-state; collection: `),
    );
    // The built server's sockeye_build_info carries the commit it was built from.
    const body = await (await fetch(`${s.url}/metrics`)).text();
    expect(body).toContain(`sockeye_build_info{version="${pkg.version}",revision="${head}",nodejs="${process.version}"} 1`);
    await s.stop();
  });

  it('names the config file and counts its targets, checks and heartbeats in the startup line', async () => {
    const s = await startSockeye({
      config: {
        stateDir: 'state-here',
        targets: [{ name: 'a', match: { comm: 'nothing-a' } }, { name: 'b', match: { comm: 'nothing-b' } }],
        checks: [{ name: 'c', every: '1h', tcp: { address: '127.0.0.1:1' } }],
        heartbeats: [{ name: 'h', period: '1d' }],
      },
    });
    const text = await poll(() => s.logs().split('\n').find((l) => l.includes('"stateDir"')), { timeoutMs: 10_000, what: 'the startup line' });
    const line = JSON.parse(text) as Record<string, unknown>;
    expect(line).toMatchObject({ config: s.configPath, targets: 2, checks: 1, heartbeats: 1, stateDir: 'state-here' });
    expect(line.msg).toContain(`; config ${s.configPath}: 2 targets, 1 check, 1 heartbeat; stateDir state-here; collection: `);
    await s.stop();
  });

  it('exits 0 on SIGINT as well', async () => {
    const s = await startSockeye({ config: 'logLevel: warn\n' });
    expect(await s.stop('SIGINT')).toEqual({ code: 0, signal: null });
  });

  it('--config missing file exits 2 naming the file', async () => {
    const missing = join(tmp, 'nope.yaml');
    const r = await runSockeye(['--config', missing, '--listen', '127.0.0.1:0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`${missing}: cannot read config file: no such file\n`);
  });

  it('an invalid --config exits 2 before listening, with every problem', async () => {
    const r = await runSockeye(['--config', BAD, '--listen', '127.0.0.1:0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(expectedStderr(BAD));
    expect(r.stderr).not.toMatch(NO_STACK);
  });

  it('takes the config from SOCKEYE_CONFIG and listens where it says', async () => {
    const port = await freePort();
    const file = join(tmp, 'env.yaml');
    writeFileSync(file, `listen: 127.0.0.1:${port}\nlogLevel: warn\n`);
    const s = await startSockeye({ env: { SOCKEYE_CONFIG: file }, listenFlag: false, port });
    expect((await fetch(`${s.url}/readyz`)).status).toBe(200);
    expect(await s.stop()).toEqual({ code: 0, signal: null });
  });

  it('SOCKEYE_LISTEN overrides the config, --listen overrides both', async () => {
    const [fromConfig, fromEnv] = [await freePort(), await freePort()];
    const config = `listen: 127.0.0.1:${fromConfig}\nlogLevel: warn\n`;
    const env = await startSockeye({ config, env: { SOCKEYE_LISTEN: `127.0.0.1:${fromEnv}` }, listenFlag: false, port: fromEnv });
    await expect(fetch(`http://127.0.0.1:${fromConfig}/readyz`)).rejects.toThrow();
    await env.stop();
    // startSockeye passes --listen on a port of its own choosing.
    const flag = await startSockeye({ config, env: { SOCKEYE_LISTEN: `127.0.0.1:${fromEnv}` } });
    expect([fromConfig, fromEnv]).not.toContain(flag.port);
    expect((await fetch(`${flag.url}/readyz`)).status).toBe(200);
    await expect(fetch(`http://127.0.0.1:${fromEnv}/readyz`)).rejects.toThrow();
    await flag.stop();
  });

  it('listens on IPv6 loopback', async () => {
    const s = await startSockeye({ host: '::1', config: 'logLevel: warn\n' });
    expect(s.url).toMatch(/^http:\/\/\[::1\]:\d+$/);
    expect((await fetch(`${s.url}/metrics`)).status).toBe(200);
    await s.stop();
  });

  it('healthcheck finds the server where SOCKEYE_CONFIG says it listens: 0 while it answers, 1 once it is gone', async () => {
    const port = await freePort();
    const file = join(tmp, 'hc.yaml');
    writeFileSync(file, `listen: 0.0.0.0:${port}\nlogLevel: warn\n`);
    const s = await startSockeye({ env: { SOCKEYE_CONFIG: file }, listenFlag: false, port });
    const ok = await runSockeye(['healthcheck'], { env: { SOCKEYE_CONFIG: file } });
    expect([ok.code, ok.stdout, ok.stderr]).toEqual([0, '', '']);
    await s.stop();
    const gone = await runSockeye(['healthcheck'], { env: { SOCKEYE_CONFIG: file } });
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(new RegExp(`^sockeye healthcheck: http://127\\.0\\.0\\.1:${port}/healthz: connect ECONNREFUSED`));
  });

  it('the test spawner reports a sockeye that exits early, with its output', async () => {
    await expect(startSockeye({ config: 'topN: many\n' })).rejects.toThrow(
      /exited with 2\); output:\n.*sockeye\.yaml: invalid configuration\n {2}topN: expected a whole number from 1 to 1000, got the string "many"/s,
    );
  });

  describe('a port already taken', () => {
    let holder: Server | undefined;
    afterAll(() => holder?.close());

    it('exits 1 with one clear line, no stack trace', async () => {
      holder = createServer();
      const port = await new Promise<number>((resolve) => holder!.listen(0, '127.0.0.1', () => resolve((holder!.address() as { port: number }).port)));
      const r = await runSockeye(['--listen', `127.0.0.1:${port}`], { env: { SOCKEYE_CONFIG: '' } });
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`sockeye: cannot listen on 127.0.0.1:${port}: address already in use\n`);
    });
  });
});
