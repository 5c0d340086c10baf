import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAllHolders, spawnHolder, type Holder } from '../support/procs.js';
import { poll } from '../support/poll.js';
import { MAIN_JS, ensureBuilt } from '../support/sockeye.js';
import { openTerminal } from '../support/tmux.js';

// `sockeye inspect --watch` in a real terminal (tmux): it redraws in place
// and says what changed after the process opens more fds and sockets.

const dir = mkdtempSync(join(tmpdir(), 'sockeye-inspect-watch-'));
const LEAK = join(dir, 'leaky.html');
let holder: Holder;

beforeAll(async () => {
  await ensureBuilt();
  holder = await spawnHolder({ files: [{ path: LEAK, count: 10 }], listen: [{ host: '127.0.0.1' }] });
});
afterAll(async () => {
  await killAllHolders();
  rmSync(dir, { recursive: true, force: true });
});

const cli = (args: string) => `${process.execPath} ${MAIN_JS} ${args}`;

describe('sockeye inspect --watch in a terminal', () => {
  it('shows "+n fds" and "+n CLOSE_WAIT" after the target opens more, redrawing in place; Ctrl-C ends it with status 0', async () => {
    const term = await openTerminal(`${cli(`inspect ${holder.pid} --watch 500ms`)}; echo "exit status $?"`, { width: 160, height: 50 });
    const first = await term.waitFor(/first sample/);
    expect(first).toMatch(new RegExp(`^sockeye inspect pid ${holder.pid} · every 500ms · \\d\\d:\\d\\d:\\d\\d UTC · Ctrl-C to quit`, 'm'));
    expect(first).toMatch(/^ +10  .*leaky\.html$/m);

    // Leak: 15 more handles on the same file, 4 sockets left in CLOSE_WAIT.
    // inspect is paused meanwhile (its whole process group), so no refresh
    // lands half-way through and the next one sees the whole change.
    const group = term.panePid()!;
    process.kill(-group, 'SIGSTOP');
    try {
      await holder.add({ files: [{ path: LEAK, count: 15 }], connections: [{ listener: 0, count: 4, state: 'close_wait' }] });
    } finally {
      process.kill(-group, 'SIGCONT');
    }
    const after = await term.waitFor(/changed since last refresh: \+19 fds/);
    expect(after).toContain('+19 fds, +4 CLOSE_WAIT');
    expect(after).toMatch(/^ +25  .*leaky\.html \(\+15\)$/m);
    expect(after).toMatch(/tcp CLOSE_WAIT 4 \(\+4\)/);
    // Redrawn in place, not scrolled: one header on the screen.
    expect(after.match(/^sockeye inspect pid/gm)).toHaveLength(1);

    // The next refresh has nothing new to say.
    await term.waitFor(/changed since last refresh: no change/);

    await term.keys('C-c');
    const end = await term.waitFor(/exit status \d+/);
    expect(end).toMatch(/exit status 0/);
    await term.close();
  });

  it('uses colour on a terminal, and none with NO_COLOR', async () => {
    const coloured = await openTerminal(cli(`inspect ${holder.pid}`), { width: 160, height: 50 });
    const withColour = await coloured.waitFor(/fds/, { escapes: true });
    expect(withColour).toMatch(/\x1b\[[0-9;]*m/);
    await coloured.close();

    const plain = await openTerminal(cli(`inspect ${holder.pid}`), { width: 160, height: 50, env: { NO_COLOR: '1' } });
    const without = await plain.waitFor(/fds/, { escapes: true });
    expect(without).toContain(`${holder.pid}  OK  1 process`);
    expect(without).not.toMatch(/\x1b\[[0-9;]*m/);
    await plain.close();
  });

  it('when the process exits mid-watch, says so instead of failing', async () => {
    const short = await spawnHolder({ files: [{ path: LEAK, count: 3 }] });
    const term = await openTerminal(cli(`inspect ${short.pid} --watch 300ms`), { width: 160, height: 50 });
    await term.waitFor(/first sample/);
    await short.kill();
    const screen = await term.waitFor(/no process running/);
    expect(screen).toContain(`pid ${short.pid} exited`);
    expect(term.panePid()).toBeGreaterThan(0);
    await term.keys('C-c');
    await poll(() => term.panePid() === undefined, { timeoutMs: 5000, what: 'inspect to exit after Ctrl-C' });
    await term.close();
  });
});
