import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { loadConfig } from '../../src/config/load.js';
import { configSchema } from '../../src/config/schema.js';

// blackbox_exporter style: every NAME.yaml under invalid/ is paired with
// NAME.err, the exact problem lines sockeye must report for it.
const DIR = fileURLToPath(new URL('../fixtures/config/invalid/', import.meta.url));
const cases = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => f.slice(0, -'.yaml'.length))
  .sort();

// Sections are added to the root by several modules; a root-level fixture says
// {ROOT_KEYS} for "the root keys, in schema order" instead of repeating the list.
const ROOT_KEYS = Object.keys(configSchema.shape).join(', ');

// No variables from the test's own environment leak into the fixtures.
const ENV = { SOCKEYE_FIXTURE_SET: 'set' };

describe('invalid config fixtures', () => {
  it('has a table of at least 25 cases, each with its .err file', () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
    const errs = readdirSync(DIR).filter((f) => f.endsWith('.err'));
    expect(errs.map((f) => f.slice(0, -4)).sort()).toEqual(cases);
  });

  it.each(cases)('%s', async (name) => {
    const file = join(DIR, `${name}.yaml`);
    const expected = readFileSync(join(DIR, `${name}.err`), 'utf8').trimEnd().replaceAll('{ROOT_KEYS}', ROOT_KEYS).split('\n');
    const err = await loadConfig(file, ENV).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    const ce = err as ConfigError;
    expect(ce.problems).toEqual(expected);
    expect(ce.message).toBe(`${file}: invalid configuration\n${expected.map((l) => `  ${l}`).join('\n')}`);
  });
});
