// Walks one pid's fds through the source sockeye chooses (SOCKEYE_NATIVE
// decides) and prints which ran and how it ended, as JSON. Run as another
// user (setpriv) by fd-native.test.ts to see 'denied' from each source.
//   node --import tsx test/integration/fd-native.child.ts <pid> [procRoot]
import { chooseSource, openSource } from '../../src/collectors/sources/index.js';
import { failureKind } from '../../src/procfs/errors.js';

const pid = Number(process.argv[2]);
const procRoot = process.argv[3] ?? '/proc';
const kind = chooseSource(procRoot).kind;
const walk = (await openSource(kind, { procRoot, cgroupRoot: '/sys/fs/cgroup' }).fdSummaries([pid])).get(pid)!;
const mode = kind === 'native' ? 'native' : 'js';
const out =
  walk instanceof Error
    ? { mode, kind: failureKind(walk), code: (walk as NodeJS.ErrnoException).code, message: walk.message }
    : { mode, count: walk.count };
process.stdout.write(`${JSON.stringify(out)}\n`);
