// Walks one pid's fds through the active path (SOCKEYE_NATIVE decides) and
// prints which path ran and how it ended, as JSON. Run as another user
// (setpriv) by fd-native.test.ts to see 'denied' from each path.
//   node --import tsx test/integration/fd-native.child.ts <pid> [procRoot]
import { failureKind } from '../../src/procfs/errors.js';
import { fdWalkMode, readPidFdSummary } from '../../src/procfs/pid/fd-native.js';

const pid = Number(process.argv[2]);
const procRoot = process.argv[3] ?? '/proc';
let out: Record<string, unknown>;
try {
  const s = readPidFdSummary(procRoot, pid);
  out = { mode: fdWalkMode.mode, count: s.count };
} catch (err) {
  out = { mode: fdWalkMode.mode, kind: failureKind(err), code: (err as NodeJS.ErrnoException).code, message: (err as Error).message };
}
process.stdout.write(`${JSON.stringify(out)}\n`);
