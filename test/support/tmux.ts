/**
 * A real terminal for CLI tests: a detached tmux session on a private server
 * socket (so it never touches anyone's tmux), read with capture-pane.
 *
 *   const term = await openTerminal('node dist/main.js inspect 123 --watch 1s', { width: 160, height: 50 });
 *   await term.waitFor(/first sample/);           // bounded polling of the screen
 *   term.screen();                                 // scrollback + visible text; screen({ escapes: true }) keeps colours
 *   await term.keys('C-c');
 *   await term.close();                            // also in afterAll, whatever happened
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { poll } from './poll.js';

export interface Terminal {
  /** The tmux server socket name (-L). */
  socket: string;
  screen(options?: { escapes?: boolean }): string;
  waitFor(pattern: RegExp, options?: { timeoutMs?: number; escapes?: boolean }): Promise<string>;
  keys(...keys: string[]): Promise<void>;
  /** Pid of the command running in the pane, undefined once it exited. */
  panePid(): number | undefined;
  close(): Promise<void>;
}

const open = new Set<Terminal>();
try {
  afterAll(async () => {
    await Promise.all([...open].map((t) => t.close()));
  });
} catch {
  // Imported outside a test file (a script): the exit hook or the caller cleans up.
}
process.on('exit', () => {
  for (const t of open) {
    try {
      execFileSync('tmux', ['-L', t.socket, 'kill-server'], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
});

let n = 0;

export async function openTerminal(command: string, options: { width?: number; height?: number; env?: Record<string, string>; cwd?: string } = {}): Promise<Terminal> {
  const socket = `sockeye-test-${process.pid}-${++n}`;
  const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8', timeout: 10_000 });
  const env = Object.entries(options.env ?? {}).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  const width = options.width ?? 160;
  const height = options.height ?? 50;
  // -f /dev/null: no user config. The pane may start smaller than asked and
  // be resized a moment later, so the command waits for a go (Enter, not
  // echoed) until the size is right and remain-on-exit (which keeps the last
  // screen readable after the command ends) is set.
  execFileSync(
    'tmux',
    ['-L', socket, '-f', '/dev/null', 'new-session', '-d', '-s', 'test', '-x', String(width), '-y', String(height), ...(options.cwd ? ['-c', options.cwd] : []), ...env, `stty -echo; read go; stty echo; ${command}`],
    { timeout: 10_000, env: { ...process.env, TERM: 'xterm-256color' } },
  );
  tmux('set-option', '-t', 'test', 'remain-on-exit', 'on');
  await poll(() => tmux('display-message', '-p', '-t', 'test', '#{pane_width}x#{pane_height}').trim() === `${width}x${height}`, {
    timeoutMs: 5000,
    intervalMs: 20,
    what: `the tmux pane to be ${width}x${height}`,
  });
  tmux('send-keys', '-t', 'test', 'Enter');
  let closed = false;
  const term: Terminal = {
    socket,
    // With the scrollback (-S -): tmux's "Pane is dead" line scrolls the
    // screen by one when the command ends, and output that scrolled instead
    // of redrawing in place should be seen, not hidden.
    screen: (o = {}) => tmux('capture-pane', '-p', '-S', '-', ...(o.escapes ? ['-e'] : []), '-t', 'test'),
    waitFor: (pattern, o = {}) =>
      poll(
        () => {
          const s = term.screen({ escapes: o.escapes });
          return pattern.test(s) ? s : undefined;
        },
        { timeoutMs: o.timeoutMs ?? 15_000, intervalMs: 100, what: `${pattern} on the terminal screen` },
      ).catch((err: Error) => {
        throw new Error(`${err.message}\n--- screen ---\n${term.screen()}`);
      }),
    async keys(...keys) {
      tmux('send-keys', '-t', 'test', ...keys);
    },
    panePid() {
      const [dead, pid] = tmux('display-message', '-p', '-t', 'test', '#{pane_dead} #{pane_pid}').trim().split(' ');
      return dead === '1' ? undefined : Number(pid);
    },
    async close() {
      if (closed) return;
      closed = true;
      open.delete(term);
      try {
        tmux('kill-server');
      } catch {
        // already gone
      }
      // A killed server leaves its socket file behind.
      rmSync(join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid?.() ?? 0}`, socket), { force: true });
    },
  };
  open.add(term);
  return term;
}
