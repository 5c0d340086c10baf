// The Dockerfile, checked statically: Docker cannot build here. What matters
// for the runtime image: multi-stage, production dependencies only, not
// root, a health check that needs no shell, and a build context that holds
// everything the build stage copies.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}
interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

/** Dockerfile text → instructions, with `\` continuations joined and comments dropped. */
function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending: { text: string; line: number } | undefined;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trimEnd();
    if (!pending && (line.trim() === '' || line.trimStart().startsWith('#'))) return;
    if (pending && line.trimStart().startsWith('#')) return; // comments inside a continuation
    const part = line.endsWith('\\') ? line.slice(0, -1) : line;
    pending = pending ? { ...pending, text: `${pending.text} ${part.trim()}` } : { text: part.trim(), line: i + 1 };
    if (!line.endsWith('\\')) {
      const m = /^(\S+)\s*(.*)$/.exec(pending.text)!;
      out.push({ keyword: m[1]!.toUpperCase(), args: m[2]!, line: pending.line });
      pending = undefined;
    }
  });
  return out;
}

function stages(instructions: Instruction[]): Stage[] {
  const out: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const m = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args)!;
      out.push({ from: m[1]!, name: m[2], instructions: [] });
    } else if (out.length > 0) out.at(-1)!.instructions.push(ins);
  }
  return out;
}

/** True when the arguments are an exec-form JSON array of strings. */
function isExecForm(args: string): boolean {
  try {
    const v: unknown = JSON.parse(args);
    return Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === 'string');
  } catch {
    return false;
  }
}

/** .dockerignore as "exclude everything, then re-include" patterns (the style this repo uses). */
function includedByDockerignore(path: string, ignore: string): boolean {
  let included = true;
  for (const raw of ignore.split('\n')) {
    const p = raw.trim();
    if (p === '' || p.startsWith('#')) continue;
    const negate = p.startsWith('!');
    const pattern = negate ? p.slice(1) : p;
    const matches = pattern === '*' || path === pattern || path.startsWith(`${pattern}/`);
    if (matches) included = negate;
  }
  return included;
}

const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const all = stages(parseDockerfile(dockerfile));
const final = all.at(-1)!;
const build = all[0]!;
const of = (s: Stage, k: string) => s.instructions.filter((i) => i.keyword === k);

describe('parseDockerfile', () => {
  it('joins continuations and skips comments', () => {
    expect(parseDockerfile('# c\nFROM a AS b\nRUN x \\\n  # inner\n  && y\nUSER 1')).toEqual([
      { keyword: 'FROM', args: 'a AS b', line: 2 },
      { keyword: 'RUN', args: 'x && y', line: 3 },
      { keyword: 'USER', args: '1', line: 6 },
    ]);
  });

  it('tells exec form from shell form', () => {
    expect(isExecForm('["node", "-e", "x"]')).toBe(true);
    expect(isExecForm('node -e x')).toBe(false);
    expect(isExecForm('[]')).toBe(false);
  });
});

describe('Dockerfile', () => {
  it('is multi-stage: builds on Node 24 LTS, runs on distroless Node 24, both on the same Debian', () => {
    expect(all.length).toBeGreaterThanOrEqual(2);
    expect(build.from).toMatch(/^node:24-bookworm(\.|-|$)/);
    expect(final.from).toMatch(/^gcr\.io\/distroless\/nodejs24-debian12\b/);
  });

  it("runs on a Node the package's engines allow", () => {
    const engines = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
    const min = Number(/^>=(\d+)$/.exec(engines)?.[1]);
    expect(Number(/^node:(\d+)/.exec(build.from)?.[1])).toBeGreaterThanOrEqual(min);
  });

  it('passes the revision for sockeye_build_info as a build argument (the context has no .git)', () => {
    expect(of(build, 'ARG').map((a) => a.args)).toContain('REVISION=unknown');
    expect(of(build, 'RUN').map((r) => r.args).join('\n')).toMatch(/SOCKEYE_REVISION=\$REVISION npm run build/);
  });

  it('installs from the lockfile, compiles, and prunes to production dependencies', () => {
    const runs = of(build, 'RUN').map((r) => r.args).join('\n');
    expect(runs).toMatch(/\bnpm ci\b/);
    expect(runs).toMatch(/\bnpm run build\b/);
    expect(runs).toMatch(/\bnpm prune --omit=dev\b|npm ci --omit=dev/);
  });

  it('copies into the runtime only from the build stage, never the whole context', () => {
    const copies = of(final, 'COPY');
    expect(copies.length).toBeGreaterThan(0);
    for (const c of copies) expect(c.args, `line ${c.line}`).toMatch(new RegExp(`--from=${build.name}\\b`));
    expect(copies.some((c) => /\/node_modules\b/.test(c.args))).toBe(true);
    expect(copies.some((c) => /\/dist\b/.test(c.args))).toBe(true);
  });

  it('runs as a non-root user', () => {
    const users = of(final, 'USER');
    expect(users.length).toBeGreaterThan(0);
    const user = users.at(-1)!.args.split(':')[0]!;
    expect(['0', 'root', '']).not.toContain(user);
  });

  it('has no RUN at all in the final stage (distroless has no shell to run it)', () => {
    expect(of(final, 'RUN')).toEqual([]);
  });

  it('health-checks with `sockeye healthcheck` in exec form (no port written in), and exposes 9855', () => {
    const hc = of(final, 'HEALTHCHECK');
    expect(hc).toHaveLength(1);
    const cmd = /^(?:--\S+\s+)*CMD\s+(.*)$/.exec(hc[0]!.args)?.[1] ?? '';
    expect(isExecForm(cmd), cmd).toBe(true);
    const argv = JSON.parse(cmd) as string[];
    expect(argv).toEqual(['/nodejs/bin/node', 'dist/main.js', 'healthcheck']);
    expect(hc[0]!.args).not.toMatch(/9855/);
    expect(of(final, 'EXPOSE').map((e) => e.args)).toContain('9855');
    for (const k of ['CMD', 'ENTRYPOINT']) for (const i of of(final, k)) expect(isExecForm(i.args), `${k} line ${i.line}`).toBe(true);
  });

  it('copies only context files that exist and that .dockerignore lets through', () => {
    const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8');
    const sources = all.flatMap((s) =>
      of(s, 'COPY')
        .filter((c) => !/--from=/.test(c.args))
        .flatMap((c) => c.args.split(/\s+/).filter((a) => !a.startsWith('--')).slice(0, -1)),
    );
    expect(sources).toContain('package-lock.json');
    for (const src of sources) {
      expect(existsSync(join(ROOT, src)), src).toBe(true);
      expect(includedByDockerignore(src, ignore), `${src} excluded by .dockerignore`).toBe(true);
    }
    // And what must not be sent to the daemon stays out.
    for (const p of ['node_modules', 'dist', '.git', 'test']) expect(includedByDockerignore(p, ignore), p).toBe(false);
  });
});
