// Preloaded into a sockeye server (NODE_OPTIONS=--import, since Node 20 does
// not allow --cpu-prof there): CPU-profiles the main thread from start to
// exit and writes BENCH_CPU_PROF_DIR/CPU.<pid>.0.cpuprofile. Plain JS: the
// server runs the built dist/, without tsx.
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const dir = process.env.BENCH_CPU_PROF_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 200 });
  session.post('Profiler.start');
  // The in-thread inspector answers synchronously, so this completes inside 'exit'.
  process.on('exit', () => {
    session.post('Profiler.stop', (err, result) => {
      if (err) return;
      mkdirSync(dir, { recursive: true });
      writeFileSync(`${dir}/CPU.${process.pid}.0.cpuprofile`, JSON.stringify(result.profile));
    });
  });
}
