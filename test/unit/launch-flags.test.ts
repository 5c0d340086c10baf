// sockeye's memory settings (docs/deploy.md, "Memory") live where it is
// launched: package.json's start script and the image's runtime ENV (which
// the compose file and the Kubernetes manifest inherit). They must agree, and
// nothing downstream may drop them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse } from 'yaml';
import { parseDockerEnv, parseStartScript, shippedLaunch } from '../support/launch.js';
import { REPO_ROOT } from '../support/sockeye.js';

const read = (path: string) => readFileSync(join(REPO_ROOT, path), 'utf8');

describe('parseStartScript', () => {
  it('splits variables, node flags and the script', () => {
    expect(parseStartScript('MALLOC_ARENA_MAX=2 node --max-semi-space-size=1 dist/main.js')).toEqual({ env: { MALLOC_ARENA_MAX: '2' }, nodeFlags: ['--max-semi-space-size=1'] });
    expect(parseStartScript('node dist/main.js')).toEqual({ env: {}, nodeFlags: [] });
  });

  it('rejects what the benchmark could not reproduce', () => {
    expect(() => parseStartScript('tsx src/main.ts')).toThrow(/expected "node"/);
    expect(() => parseStartScript('node --max-semi-space-size=1 dist/main.js --config x.yml')).toThrow(/dist\/main\.js/);
    expect(() => parseStartScript('node dist/other.js')).toThrow(/dist\/main\.js/);
  });
});

describe('parseDockerEnv', () => {
  it("reads the last stage's ENV only, in both forms", () => {
    const text = 'FROM a AS build\nENV NODE_OPTIONS=--build-only\nFROM b\nENV NODE_ENV=production\nENV NODE_OPTIONS="--max-semi-space-size=1 --x" \\\n    MALLOC_ARENA_MAX=2\nENV LEGACY some value\n';
    expect(parseDockerEnv(text)).toEqual({ NODE_ENV: 'production', NODE_OPTIONS: '--max-semi-space-size=1 --x', MALLOC_ARENA_MAX: '2', LEGACY: 'some value' });
  });
});

describe('the shipped launch', () => {
  const launch = shippedLaunch();

  it('caps the main isolate young generation and the malloc arenas, and fixes the mmap threshold (the measured levers)', () => {
    expect(launch.nodeFlags).toContain('--max-semi-space-size=1');
    expect(launch.env.MALLOC_ARENA_MAX).toBe('2');
    expect(launch.env.MALLOC_MMAP_THRESHOLD_).toBe('131072');
  });

  it("the image's runtime stage carries the same node flags and variables", () => {
    const env = parseDockerEnv(read('Dockerfile'));
    expect((env.NODE_OPTIONS ?? '').split(/\s+/).filter(Boolean)).toEqual(launch.nodeFlags);
    for (const [k, v] of Object.entries(launch.env)) expect(env[k], k).toBe(v);
  });

  it('compose and Kubernetes run the image\'s node on dist/main.js and do not override those variables', () => {
    const compose = parse(read('docker-compose.yml')) as { services: Record<string, { command?: string[]; entrypoint?: unknown; environment?: Record<string, string> | string[] }> };
    const svc = compose.services.sockeye!;
    expect(svc.entrypoint).toBeUndefined();
    // No command: the image's CMD (dist/main.js) runs.
    const imageCmd = JSON.parse(/^CMD (\[.*\])$/m.exec(read('Dockerfile'))![1]!) as string[];
    expect((svc.command ?? imageCmd)[0]).toBe('dist/main.js');
    const composeEnv = Array.isArray(svc.environment) ? svc.environment.join('\n') : Object.keys(svc.environment ?? {}).join('\n');
    for (const k of ['NODE_OPTIONS', ...Object.keys(launch.env)]) expect(composeEnv).not.toMatch(new RegExp(`^${k}\\b`, 'm'));

    const docs = parseAllDocuments(read('deploy/kubernetes-example/deployment.yaml')).map((d) => d.toJSON() as { kind?: string; spec?: any });
    const pod = docs.find((d) => d.kind === 'Deployment')!.spec.template.spec;
    const container = (pod.containers as Array<{ name: string; command?: unknown; args?: string[]; env?: Array<{ name: string }> }>).find((c) => c.name === 'sockeye')!;
    expect(container.command).toBeUndefined();
    expect(container.args?.[0]).toBe('dist/main.js');
    for (const k of ['NODE_OPTIONS', ...Object.keys(launch.env)]) expect((container.env ?? []).map((e) => e.name)).not.toContain(k);
  });
});
