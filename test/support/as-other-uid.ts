/**
 * The tests that run a process as another uid (`setpriv`), found in the
 * source rather than listed by hand, so that test/integration/private-clone.test.ts
 * cannot leave a new one out.
 *
 *   const tests = testsAsOtherUid(REPO_ROOT);
 *   // [{ file: 'test/integration/cli.test.ts', name: 'reports a file …', pattern: 'reports a file …' }, …]
 *
 * testsAsOtherUid(root, except?) → Array<{ file, name, pattern }>: for every
 *   `*.test.ts` under root/test whose code has a string mentioning `setpriv`
 *   (a comment alone does not count; `except` lists files, relative to root,
 *   to leave out), the tests that reach such a string: their own code holds
 *   it, or uses a declaration of the file (at its top level or in a describe
 *   block) that holds it or uses another that does, or a hook of their
 *   describe block (or of the file) does. `name` is the test's name as
 *   written; `pattern` a regular expression (source) that its name, as vitest
 *   reports it, matches: substitutions of a template literal and the
 *   placeholders of `it.each` (%s, $name) match anything.
 *   Throws for a file that mentions setpriv in code but holds no test found
 *   to reach it, and for such a test whose name is not a string or template
 *   literal: both would otherwise go unrun.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseSync } from 'vite';

export interface TestAsOtherUid {
  file: string;
  name: string;
  pattern: string;
}

type Node = { type: string; [key: string]: unknown };

const TESTS = new Set(['it', 'test']);
const SUITES = new Set(['describe', 'suite']);
const HOOKS = new Set(['beforeAll', 'beforeEach', 'afterAll', 'afterEach']);
/** it.each(table)(name, fn), it.skipIf(cond)(name, fn): calls that return the function defining the test. */
const FACTORIES = new Set(['each', 'for', 'skipIf', 'runIf']);

function isNode(v: unknown): v is Node {
  return typeof v === 'object' && v !== null && typeof (v as Node).type === 'string';
}

function children(node: Node): Node[] {
  const out: Node[] = [];
  for (const [key, value] of Object.entries(node)) {
    if (key === 'type' || key === 'start' || key === 'end' || key === 'loc' || key === 'range') continue;
    if (Array.isArray(value)) for (const v of value) if (isNode(v)) out.push(v);
    if (isNode(value)) out.push(value);
  }
  return out;
}

function* walk(node: Node): Generator<Node> {
  yield node;
  for (const child of children(node)) yield* walk(child);
}

const SETPRIV = /\bsetpriv\b/;

/** A string in the code (not a comment) mentions setpriv. */
function mentionsSetpriv(node: Node): boolean {
  for (const n of walk(node)) {
    if (n.type === 'Literal' && typeof n.value === 'string' && SETPRIV.test(n.value)) return true;
    if (n.type === 'TemplateElement' && SETPRIV.test((n.value as { raw: string }).raw)) return true;
  }
  return false;
}

function identifiers(node: Node): Set<string> {
  const names = new Set<string>();
  for (const n of walk(node)) if (n.type === 'Identifier') names.add(n.name as string);
  return names;
}

/** The identifier a callee chain (it.each(…), describe.skip, test.concurrent…) starts from, and the member names on the way. */
function calleeChain(callee: Node): { root?: string; members: string[] } {
  const members: string[] = [];
  let n: Node = callee;
  for (;;) {
    if (n.type === 'MemberExpression') {
      const p = n.property as Node;
      if (p.type === 'Identifier') members.unshift(p.name as string);
      n = n.object as Node;
    } else if (n.type === 'CallExpression') {
      n = n.callee as Node;
    } else if (n.type === 'Identifier') {
      return { root: n.name as string, members };
    } else {
      return { members };
    }
  }
}

type Kind = 'test' | 'suite' | 'hook';

function kindOf(call: Node): { kind: Kind; each: boolean } | undefined {
  const callee = call.callee as Node;
  const { root, members } = calleeChain(callee);
  if (root === undefined) return undefined;
  // it.each([...]) itself only returns the function that defines the tests.
  if (callee.type === 'MemberExpression' && FACTORIES.has(((callee.property as Node).name as string) ?? '')) return undefined;
  const each = members.includes('each') || members.includes('for');
  if (TESTS.has(root)) return { kind: 'test', each };
  if (SUITES.has(root)) return { kind: 'suite', each };
  if (HOOKS.has(root) && callee.type === 'Identifier') return { kind: 'hook', each: false };
  return undefined;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Escapes `text`, with it.each's placeholders (%s, %d, $name …) matching anything. */
function literal(text: string, each: boolean): string {
  if (!each) return escape(text);
  return text
    .split(/(%[sdifjoOc#%]|\$[\w.]+)/)
    .map((part, i) => (i % 2 === 0 ? escape(part) : part === '%%' ? '%' : '.*'))
    .join('');
}

function namePattern(arg: Node | undefined, each: boolean): { name: string; pattern: string } | undefined {
  if (arg?.type === 'Literal' && typeof arg.value === 'string') return { name: arg.value, pattern: literal(arg.value, each) };
  if (arg?.type === 'TemplateLiteral') {
    const quasis = (arg.quasis as Array<{ value: { cooked: string | null; raw: string } }>).map((q) => q.value.cooked ?? q.value.raw);
    return { name: quasis.join('${…}'), pattern: quasis.map((q) => literal(q, each)).join('.*') };
  }
  return undefined;
}

interface Scope {
  tests: Array<{ call: Node; each: boolean }>;
  hooks: Node[];
  suites: Scope[];
}

/** One test file: its declarations outside tests and functions, and its tests and hooks by describe block. */
function scan(program: Node): { declarations: Array<{ names: Set<string>; node: Node }>; scope: Scope } {
  const declarations: Array<{ names: Set<string>; node: Node }> = [];
  const visit = (node: Node, scope: Scope): void => {
    if (node.type === 'CallExpression') {
      const k = kindOf(node);
      if (k?.kind === 'test') return void scope.tests.push({ call: node, each: k.each });
      if (k?.kind === 'hook') return void scope.hooks.push(node);
      if (k?.kind === 'suite') {
        const inner: Scope = { tests: [], hooks: [], suites: [] };
        scope.suites.push(inner);
        for (const arg of node.arguments as Node[]) {
          if (arg.type === 'ArrowFunctionExpression' || arg.type === 'FunctionExpression') visit(arg.body as Node, inner);
          else visit(arg, scope);
        }
        return;
      }
    }
    if (node.type === 'VariableDeclarator') {
      declarations.push({ names: identifiers(node.id as Node), node });
      return;
    }
    if (node.type === 'FunctionDeclaration' || node.type === 'ClassDeclaration') {
      if (isNode(node.id)) declarations.push({ names: new Set([node.id.name as string]), node });
      return;
    }
    // The locals of other functions are theirs alone.
    if (node.type === 'ArrowFunctionExpression' || node.type === 'FunctionExpression') return;
    for (const child of children(node)) visit(child, scope);
  };
  const scope: Scope = { tests: [], hooks: [], suites: [] };
  visit(program, scope);
  return { declarations, scope };
}

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? (e.name === 'node_modules' ? [] : testFiles(join(dir, e.name))) : e.name.endsWith('.test.ts') ? [join(dir, e.name)] : []))
    .sort();
}

export function testsAsOtherUid(root: string, except: string[] = []): TestAsOtherUid[] {
  const found: TestAsOtherUid[] = [];
  for (const path of testFiles(join(root, 'test'))) {
    const file = relative(root, path);
    const source = readFileSync(path, 'utf8');
    if (except.includes(file) || !SETPRIV.test(source)) continue;
    const parsed = parseSync(path, source, { lang: 'ts' });
    if (parsed.errors.length > 0) throw new Error(`${file}: cannot parse: ${parsed.errors.map((e) => e.message).join('; ')}`);
    const program = parsed.program as unknown as Node;
    if (!mentionsSetpriv(program)) continue;

    const { declarations, scope } = scan(program);
    // The declarations that hold setpriv, or use one that does, to a fixed point.
    const tainted = new Set<string>();
    const reaches = (node: Node) => mentionsSetpriv(node) || [...identifiers(node)].some((n) => tainted.has(n));
    for (let grew = true; grew; ) {
      grew = false;
      for (const d of declarations) {
        if ([...d.names].every((n) => tainted.has(n)) || !reaches(d.node)) continue;
        for (const n of d.names) tainted.add(n);
        grew = true;
      }
    }

    const before = found.length;
    const collect = (s: Scope, hooked: boolean): void => {
      const all = hooked || s.hooks.some(reaches);
      for (const { call, each } of s.tests) {
        if (!all && !reaches(call)) continue;
        const named = namePattern((call.arguments as Node[])[0], each);
        if (!named) throw new Error(`${file}: a test that runs a process as another uid has a name that is not a string or template literal`);
        found.push({ file, ...named });
      }
      for (const inner of s.suites) collect(inner, all);
    };
    collect(scope, false);
    if (found.length === before) throw new Error(`${file}: mentions setpriv, but no test was found to reach it (a test defined in a helper function?)`);
  }
  return found;
}
