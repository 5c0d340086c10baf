import { describe, expect, it } from 'vitest';
import { runSockeye, startSockeye } from '../support/sockeye.js';

describe('sockeye serve', () => {
  it('zero-config default serves /metrics and exits 0 on SIGTERM', async () => {
    const s = await startSockeye();
    const res = await fetch(`${s.url}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/^process_open_fds \d+$/m);
    const exit = await s.stop('SIGTERM');
    expect(exit).toEqual({ code: 0, signal: null });
  });
});

describe('sockeye --help', () => {
  it('prints usage on stdout and exits 0', async () => {
    const r = await runSockeye(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage:/m);
  });
});
