/**
 * Runs a command-line tool the tests depend on (promtool, amtool, …) and
 * returns its exit code and output. A missing tool is an error naming the
 * Debian package, never a pass: scripts/ensure-test-deps.sh installs them.
 *
 *   const r = await runTool('promtool', ['check', 'rules', file]);
 *   expect(r.code, r.output).toBe(0);
 */
import { execFile } from 'node:child_process';

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout then stderr, for assertion messages. */
  output: string;
}

const PACKAGE: Record<string, string> = {
  promtool: 'prometheus',
  prometheus: 'prometheus',
  amtool: 'prometheus-alertmanager',
  'prometheus-alertmanager': 'prometheus-alertmanager',
};

export function runTool(command: string, args: string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd: options.cwd, timeout: options.timeoutMs ?? 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code: unknown = (err as { code?: unknown } | null)?.code;
      if (code === 'ENOENT') {
        const pkg = PACKAGE[command];
        reject(new Error(`${command} is not installed${pkg ? ` (Debian package ${pkg})` : ''}: run bash scripts/ensure-test-deps.sh`));
        return;
      }
      if (err && typeof code !== 'number') {
        reject(new Error(`${command} ${args.join(' ')}: ${err.killed ? 'timed out' : err.message}\n${stdout}${stderr}`));
        return;
      }
      resolve({ code: typeof code === 'number' ? code : 0, stdout, stderr, output: `${stdout}${stderr}` });
    });
  });
}
