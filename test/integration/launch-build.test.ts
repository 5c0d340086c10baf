// npm start's prestart (scripts/build.mjs --if-stale) compiles only when an
// input changed: a restart of an unchanged checkout skips the seconds tsc
// takes. Run on a copy of the sources (never the checkout other tests run
// from), with the real compiler.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/sockeye.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sockeye-build-'));
  for (const f of ['src', 'scripts/build.mjs', 'tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json']) cpSync(join(REPO_ROOT, f), join(dir, f), { recursive: true });
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function build(ifStale: boolean, env: Record<string, string> = {}): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(dir, 'scripts/build.mjs'), ...(ifStale ? ['--if-stale'] : [])], { cwd: dir, env: { ...process.env, SOCKEYE_REVISION: '', ...env }, timeout: 170_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
  });
}

// Each compile takes seconds, tens of them on a loaded machine: bounds, not expectations.
const COMPILES = { timeout: 600_000 };
const MAIN = () => join(dir, 'dist/main.js');
const mtime = (f: string) => statSync(f).mtimeMs;

describe('scripts/build.mjs --if-stale', () => {
  it('builds a fresh checkout, then not again until an input changes, is added or removed', COMPILES, async () => {
    expect(existsSync(MAIN())).toBe(false);
    expect(await build(true, { SOCKEYE_REVISION: 'rev-one' })).toEqual({ code: 0, output: '' });
    expect(existsSync(MAIN())).toBe(true);
    expect(readFileSync(join(dir, 'dist/REVISION'), 'utf8')).toBe('rev-one\n');
    const first = mtime(MAIN());

    // Unchanged: no compile, but a new commit of the same sources is still recorded.
    expect((await build(true, { SOCKEYE_REVISION: 'rev-two' })).code).toBe(0);
    expect(mtime(MAIN())).toBe(first);
    expect(readFileSync(join(dir, 'dist/REVISION'), 'utf8')).toBe('rev-two\n');

    // An edited source and a new one: compiled, and the output has both.
    const version = join(dir, 'src/version.ts');
    writeFileSync(version, `${readFileSync(version, 'utf8')}\nexport const EDITED = 1;\n`);
    writeFileSync(join(dir, 'src/extra.ts'), 'export const extra = 1;\n');
    expect((await build(true)).code).toBe(0);
    expect(readFileSync(join(dir, 'dist/version.js'), 'utf8')).toContain('EDITED');
    expect(existsSync(join(dir, 'dist/extra.js'))).toBe(true);
    const afterAdd = mtime(MAIN());
    // A removed source is a change too.
    unlinkSync(join(dir, 'src/extra.ts'));
    expect((await build(true)).code).toBe(0);
    expect(mtime(MAIN())).toBeGreaterThan(afterAdd);

    // dist/main.js gone (someone cleaned dist/): built again.
    unlinkSync(MAIN());
    expect((await build(true)).code).toBe(0);
    expect(existsSync(MAIN())).toBe(true);
  });

  it('a failed compile leaves no stamp, so the next start tries again (and says why)', COMPILES, async () => {
    const broken = join(dir, 'src/broken.ts');
    writeFileSync(broken, 'export const n: number = "not a number";\n');
    const first = await build(true);
    expect(first.code).not.toBe(0);
    expect(first.output).toMatch(/src\/broken\.ts.*TS2322/);
    const again = await build(true);
    expect(again.code).not.toBe(0);
    expect(again.output).toMatch(/TS2322/);
    unlinkSync(broken);
    expect((await build(true)).code).toBe(0);
  });
});
