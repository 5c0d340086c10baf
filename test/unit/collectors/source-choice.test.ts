import { describe, expect, it } from 'vitest';
import { chooseSource, describeSource } from '../../../src/collectors/sources/index.js';

describe('chooseSource in node mode', () => {
  it('collects in the worker with the text source, whatever the addon and procfs', () => {
    const choice = chooseSource('/proc', undefined, 'node');
    expect(choice.kind).toBe('text');
    expect(choice.reason).toMatch(/node mode/);
    expect(describeSource(choice).fields).toEqual({ source: 'text', fdWalk: 'js', collection: 'worker' });
  });

  it('still takes an explicit source (tests, the benchmark)', () => {
    expect(chooseSource('/proc', 'native', 'node')).toEqual({ kind: 'native' });
  });

  it('leaves sidecar mode to the addon and procfs checks', () => {
    expect(chooseSource('/proc', undefined, 'sidecar').reason ?? '').not.toMatch(/node mode/);
  });
});
