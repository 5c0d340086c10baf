import type { Reporter, TestModule } from 'vitest/node';

// CI reads a plain closing line `N passed, N failed`; vitest's own summary is
// not in that form. A file that fails to load counts as one failure so that a
// broken import can never pass as "0 failed".
export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandled: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const mod of modules) {
      let tests = 0;
      for (const test of mod.children.allTests()) {
        tests++;
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      if (tests === 0 || mod.state() === 'failed') {
        if (mod.errors().length > 0) failed++;
      }
    }
    failed += unhandled.length;
    const tail = skipped > 0 ? `, ${skipped} skipped` : '';
    process.stdout.write(`\n${passed} passed, ${failed} failed${tail}\n`);
  }
}
