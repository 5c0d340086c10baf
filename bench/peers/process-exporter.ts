// prometheus-process-exporter with a matcher for exactly one target process.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { installed, skipped, timeExporter, type PeerTiming } from './exporter.js';

const COMMAND = 'prometheus-process-exporter';

export async function timeProcessExporter(pid: number, fds: number, dir: string, reps: number, warmup: number): Promise<PeerTiming> {
  const name = 'process-exporter';
  if (!installed(COMMAND)) return skipped(name, COMMAND, 'prometheus-process-exporter');
  // The fixture's command line names its size, so this matches one process.
  const config = join(dir, `process-exporter-${fds}.yaml`);
  writeFileSync(config, stringify({ process_names: [{ name: 'bench', cmdline: [`target\\.ts ${fds} `] }] }));
  return timeExporter(name, COMMAND, (listen) => ['-config.path', config, '-web.listen-address', listen], reps, warmup, (body) => {
    const m = /^namedprocess_namegroup_open_filedesc\{groupname="bench"\} (\S+)/m.exec(body);
    const procs = /^namedprocess_namegroup_num_procs\{groupname="bench"\} (\S+)/m.exec(body);
    if (!m || procs?.[1] !== '1') throw new Error(`${name}: the matcher did not select exactly the target process (pid ${pid}):\n${body.slice(0, 500)}`);
    return `open_filedesc ${m[1]}`;
  });
}
