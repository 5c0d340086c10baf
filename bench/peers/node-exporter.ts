// prometheus-node-exporter with only the tcpstat collector: the namespace's
// TCP states, with no per-process view.
import { installed, skipped, timeExporter, type PeerTiming } from './exporter.js';

const COMMAND = 'prometheus-node-exporter';

export async function timeNodeExporter(reps: number, warmup: number): Promise<PeerTiming> {
  const name = 'node-exporter tcpstat';
  if (!installed(COMMAND)) return skipped(name, COMMAND, 'prometheus-node-exporter');
  return timeExporter(name, COMMAND, (listen) => ['--collector.disable-defaults', '--collector.tcpstat', `--web.listen-address=${listen}`], reps, warmup, (body) => {
    const m = /^node_tcp_connection_states\{state="close_wait"\} (\S+)/m.exec(body);
    if (!m) throw new Error(`${name}: no node_tcp_connection_states in its scrape:\n${body.slice(0, 500)}`);
    return `close_wait ${m[1]}`;
  });
}
