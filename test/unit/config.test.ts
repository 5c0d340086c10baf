import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, closest } from '../../src/config/errors.js';
import { defaultConfig, loadConfig, parseConfig } from '../../src/config/load.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/config/', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'sockeye-config-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('valid configs', () => {
  it('an empty file is the zero-config default', () => {
    const defaults = {
      mode: 'sidecar',
      listen: '0.0.0.0:9855',
      procRoot: '/proc',
      topN: 10,
      logLevel: 'info',
      stateDir: '.sockeye-state',
      checks: [],
      heartbeats: [],
    };
    for (const text of ['', '# only a comment\n', '~\n', '{}\n']) {
      const c = parseConfig(text, { env: {} });
      expect(c).toMatchObject(defaults);
      // No targets key: watch every process by command name.
      expect(c.targets).toBeUndefined();
    }
    expect(defaultConfig()).toMatchObject(defaults);
  });

  it('parses every core key to typed values with defaults filled', async () => {
    const c = await loadConfig(join(FIXTURES, 'valid/full.yaml'), {});
    expect(c.listen).toBe('[::1]:9900');
    expect(c.procRoot).toBe('/host/proc');
    expect(c.topN).toBe(25);
    expect(c.logLevel).toBe('warn');
    expect(c.stateDir).toBe('/var/lib/sockeye');
    expect(c.targets).toEqual([
      { name: 'web', match: { cmdline: 'node .*server\\.js' }, processes: { min: 2, max: 4 } },
      { name: 'db', match: { comm: '^postgres$', exe: '/usr/lib/postgresql/.*/bin/postgres' }, processes: { min: 1 } },
      { name: 'pinned', match: { pid: 4242 }, processes: { min: 0 } },
      { name: 'from-pidfile', match: { pidfile: '/run/app.pid' }, processes: { min: 1 } },
    ]);
    // Durations are milliseconds once loaded.
    expect(c.heartbeats[0]).toMatchObject({ name: 'nightly-backup', period: 86_400_000, grace: 5_400_000 });
  });

  it('the cmdline regex survives YAML escaping and matches what it should', async () => {
    const c = await loadConfig(join(FIXTURES, 'valid/full.yaml'), {});
    const re = new RegExp(c.targets![0]!.match.cmdline!);
    expect(re.test('node /srv/app/server.js --port 80')).toBe(true);
    expect(re.test('node /srv/app/serverXjs')).toBe(false);
  });

  it('an explicit empty target list watches nothing (checks-only sidecar)', () => {
    expect(parseConfig('targets: []\n', { env: {} }).targets).toEqual([]);
  });
});

describe('environment interpolation', () => {
  const env = { HOST: '127.0.0.1', PORT: '9911', EMPTY: '', TOKEN: 'abc:def' };

  it('replaces ${VAR} inside strings', () => {
    expect(parseConfig('listen: ${HOST}:${PORT}\n', { env }).listen).toBe('127.0.0.1:9911');
  });

  it('${VAR:-default} falls back when unset or empty', () => {
    expect(parseConfig('procRoot: ${NOT_SET:-/host/proc}\n', { env }).procRoot).toBe('/host/proc');
    expect(parseConfig('procRoot: ${EMPTY:-/host/proc}\n', { env }).procRoot).toBe('/host/proc');
    expect(parseConfig('procRoot: ${HOST:-/host/proc}\n', { env }).procRoot).toBe('127.0.0.1');
  });

  it('${VAR} set to the empty string is empty, not an error', () => {
    expect(parseConfig('stateDir: /var/${EMPTY}lib\n', { env }).stateDir).toBe('/var/lib');
  });

  it('$${ is a literal ${', () => {
    expect(parseConfig('stateDir: /tmp/$${HOST}/$${\n', { env }).stateDir).toBe('/tmp/${HOST}/${');
  });

  it('works in lists and nested mappings, with the path in errors', () => {
    const text = 'targets:\n  - name: a\n    match: { comm: "${HOST}" }\n  - name: b\n    match: { comm: "${NOPE}" }\n';
    expect(problemsOf(() => parseConfig(text, { env }))).toEqual([
      'targets[1].match.comm: environment variable NOPE is not set (use ${NOPE:-default} for a fallback)',
    ]);
  });

  it('an unquoted whole reference takes the number or boolean it spells, as if written there', () => {
    const text = 'topN: ${TOP_N}\nstatusPage:\n  enabled: ${PAGE:-false}\ntargets:\n  - name: web\n    match: { comm: node }\n    processes:\n      min: ${MIN:-2}\n';
    const c = parseConfig(text, { env: { TOP_N: '25' } });
    expect(c.topN).toBe(25);
    expect(c.statusPage.enabled).toBe(false);
    expect(c.targets![0]!.processes.min).toBe(2);
  });

  it('a quoted or partial reference stays a string', () => {
    expect(problemsOf(() => parseConfig('topN: "${TOP_N}"\n', { env: { TOP_N: '25' } }))).toEqual(['topN: expected a whole number from 1 to 1000, got the string "25"']);
    expect(parseConfig('stateDir: ${N}\n', { env: { N: 'data' } }).stateDir).toBe('data');
    expect(parseConfig('listen: 127.0.0.1:${PORT}\n', { env: { PORT: '9000' } }).listen).toBe('127.0.0.1:9000');
  });

  it('a value cannot inject YAML structure', () => {
    const c = parseConfig('stateDir: ${EVIL}\n', { env: { EVIL: 'x\ntopN: 999' } });
    expect(c.stateDir).toBe('x\ntopN: 999');
    expect(c.topN).toBe(10);
  });

  it('reads process.env by default', () => {
    process.env.SOCKEYE_UNIT_TEST_ROOT = '/from/env';
    try {
      expect(parseConfig('procRoot: ${SOCKEYE_UNIT_TEST_ROOT}\n').procRoot).toBe('/from/env');
    } finally {
      delete process.env.SOCKEYE_UNIT_TEST_ROOT;
    }
  });
});

describe('unreadable config files', () => {
  async function readError(file: string): Promise<ConfigError> {
    const err = await loadConfig(file, {}).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }

  it('names a missing file', async () => {
    const file = join(tmp, 'nope.yaml');
    expect((await readError(file)).message).toBe(`${file}: cannot read config file: no such file`);
  });

  it('names a directory', async () => {
    expect((await readError(tmp)).message).toBe(`${tmp}: cannot read config file: is a directory, expected a file`);
  });

  it('names a path through a regular file', async () => {
    const file = join(tmp, 'plain');
    writeFileSync(file, 'x');
    expect((await readError(join(file, 'sockeye.yaml'))).message).toBe(`${file}/sockeye.yaml: cannot read config file: a parent of it is not a directory`);
  });
  // EACCES needs another uid: tested through the CLI in test/integration/cli.test.ts.
});

describe('closest key suggestion', () => {
  const keys = ['listen', 'procRoot', 'topN', 'targets', 'heartbeats'];
  it.each([
    ['listn', 'listen'],
    ['TOPN', 'topN'],
    ['proc', 'procRoot'],
    ['target', 'targets'],
    ['hearbteats', 'heartbeats'],
  ])('%s → %s', (typo, meant) => {
    expect(closest(typo, keys)).toBe(meant);
  });

  it.each(['color', 'x', 'checks'])('no guess for %s', (key) => {
    expect(closest(key, keys)).toBeUndefined();
  });
});

describe('error lines', () => {
  it('the root unknown-key line lists the core keys', () => {
    const [line] = problemsOf(() => parseConfig('colour: red\n', { env: {} }));
    expect(line).toMatch(/^colour: unknown key \(allowed: mode, listen, procRoot, .*topN, logLevel, stateDir, targets, checks, heartbeats/);
  });

  it('never repeat a value given under a secret-looking key', () => {
    const lines = problemsOf(() =>
      parseConfig('checks:\n  - name: c\n    every: 10s\n    http: { url: "http://127.0.0.1:1/", headers: { Authorization: 12345678 } }\n', { env: {} }),
    );
    expect(lines).toContain('checks[0].http.headers.Authorization: expected a header value string, got a number (not shown)');
    expect(lines.join('\n')).not.toContain('12345678');
  });
});
