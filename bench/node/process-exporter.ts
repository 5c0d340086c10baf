// prometheus-process-exporter as a node agent would run it: one group per
// container, by each process's cgroups ({{.Cgroups}}), for the node
// fixture's processes (all named "pod").
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { installed, skipped, timeExporter, type PeerTiming } from '../peers/exporter.js';

const COMMAND = 'prometheus-process-exporter';

export async function timeNodeProcessExporter(processes: number, dir: string, reps: number, warmup: number): Promise<PeerTiming> {
  const name = 'process-exporter';
  if (!installed(COMMAND)) return skipped(name, COMMAND, 'prometheus-process-exporter');
  const config = join(dir, 'process-exporter-node.yaml');
  writeFileSync(config, stringify({ process_names: [{ name: '{{.Cgroups}}', comm: ['pod'] }] }));
  return timeExporter(name, COMMAND, (listen) => ['-config.path', config, '-web.listen-address', listen], reps, warmup, (body) => {
    let procs = 0;
    let groups = 0;
    for (const m of body.matchAll(/^namedprocess_namegroup_num_procs\{[^}]*\} (\S+)$/gm)) {
      groups++;
      procs += Number(m[1]);
    }
    // Other work on the machine may run processes named "pod" too: at least the fixture's.
    if (procs < processes) throw new Error(`${name}: found ${procs} processes, the fixture has ${processes}:\n${body.slice(0, 500)}`);
    return `${groups} groups, ${procs} processes`;
  });
}
