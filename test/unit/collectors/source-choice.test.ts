import { describe, expect, it } from 'vitest';
import { chooseSource, describeSource } from '../../../src/collectors/sources/index.js';

describe('chooseSource in node mode', () => {
  it('collects in the worker, with the source the addon and procfs allow, and says why', () => {
    const choice = chooseSource('/proc', undefined, 'node');
    // The tests build the addon, and /proc is a procfs: the native fd walk, run from the worker.
    expect(choice).toMatchObject({ kind: 'native', worker: true });
    expect(choice.reason).toMatch(/^node mode: other network namespaces are read as text/);
    expect(describeSource(choice).fields).toEqual({ source: 'native', fdWalk: 'native', collection: 'worker' });
  });

  it('still takes an explicit source (tests, the benchmark), in the worker either way', () => {
    expect(chooseSource('/proc', 'native', 'node')).toMatchObject({ kind: 'native', worker: true });
    expect(chooseSource('/proc', 'text', 'node')).toMatchObject({ kind: 'text', worker: true });
  });

  it('leaves sidecar mode to the addon and procfs checks: native on the main thread, text in the worker', () => {
    expect(chooseSource('/proc', undefined, 'sidecar')).toEqual({ kind: 'native', worker: false });
    expect(chooseSource('/proc', 'text', 'sidecar')).toEqual({ kind: 'text', worker: true });
    expect(chooseSource('/nonexistent-proc', undefined, 'sidecar')).toMatchObject({ kind: 'text', worker: true, reason: '/nonexistent-proc is not a procfs' });
  });
});
