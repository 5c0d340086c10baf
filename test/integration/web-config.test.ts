// --web.config.file, exporter-toolkit's format, on the real built server:
// curl over TLS (server certificates, client certificates, TLS versions),
// basic auth with htpasswd's bcrypt hashes on every endpoint, the ping
// routes' own tokens on top, and a real Prometheus scraping through it all.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import bcrypt from 'bcryptjs';
import { parse, stringify } from 'yaml';
import { parseYamlWith } from '../../src/config/load.js';
import { webConfigSchema } from '../../src/web-config/schema.js';
import { makeCerts, type TestCerts } from '../support/certs.js';
import { poll } from '../support/poll.js';
import { startPrometheus, type Prometheus } from '../support/prometheus.js';
import { REPO_ROOT, freePort, runSockeye, startSockeye, type Sockeye } from '../support/sockeye.js';

interface Curl {
  /** curl's exit status: 0, or why the transfer failed (35 handshake, 56 receive, 60 certificate). */
  exit: number;
  status: number;
  headers: string;
  body: string;
}

function curl(url: string, args: string[] = []): Promise<Curl> {
  return new Promise((resolve, reject) => {
    // Headers and body both on stdout (curl 7.88 crashes writing -D to /dev/stderr on a pipe).
    execFile('curl', ['-sS', '--max-time', '10', '-D', '-', '-w', '\n%{http_code}', ...args, url], { encoding: 'utf8' }, (err, stdout) => {
      const exit = err ? Number((err as { code?: number | string }).code ?? -1) : 0;
      if (!Number.isInteger(exit) || exit < 0) return reject(err);
      const cut = stdout.lastIndexOf('\n');
      const response = stdout.slice(0, cut);
      const split = response.indexOf('\r\n\r\n');
      resolve({ exit, status: Number(stdout.slice(cut + 1)), headers: split < 0 ? response : response.slice(0, split), body: split < 0 ? '' : response.slice(split + 4) });
    });
  });
}

/** htpasswd -nbBC 10, as the exporter-toolkit docs tell people to make the hashes. */
function htpasswd(password: string): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('htpasswd', ['-nbBC', '10', '', password], { encoding: 'utf8' }, (err, out) => (err ? reject(err) : resolve(out.replace(/^:/, '').trim()))),
  );
}

let certs: TestCerts;
let hash: string;
const PASSWORD = 'scrape-secret';
const PING_TOKEN = 'ping-token-0123';

beforeAll(async () => {
  certs = makeCerts();
  hash = await htpasswd(PASSWORD);
});
afterAll(() => certs?.cleanup());

/** Starts sockeye with this web config; ready once /readyz answers through it. */
async function serve(web: Record<string, unknown>, ready: string[], config: Record<string, unknown> = {}): Promise<Sockeye> {
  const file = join(certs.dir, `web-${Math.random().toString(36).slice(2)}.yml`);
  writeFileSync(file, stringify(web));
  return startSockeye({
    config: { stateDir: 'state', ...config },
    args: ['--web.config.file', file],
    scheme: 'https',
    ready: async (s) => (await curl(`${s.url}/readyz`, ready)).status === 200,
  });
}

describe('TLS and basic auth', () => {
  let s: Sockeye;
  const tlsArgs = () => ['--cacert', certs.caFile];
  const auth = ['-u', `prometheus:${PASSWORD}`];
  beforeAll(async () => {
    s = await serve(
      {
        tls_server_config: { cert_file: certs.valid.certFile, key_file: join(certs.dir, 'valid.key') },
        http_server_config: { headers: { 'X-Frame-Options': 'deny', 'X-Content-Type-Options': 'nosniff' } },
        basic_auth_users: { prometheus: hash },
      },
      ['--cacert', certs.caFile, '-u', `prometheus:${PASSWORD}`],
      { heartbeats: [{ name: 'backup', period: '1d', token: PING_TOKEN }] },
    );
  });

  it('serves /metrics over TLS to the right user, with sockeye_build_info and the configured headers', async () => {
    const r = await curl(`${s.url}/metrics`, [...tlsArgs(), ...auth]);
    expect(r.exit).toBe(0);
    expect(r.status).toBe(200);
    expect(r.body).toMatch(/^sockeye_build_info\{version="\d+\.\d+\.\d+",revision="([0-9a-f]{40}|unknown)",nodejs="v\d+\.\d+\.\d+"\} 1$/m);
    expect(r.headers).toMatch(/^x-frame-options: deny\r?$/im);
    expect(r.headers).toMatch(/^x-content-type-options: nosniff\r?$/im);
  });

  it.each(['/metrics', '/', '/api/status', '/healthz', '/readyz', '/ping/backup', '/debug/nothing-here'])('%s answers 401 without credentials', async (path) => {
    const r = await curl(`${s.url}${path}`, tlsArgs());
    expect(r.status).toBe(401);
    expect(r.headers).toMatch(/^www-authenticate: Basic realm="sockeye"/im);
    expect(r.body).not.toContain('sockeye_');
  });

  it('refuses a wrong password and an unknown user', async () => {
    expect((await curl(`${s.url}/metrics`, [...tlsArgs(), '-u', 'prometheus:wrong'])).status).toBe(401);
    expect((await curl(`${s.url}/metrics`, [...tlsArgs(), '-u', `nobody:${PASSWORD}`])).status).toBe(401);
  });

  it('is TLS with its own certificate: untrusted without the CA, no answer in plain HTTP', async () => {
    expect((await curl(`${s.url}/metrics`, auth)).exit).toBe(60);
    const plain = await curl(`${s.url.replace('https:', 'http:')}/metrics`, auth);
    expect(plain.status).not.toBe(200);
    expect(plain.body).not.toContain('sockeye_');
  });

  it("pings need the heartbeat's own token on top of basic auth", async () => {
    const url = `${s.url}/ping/backup`;
    expect((await curl(url, [...tlsArgs(), ...auth])).status).toBe(401);
    expect((await curl(`${url}?token=wrong-token-99`, [...tlsArgs(), ...auth])).status).toBe(401);
    // The token alone does not get past basic auth.
    expect((await curl(url, [...tlsArgs(), '-H', `Authorization: Bearer ${PING_TOKEN}`])).status).toBe(401);
    const ok = await curl(`${url}?token=${PING_TOKEN}`, [...tlsArgs(), ...auth]);
    expect([ok.status, ok.body]).toEqual([200, 'OK']);
    const metrics = await curl(`${s.url}/metrics`, [...tlsArgs(), ...auth]);
    expect(metrics.body).toMatch(/^sockeye_heartbeat_last_ping_timestamp_seconds\{heartbeat="backup",kind="success"\} [1-9]/m);
  });

  it('says at startup that it serves https with TLS and basic auth, from which web config', async () => {
    const line = await poll(() => s.logs().split('\n').find((l) => l.includes('"webConfig"')), { timeoutMs: 10_000, what: 'the startup line' });
    expect(JSON.parse(line!)).toMatchObject({ tls: true, basicAuth: true, msg: expect.stringContaining(`serving https://127.0.0.1:${s.port}, web config `) });
    expect(line).toContain('(TLS, basic auth)');
  });
});

describe('client certificates', () => {
  it('RequireAndVerifyClientCert: only a certificate from client_ca_file with an allowed SAN gets in, on TLS 1.3 only', async () => {
    const s = await serve(
      {
        tls_server_config: {
          cert_file: certs.valid.certFile,
          key_file: join(certs.dir, 'valid.key'),
          client_auth_type: 'RequireAndVerifyClientCert',
          client_ca_file: certs.caFile,
          client_allowed_sans: ['prometheus.test'],
          min_version: 'TLS13',
        },
      },
      ['--cacert', certs.caFile, '--cert', certs.client.certFile, '--key', certs.client.keyFile],
    );
    const base = ['--cacert', certs.caFile];
    const ok = await curl(`${s.url}/metrics`, [...base, '--cert', certs.client.certFile, '--key', certs.client.keyFile]);
    expect([ok.exit, ok.status]).toEqual([0, 200]);
    expect((await curl(`${s.url}/metrics`, base)).status).not.toBe(200);
    expect((await curl(`${s.url}/metrics`, [...base, '--cert', certs.stranger.certFile, '--key', certs.stranger.keyFile])).status).not.toBe(200);
    const tls12 = await curl(`${s.url}/metrics`, [...base, '--cert', certs.client.certFile, '--key', certs.client.keyFile, '--tls-max', '1.2']);
    expect(tls12.exit).toBe(35);
    await s.stop();
  });

  it('client_allowed_sans refuses a trusted certificate whose SANs are not listed', async () => {
    const clientArgs = ['--cacert', certs.caFile, '--cert', certs.client.certFile, '--key', certs.client.keyFile];
    const file = join(certs.dir, 'web-sans.yml');
    const web = (sans: string[]) => ({
      tls_server_config: { cert_file: certs.valid.certFile, key_file: join(certs.dir, 'valid.key'), client_auth_type: 'RequireAnyClientCert', client_allowed_sans: sans },
    });
    // RequireAnyClientCert does not verify: the self-signed one is let in by SAN alone.
    const any = await serve(web(['prometheus.test']), clientArgs);
    expect((await curl(`${any.url}/metrics`, ['--cacert', certs.caFile, '--cert', certs.stranger.certFile, '--key', certs.stranger.keyFile])).status).toBe(200);
    expect((await curl(`${any.url}/metrics`, ['--cacert', certs.caFile])).status).not.toBe(200);
    await any.stop();
    writeFileSync(file, stringify(web(['someone-else.test'])));
    const s = await startSockeye({ config: { stateDir: 'state' }, args: ['--web.config.file', file], scheme: 'https', ready: async () => true });
    // Wait for the port without needing an answer: the server refuses every client here.
    await poll(async () => /serving https/.test(s.logs()), { timeoutMs: 15_000, what: 'startup line' });
    const r = await curl(`${s.url}/metrics`, clientArgs);
    expect(r.status).not.toBe(200);
    expect(r.exit).not.toBe(0);
    await s.stop();
  });
});

describe('a real Prometheus', () => {
  let s: Sockeye;
  let prom: Prometheus;
  beforeAll(async () => {
    s = await serve(
      {
        tls_server_config: {
          cert_file: certs.valid.certFile,
          key_file: join(certs.dir, 'valid.key'),
          client_auth_type: 'RequireAndVerifyClientCert',
          client_ca_file: certs.caFile,
        },
        basic_auth_users: { prometheus: hash },
      },
      ['--cacert', certs.caFile, '--cert', certs.client.certFile, '--key', certs.client.keyFile, '-u', `prometheus:${PASSWORD}`],
    );
    const job = (name: string, password: string) => ({
      job_name: name,
      scheme: 'https',
      scrape_interval: '1s',
      scrape_timeout: '1s',
      tls_config: { ca_file: certs.caFile, cert_file: certs.client.certFile, key_file: certs.client.keyFile },
      basic_auth: { username: 'prometheus', password },
      static_configs: [{ targets: [`127.0.0.1:${s.port}`] }],
    });
    prom = await startPrometheus({ config: { global: { scrape_interval: '1s', evaluation_interval: '1s' }, scrape_configs: [job('sockeye', PASSWORD), job('wrong-password', 'not-it')] } });
  });
  afterAll(async () => {
    await prom?.stop();
    await s?.stop();
  });

  it('scrapes through TLS, a client certificate and basic auth; the wrong password is refused', async () => {
    const info = await poll(async () => {
      const r = await prom.query('sockeye_build_info{job="sockeye"}');
      return r.length > 0 ? r : undefined;
    }, { timeoutMs: 30_000, what: 'sockeye_build_info scraped' });
    expect(info[0]!.metric).toMatchObject({ version: expect.stringMatching(/^\d+\.\d+\.\d+$/), nodejs: process.version });
    expect(info[0]!.value[1]).toBe('1');
    const targets = await poll(async () => {
      const res = await fetch(`${prom.url}/api/v1/targets`);
      const body = (await res.json()) as { data: { activeTargets: Array<{ labels: { job: string }; health: string; lastError: string }> } };
      const all = body.data.activeTargets;
      return all.every((t) => t.health !== 'unknown') ? all : undefined;
    }, { timeoutMs: 30_000, what: 'both targets scraped' });
    expect(targets.find((t) => t.labels.job === 'sockeye')).toMatchObject({ health: 'up' });
    expect(targets.find((t) => t.labels.job === 'wrong-password')).toMatchObject({ health: 'down', lastError: expect.stringContaining('401') });
  });
});

describe('healthcheck through the web config', () => {
  it('answers 0 for a TLS server found from the same environment, 1 naming basic auth when it is on', async () => {
    const tlsOnly = join(certs.dir, 'web-tls.yml');
    writeFileSync(tlsOnly, stringify({ tls_server_config: { cert_file: certs.valid.certFile, key_file: join(certs.dir, 'valid.key') } }));
    const port = await freePort();
    const env = { SOCKEYE_LISTEN: `0.0.0.0:${port}`, SOCKEYE_WEB_CONFIG_FILE: tlsOnly };
    const s = await startSockeye({ env, listenFlag: false, port, scheme: 'https', ready: async (x) => (await curl(`${x.url}/readyz`, ['--cacert', certs.caFile])).status === 200 });
    const ok = await runSockeye(['healthcheck'], { env });
    expect([ok.code, ok.stderr]).toEqual([0, '']);
    await s.stop();
    const down = await runSockeye(['healthcheck'], { env });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(new RegExp(`^sockeye healthcheck: https://127\\.0\\.0\\.1:${port}/healthz: .*ECONNREFUSED`));

    const withAuth = join(certs.dir, 'web-auth.yml');
    writeFileSync(withAuth, stringify({ basic_auth_users: { prometheus: hash } }));
    const env2 = { SOCKEYE_LISTEN: `127.0.0.1:${port}`, SOCKEYE_WEB_CONFIG_FILE: withAuth };
    const a = await startSockeye({ env: env2, listenFlag: false, port, ready: async (x) => (await curl(`${x.url}/readyz`, ['-u', `prometheus:${PASSWORD}`])).status === 200 });
    const r = await runSockeye(['healthcheck'], { env: env2 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('HTTP 401 (basic auth is on');
    await a.stop();
  });
});

describe('an invalid web config', () => {
  it('exits 2 before listening, naming each wrong key, never echoing a hash', async () => {
    const file = join(certs.dir, 'web-bad.yml');
    writeFileSync(
      file,
      stringify({
        tls_server_config: { cert_flie: certs.valid.certFile, key_file: 'valid.key', client_auth_type: 'RequireClientCert' },
        basic_auth_users: { alice: 'plain-password-oops' },
        basic_auth: {},
      }),
    );
    const r = await runSockeye(['--web.config.file', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}: invalid configuration\n`);
    expect(r.stderr).toContain('  tls_server_config.cert_flie: unknown key, did you mean "cert_file"?');
    expect(r.stderr).toContain('  tls_server_config.client_auth_type: expected one of NoClientCert, RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven, RequireAndVerifyClientCert');
    expect(r.stderr).toContain('  basic_auth_users.alice: expected a bcrypt hash');
    expect(r.stderr).toContain('  basic_auth: unknown key, did you mean "basic_auth_users"?');
    expect(r.stderr).not.toContain('plain-password-oops');
  });

  it('exits 2 naming a missing file', async () => {
    const r = await runSockeye(['--web.config.file', '/nonexistent/web.yml']);
    expect([r.code, r.stderr]).toEqual([2, '/nonexistent/web.yml: cannot read web config file: no such file\n']);
  });
});

describe('docs/deploy.md', () => {
  const doc = readFileSync(join(REPO_ROOT, 'docs/deploy.md'), 'utf8');
  const block = (first: string) => {
    const m = new RegExp(`\`\`\`yaml\\n(${first.replace(/[/.]/g, '\\$&')}[\\s\\S]*?)\`\`\``).exec(doc);
    expect(m, first).not.toBeNull();
    return m![1]!;
  };

  it('its web.yml is a valid web config whose example hash is for the password it names', async () => {
    const text = block('# /etc/sockeye/web.yml');
    const web = parseYamlWith(webConfigSchema, text, { source: 'docs/deploy.md', env: false });
    expect(web.tls_server_config).toMatchObject({ min_version: 'TLS12', client_auth_type: 'NoClientCert' });
    const named = /for "([^"]+)"/.exec(text)![1]!;
    expect(await bcrypt.compare(named, web.basic_auth_users!.prometheus!)).toBe(true);
  });

  it('its Prometheus scrape config passes promtool check config', async () => {
    const scrape = parse(block('scrape_configs:')) as { scrape_configs: Array<Record<string, any>> };
    const job = scrape.scrape_configs[0]!;
    expect(job).toMatchObject({ scheme: 'https', basic_auth: { username: 'prometheus' } });
    // The files it names, made here so promtool can open them.
    const ca = certs.caFile;
    const password = join(certs.dir, 'password');
    writeFileSync(password, PASSWORD);
    job.tls_config.ca_file = ca;
    job.basic_auth.password_file = password;
    const file = join(certs.dir, 'prometheus.yml');
    writeFileSync(file, stringify(scrape));
    const out = await new Promise<{ code: number; output: string }>((resolve) =>
      execFile('promtool', ['check', 'config', file], { encoding: 'utf8' }, (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, output: stdout + stderr })),
    );
    expect(out.output).toContain('SUCCESS');
    expect(out.code).toBe(0);
  });
});

describe('a changed web config or certificate applies without a restart', () => {
  /** The subject CN of the certificate the server presents now. */
  const presentedCn = (port: number) =>
    new Promise<string>((resolve, reject) => {
      const socket = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
        const cn = socket.getPeerCertificate().subject?.CN;
        socket.end();
        resolve(String(cn));
      });
      socket.once('error', reject);
    });

  it('serves a renewed certificate and new users, and keeps the old ones while the file is broken', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(certs.dir, 'rotate-'));
    const cert = join(dir, 'tls.crt');
    const key = join(dir, 'tls.key');
    writeFileSync(cert, certs.valid.cert);
    writeFileSync(key, certs.valid.key);
    const file = join(dir, 'web.yml');
    const web = (users: Record<string, string>) => stringify({ tls_server_config: { cert_file: 'tls.crt', key_file: 'tls.key' }, basic_auth_users: users });
    writeFileSync(file, web({ prometheus: hash }));
    const s = await startSockeye({
      config: { stateDir: 'state' },
      args: ['--web.config.file', file],
      scheme: 'https',
      ready: async (x) => (await curl(`${x.url}/readyz`, ['--cacert', certs.caFile, '-u', `prometheus:${PASSWORD}`])).status === 200,
    });
    expect(await presentedCn(s.port)).toBe('localhost');

    // Renewal as a tool writes it: the certificate first, then its key (in between they do not match).
    writeFileSync(cert, certs.wrongHost.cert);
    writeFileSync(key, readFileSync(join(certs.dir, 'wronghost.key')));
    await poll(async () => (await presentedCn(s.port)) === 'other.example.test', { timeoutMs: 30_000, what: 'the renewed certificate served' });

    const other = await htpasswd('another-secret');
    writeFileSync(file, web({ grafana: other }));
    const as = (user: string, password: string) => curl(`${s.url}/metrics`, ['-k', '-u', `${user}:${password}`]).then((r) => r.status);
    await poll(async () => (await as('grafana', 'another-secret')) === 200, { timeoutMs: 30_000, what: 'the new user let in' });
    expect(await as('prometheus', PASSWORD)).toBe(401);

    writeFileSync(file, `${web({ grafana: other })}basic_auth_user: {}\n`);
    await poll(() => s.logs().includes('cannot use the changed file; keeping the one in force'), { timeoutMs: 30_000, what: 'the broken file refused' });
    expect(s.logs()).toContain('basic_auth_user: unknown key');
    expect(await as('grafana', 'another-secret')).toBe(200);
    await s.stop();
  });
});
