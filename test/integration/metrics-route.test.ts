import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { BUILD_INFO } from '../../src/build-info.js';
import { parseConfig } from '../../src/config/load.js';
import { CONTENT_TYPES, negotiateFormat } from '../../src/exposition/negotiate.js';
import { poll } from '../support/poll.js';
import { startPrometheus, type Prometheus } from '../support/prometheus.js';
import { startSockeye, type Sockeye } from '../support/sockeye.js';

// What Prometheus 2.x sends when it scrapes (checked against a real one below).
const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

/** promtool check metrics on stdin: exit code and its complaints. */
function promtoolCheck(text: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    p.stdout.on('data', (d) => (output += d));
    p.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), 20_000);
    p.once('error', reject);
    p.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
    p.stdin.end(text);
  });
}

/**
 * Structure of an OpenMetrics exposition: every sample belongs to the family
 * declared just before it (with the suffixes its type allows), no family is
 * declared twice, and the text ends with exactly one `# EOF`.
 */
function openMetricsProblems(text: string): string[] {
  const problems: string[] = [];
  const suffixes: Record<string, string[]> = { counter: ['_total', '_created'], gauge: [''], histogram: ['_bucket', '_sum', '_count', '_created'], summary: ['', '_sum', '_count', '_created'], unknown: [''] };
  if (!text.endsWith('\n# EOF\n') && text !== '# EOF\n') problems.push('does not end with "# EOF\\n"');
  const body = text.endsWith('# EOF\n') ? text.slice(0, -'# EOF\n'.length) : text;
  const lines = body.split('\n').filter((l, i, all) => l !== '' || i < all.length - 1);
  const seen = new Set<string>();
  let family: { name: string; type: string } | undefined;
  for (const line of lines) {
    let m: RegExpExecArray | null;
    if ((m = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|unknown)$/.exec(line))) {
      if (seen.has(m[1]!)) problems.push(`family ${m[1]} declared twice`);
      seen.add(m[1]!);
      family = { name: m[1]!, type: m[2]! };
      if (family.type === 'counter' && family.name.endsWith('_total')) problems.push(`counter family ${family.name} ends in _total`);
    } else if ((m = /^# (HELP|UNIT) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line))) {
      if (m[2] !== family?.name) problems.push(`${m[1]} for ${m[2]} outside its family`);
      if (m[1] === 'UNIT' && !m[2]!.endsWith(`_${m[3]}`)) problems.push(`unit ${m[3]} is not the suffix of ${m[2]}`);
    } else if ((m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*\})? (\S+)$/.exec(line))) {
      if (!family || !suffixes[family.type]!.some((s) => m![1] === `${family!.name}${s}`)) problems.push(`sample ${m[1]} outside its family (${family?.name})`);
      if (!/^(NaN|[+-]Inf|-?\d+(\.\d+)?(e[+-]?\d+)?)$/.test(m[3]!)) problems.push(`bad value in ${line}`);
    } else {
      problems.push(`unparseable line: ${JSON.stringify(line)}`);
    }
  }
  return problems;
}

// prom-client's nodejs_active_* gauges end in _total, which promtool's linter
// flags; they are prom-client's names, not ours (issue 2 allows filtering them).
const withoutNodejsActive = (text: string) =>
  text
    .split('\n')
    .filter((l) => !/^(# (HELP|TYPE) )?nodejs_active_/.test(l))
    .join('\n');

describe('/metrics through app.inject', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildApp(parseConfig('targets: []\nlogLevel: silent\n', { env: {} }), { logger: false });
  });
  afterAll(() => app?.close());

  const scrape = (accept?: string) => app.inject({ method: 'GET', url: '/metrics', headers: accept ? { accept } : {} });

  it('serves the Prometheus text format by default, and promtool accepts it', async () => {
    const res = await scrape();
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.headers.vary).toBe('Accept');
    expect(res.body).toMatch(/^# TYPE process_cpu_seconds_total counter$/m);
    expect(res.body).not.toContain('# EOF');
    const check = await promtoolCheck(withoutNodejsActive(res.body));
    expect(check.output).toBe('');
    expect(check.code).toBe(0);
  });

  it('sockeye_scrape_series counts the samples of the exposition it is in, itself included', async () => {
    const res = await scrape();
    const samples = res.body.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    // Nothing is recorded between the count and the render (HTTP metrics are recorded after a response).
    expect(samples.filter((l) => l.startsWith('sockeye_scrape_series '))).toEqual([`sockeye_scrape_series ${samples.length}`]);
  });

  it('has sockeye_build_info 1 with the version from package.json, the git revision built and the Node.js running it', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const res = await scrape();
    expect(res.body).toMatch(/^# TYPE sockeye_build_info gauge$/m);
    const line = res.body.split('\n').find((l) => l.startsWith('sockeye_build_info{'));
    expect(line).toBe(`sockeye_build_info{version="${pkg.version}",revision="${BUILD_INFO.revision}",nodejs="${process.version}"} 1`);
    // From source (as here) the revision is unknown; the built server's is the commit (cli.test.ts).
    expect(BUILD_INFO.revision).toMatch(/^([0-9a-f]{40}|unknown)$/);
  });

  it('has no sockeye_external_url_info without externalUrl, and the configured URL as its label with one, following reloads', async () => {
    expect((await scrape()).body).not.toMatch(/^sockeye_external_url_info/m);
    const yaml = (url: string) => `targets: []\nlogLevel: silent\n${url ? `externalUrl: ${url}\n` : ''}`;
    let file = yaml('https://sockeye.example/ops');
    const app = await buildApp(parseConfig(file, { env: {} }), { logger: false, loadConfig: async () => parseConfig(file, { env: {} }) });
    const info = async () => (await app.inject({ method: 'GET', url: '/metrics' })).body.split('\n').filter((l) => l.startsWith('sockeye_external_url_info'));
    try {
      expect(await info()).toEqual(['sockeye_external_url_info{url="https://sockeye.example/ops/"} 1']);
      // A reload moves it, or takes it away.
      file = yaml('https://new.example/');
      expect(await app.reloadConfig()).toMatchObject({ ok: true });
      expect(await info()).toEqual(['sockeye_external_url_info{url="https://new.example/"} 1']);
      file = yaml('');
      expect(await app.reloadConfig()).toMatchObject({ ok: true });
      expect(await info()).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('serves OpenMetrics 1.0 to what Prometheus asks for', async () => {
    const res = await scrape(PROMETHEUS_ACCEPT);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    expect(res.body).toMatch(/^# TYPE process_cpu_seconds counter\n# UNIT process_cpu_seconds seconds\n# HELP process_cpu_seconds .+\nprocess_cpu_seconds_total \d/m);
    expect(res.body.endsWith('\n# EOF\n')).toBe(true);
    expect(openMetricsProblems(res.body)).toEqual([]);
  });

  it('the structure check catches a broken exposition (so its [] above means something)', () => {
    expect(openMetricsProblems('# TYPE a_total counter\na_total 1\nb 2\n')).toEqual([
      'does not end with "# EOF\\n"',
      'counter family a_total ends in _total',
      // its samples would have to be a_total_total
      'sample a_total outside its family (a_total)',
      'sample b outside its family (a_total)',
    ]);
  });

  it('alternating text and OpenMetrics scrapes never lose _total in text', async () => {
    const text1 = (await scrape()).body;
    for (let i = 0; i < 3; i++) {
      expect((await scrape(PROMETHEUS_ACCEPT)).body).toContain('\nprocess_cpu_seconds_total ');
      const text = (await scrape()).body;
      expect(text).toMatch(/^process_cpu_seconds_total \d/m);
      expect(text).toMatch(/^# TYPE process_cpu_seconds_total counter$/m);
    }
    expect(text1).toMatch(/^process_cpu_seconds_total \d/m);
  });

  it('concurrent scrapes of both formats each get their own format', async () => {
    const accepts = Array.from({ length: 12 }, (_, i) => (i % 2 ? PROMETHEUS_ACCEPT : 'text/plain'));
    const results = await Promise.all(accepts.map((a) => scrape(a)));
    results.forEach((res, i) => {
      const om = i % 2 === 1;
      expect(res.headers['content-type']).toBe(om ? CONTENT_TYPES.openmetrics : CONTENT_TYPES.text);
      expect(res.body.endsWith('# EOF\n')).toBe(om);
      expect(res.body).toMatch(om ? /^# TYPE process_cpu_seconds counter$/m : /^# TYPE process_cpu_seconds_total counter$/m);
    });
  });

  it('scrapes that shared a collection share its text; the next scrape renders afresh', async () => {
    // process_cpu_user_seconds_total (microseconds) moves between any two renders of the registry.
    const cpu = (body: string) => /^process_cpu_user_seconds_total (\S+)$/m.exec(body)?.[1];
    const together = await Promise.all(Array.from({ length: 20 }, () => scrape()));
    const values = new Set(together.map((r) => cpu(r.body)));
    expect(values.size).toBe(1);
    expect([...values][0]).toMatch(/^\d/);
    expect(new Set(together.map((r) => r.body)).size).toBe(1);
    const later = await scrape();
    expect(cpu(later.body)).not.toBe([...values][0]);
  });

  it.each([
    ['text/plain;q=0.9,application/openmetrics-text;q=0.5', 'text'],
    ['application/openmetrics-text;version=0.0.1', 'text'],
    ['application/json', 'text'],
    ['application/openmetrics-text', 'openmetrics'],
  ] as const)('Accept %j gets %s', async (accept, format) => {
    const res = await scrape(accept);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe(CONTENT_TYPES[format]);
  });

  it('HEAD /metrics answers with the headers and no body', async () => {
    const res = await app.inject({ method: 'HEAD', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe(CONTENT_TYPES.text);
    expect(res.body).toBe('');
  });

  it('an unknown path is a 404 with a JSON reason', async () => {
    const res = await app.inject({ method: 'GET', url: '/metricz' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json()).toMatchObject({ statusCode: 404, error: 'Not Found', message: 'Route GET:/metricz not found' });
  });
});

describe('a real Prometheus scraping sockeye', () => {
  let sockeye: Sockeye | undefined;
  let prom: Prometheus | undefined;
  let capture: Server | undefined;
  const seenAccept: string[] = [];

  beforeAll(async () => {
    sockeye = await startSockeye({ config: 'targets: []\nlogLevel: warn\n' });
    // A plain loopback target that records what Prometheus asks for.
    capture = createServer((req, res) => {
      seenAccept.push(String(req.headers.accept));
      res.setHeader('content-type', 'text/plain; version=0.0.4');
      res.end('capture_up 1\n');
    });
    const capturePort = await new Promise<number>((resolve) => capture!.listen(0, '127.0.0.1', () => resolve((capture!.address() as { port: number }).port)));
    prom = await startPrometheus({
      config: {
        global: { scrape_interval: '1s', scrape_timeout: '900ms' },
        scrape_configs: [
          { job_name: 'sockeye', static_configs: [{ targets: [`127.0.0.1:${sockeye.port}`] }] },
          { job_name: 'capture', static_configs: [{ targets: [`127.0.0.1:${capturePort}`] }] },
        ],
      },
    });
  });
  afterAll(async () => {
    await prom?.stop();
    await sockeye?.stop();
    await new Promise((r) => (capture ? capture.close(r) : r(undefined)));
  });

  it('asks for OpenMetrics, which sockeye then serves', async () => {
    await poll(() => seenAccept.length > 0, { timeoutMs: 20_000, what: 'a scrape of the capture target' });
    expect(negotiateFormat(seenAccept[0])).toBe('openmetrics');
  });

  it('parses the OpenMetrics exposition: target up, no scrape error, units known', async () => {
    type Target = { labels: Record<string, string>; health: string; lastError: string };
    const target = await poll(
      async () => {
        const res = await fetch(`${prom!.url}/api/v1/targets`, { signal: AbortSignal.timeout(3000) });
        const body = (await res.json()) as { data: { activeTargets: Target[] } };
        const t = body.data.activeTargets.find((a) => a.labels.job === 'sockeye');
        return t && t.health !== 'unknown' ? t : undefined;
      },
      { timeoutMs: 20_000, what: 'sockeye target scraped' },
    );
    expect(target.lastError).toBe('');
    expect(target.health).toBe('up');
    const samples = await poll(async () => {
      const r = await prom!.query('process_cpu_seconds_total{job="sockeye"}');
      return r.length > 0 ? r : undefined;
    }, { timeoutMs: 20_000, what: 'process_cpu_seconds_total stored' });
    expect(Number(samples[0]!.value[1])).toBeGreaterThan(0);
    // A unit only reaches Prometheus through OpenMetrics' # UNIT line: proof of the format used.
    const meta = await poll(
      async () => {
        const res = await fetch(`${prom!.url}/api/v1/targets/metadata?match_target=${encodeURIComponent('{job="sockeye"}')}&metric=process_cpu_seconds`, { signal: AbortSignal.timeout(3000) });
        const body = (await res.json()) as { data: Array<{ type: string; unit: string }> };
        return body.data.length > 0 ? body.data : undefined;
      },
      { timeoutMs: 20_000, what: 'metadata of process_cpu_seconds' },
    );
    expect(meta[0]).toMatchObject({ type: 'counter', unit: 'seconds' });
  });
});
