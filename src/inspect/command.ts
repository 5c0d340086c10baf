import { existsSync } from 'node:fs';
import type { ParseArgsConfig } from 'node:util';
import type { FastifyBaseLogger } from 'fastify';
import { Registry } from 'prom-client';
import { chooseSource, collectOptions, collectTargets, explainDenied, openSource, pidTarget, SocketAgeTracker, type CollectionSnapshot, type CollectOptions } from '../collectors/index.js';
import { formatDuration, parseDuration } from '../config/duration.js';
import { defaultConfig, loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { changesOf } from '../snapshots/compare.js';
import { createSnapshots, SNAPSHOT_ID, snapshotsDir } from '../snapshots/index.js';
import type { SnapshotSummary } from '../snapshots/types.js';
import { describeDiff, diffReports } from './diff.js';
import { inspectReport, type InspectReport } from './report.js';
import { readStored, renderSnapshot, UnknownSnapshot } from './snapshot.js';
import { makeStyle, wantsColour } from './style.js';
import { clean, formatBytes, renderText } from './text.js';

// `sockeye inspect <pid | target-name>`: the collection /metrics uses, run
// once in this process and printed for a person (or --json for scripts);
// --watch refreshes it and says what changed; --save also stores it as an
// incident snapshot; --snapshot ID prints a stored one.

export const INSPECT_OPTIONS: NonNullable<ParseArgsConfig['options']> = {
  json: { type: 'boolean' },
  watch: { type: 'string', short: 'w' },
  'proc-root': { type: 'string' },
  save: { type: 'boolean' },
  snapshot: { type: 'string' },
};

export interface InspectIO {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
  /** Resolves when the user asks to stop watching (Ctrl-C). */
  interrupted: Promise<void>;
}

/** A failure of the command line: message, exit 2. */
class BadUsage extends Error {}
/** A failure to find or read what was asked for: message, exit 1. */
class NotFound extends Error {}

const MIN_WATCH_MS = 200;

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;
const str = (v: Values[string]) => (typeof v === 'string' ? v : undefined);

interface Plan {
  what: string;
  collect(): Promise<CollectionSnapshot>;
  /** Throws when the first collection shows the target can't be inspected at all. */
  check(snap: CollectionSnapshot): void;
  report(snap: CollectionSnapshot): InspectReport;
}

function planFor(arg: string | undefined, config: Config, configFile: string | undefined, pictures: boolean): Plan {
  // The full pictures only when a snapshot is saved: they cost a copy of everything read.
  const opts = { ...collectOptions(config), pictures };
  // The pipeline /metrics runs, over the same source, on this thread (a one-shot command may block).
  const source = openSource(chooseSource(opts.procRoot).kind, opts);
  // Socket ages across the collections of a --watch.
  const ages = new SocketAgeTracker(opts.longLivedAfterMs);
  const collectTargetsOf = (o: CollectOptions) => collectTargets(o, source, ages);
  if (arg === undefined) {
    // `inspect --config FILE`: every configured target.
    return { what: `every target of ${configFile}`, collect: () => collectTargetsOf(opts), check() {}, report: (snap) => inspectReport(snap) };
  }
  if (/^\d+$/.test(arg)) {
    const pid = Number(arg);
    return {
      what: `pid ${pid}`,
      collect: () => collectTargetsOf({ ...opts, targets: pidTarget(pid), selfPid: undefined }),
      check(snap) {
        if (!existsSync(`${opts.procRoot}/${pid}`)) throw new NotFound(`no process with pid ${pid} (${opts.procRoot}/${pid} does not exist)`);
        const t = snap.targets[0];
        const p = t?.processes[0];
        if (!t || !p) throw new NotFound(`pid ${pid} is not a user-space process sockeye can inspect (a kernel thread, a zombie, or it just exited)`);
        const denied = p.problems.find((x) => x.kind === 'denied');
        if (denied) throw new NotFound(`cannot read ${opts.procRoot}/${denied.path}: ${explainDenied(snap.reader, p.uid)}`);
      },
      report: (snap) => inspectReport(snap),
    };
  }
  if (config.targets) {
    const spec = opts.targets!.find((t) => t.name === arg);
    if (!spec) {
      const names = opts.targets!.map((t) => t.name);
      throw new BadUsage(`no target named ${JSON.stringify(arg)} in ${configFile ?? 'the config'} (targets: ${names.length ? names.join(', ') : 'none'}); give a target name or a pid`);
    }
    return {
      what: `target ${arg}`,
      collect: () => collectTargetsOf({ ...opts, targets: [spec] }),
      check() {},
      report: (snap) => inspectReport(snap),
    };
  }
  // Zero-config: targets are the command-name groups, as /metrics has them, but
  // unbounded: the command asked for is shown even where /metrics sums it into "other".
  return {
    what: `command ${arg}`,
    collect: () => collectTargetsOf({ ...opts, maxGroups: Infinity }),
    check(snap) {
      if (!snap.targets.some((t) => t.name === arg)) {
        throw new NotFound(`no process with command name ${JSON.stringify(arg)} (without --config, targets are command names as in /proc/PID/comm; or give a pid)`);
      }
    },
    report: (snap) => inspectReport(snap, (t) => t.name === arg),
  };
}

const HOME = '\x1b[H';
const CLEAR_LINE_END = '\x1b[K';
const CLEAR_BELOW = '\x1b[J';

/** `--snapshot ID`: a stored snapshot, as text (with what changed) or JSON. */
async function printStored(id: string, config: Config, json: boolean, io: InspectIO): Promise<number> {
  if (!SNAPSHOT_ID.test(id)) throw new BadUsage(`--snapshot: ${JSON.stringify(id)} is not a snapshot id (like 20261207T091502.123Z-web-7f3a; sockeye inspect --save and GET /api/snapshots list them)`);
  const dir = snapshotsDir(config.stateDir);
  let stored;
  try {
    stored = await readStored(dir, id);
  } catch (err) {
    if (err instanceof UnknownSnapshot) throw new NotFound(err.message);
    throw err;
  }
  const changes = await changesOf(stored.store, stored.snapshot);
  if (json) io.stdout.write(`${JSON.stringify({ snapshot: stored.snapshot, changes }, null, 2)}\n`);
  else {
    const previous = changes.previous ? await stored.store.get(changes.previous.id) : undefined;
    io.stdout.write(renderSnapshot(stored.snapshot, changes, makeStyle(wantsColour(io.stdout, io.env)), previous));
  }
  return 0;
}

/** A logger for the snapshot store in a one-shot command: its warnings to stderr, its chatter dropped. */
function commandLog(stderr: NodeJS.WriteStream): FastifyBaseLogger {
  const say = (_obj: object, msg: string) => void stderr.write(`sockeye: ${msg}\n`);
  const quiet = () => undefined;
  const log = { level: 'warn', fatal: say, error: say, warn: say, info: quiet, debug: quiet, trace: quiet, silent: quiet, child: () => log };
  return log as unknown as FastifyBaseLogger;
}

/** `--save`: each inspected target's picture from this collection, stored as the server stores them. */
async function save(plan: Plan, snap: CollectionSnapshot, config: Config, configFile: string | undefined, io: InspectIO): Promise<SnapshotSummary[]> {
  if (!config.snapshots.enabled) throw new NotFound(`--save: snapshots are disabled (snapshots.enabled: false in ${configFile ?? 'the config'})`);
  const snapshots = await createSnapshots(config, new Registry(), commandLog(io.stderr), { collect: () => plan.collect(), last: () => snap });
  try {
    const saved: SnapshotSummary[] = [];
    for (const t of plan.report(snap).targets) {
      const result = await snapshots.take(t.name, { kind: 'manual', detail: 'sockeye inspect --save' });
      if ('refused' in result) throw new NotFound(`--save: no snapshot of ${t.name}: ${result.message}`);
      saved.push(result.taken);
    }
    return saved;
  } finally {
    await snapshots.close();
  }
}

async function run(values: Values, args: string[], io: InspectIO): Promise<number> {
  const snapshotId = str(values.snapshot);
  if (snapshotId !== undefined) {
    if (args.length > 0) throw new BadUsage(`inspect --snapshot prints a stored snapshot: give no pid or target with it (got ${args.join(' ')})`);
    if (values.watch !== undefined || values.save === true) throw new BadUsage('inspect --snapshot prints a stored snapshot: it takes neither --watch nor --save');
  }
  if (values.save === true && values.watch !== undefined) throw new BadUsage('inspect --save stores one snapshot: it does not go with --watch');
  if (args.length > 1) throw new BadUsage(`inspect: expected one pid or target name, got ${args.length} (${args.join(' ')})`);
  let watchMs: number | undefined;
  if (values.watch !== undefined) {
    const text = str(values.watch) ?? '';
    watchMs = parseDuration(text);
    if (watchMs === undefined || watchMs < MIN_WATCH_MS) {
      throw new BadUsage(`--watch: expected a duration of at least ${formatDuration(MIN_WATCH_MS)} such as "2s", got ${JSON.stringify(text)}`);
    }
  }
  const file = str(values.config) ?? io.env.SOCKEYE_CONFIG;
  if (snapshotId !== undefined) return printStored(snapshotId, file ? await loadConfig(file) : defaultConfig(), values.json === true, io);
  if (args.length === 0 && !file) throw new BadUsage('inspect: expected a pid, a target name, or --config FILE (every configured target)');
  let config = file ? await loadConfig(file) : defaultConfig();
  const procRoot = str(values['proc-root']);
  if (procRoot !== undefined) {
    if (!existsSync(procRoot)) throw new BadUsage(`--proc-root: ${procRoot} does not exist`);
    config = { ...config, procRoot };
  }

  const saving = values.save === true;
  const plan = planFor(args[0], config, file, saving);
  const json = values.json === true;
  const style = makeStyle(!json && wantsColour(io.stdout, io.env));
  const first = await plan.collect();
  plan.check(first);

  if (watchMs === undefined) {
    const report = plan.report(first);
    const saved = saving ? await save(plan, first, config, file, io) : undefined;
    if (json) io.stdout.write(`${JSON.stringify(saved ? { ...report, saved } : report, null, 2)}\n`);
    else {
      io.stdout.write(renderText(report, { style }));
      for (const s of saved ?? []) io.stdout.write(`\nsaved snapshot ${s.id} of ${clean(s.target)} (${formatBytes(s.bytes)}) in ${snapshotsDir(config.stateDir)}; sockeye inspect --snapshot ${s.id} shows it\n`);
    }
    return 0;
  }

  // Redraw in place on a terminal (home, overwrite, clear the rest: no
  // flicker); append blocks when piped; one JSON document per line with --json.
  const tty = !json && io.stdout.isTTY === true;
  let stop = false;
  void io.interrupted.then(() => (stop = true));
  let prev: InspectReport | undefined;
  let snap = first;
  for (;;) {
    const report = plan.report(snap);
    if (json) {
      io.stdout.write(`${JSON.stringify(report)}\n`);
    } else {
      const diff = prev ? diffReports(prev, report) : undefined;
      const time = report.generatedAt.slice(11, 19);
      const head = `sockeye inspect ${plan.what} · every ${formatDuration(watchMs)} · ${time} UTC${tty ? ' · Ctrl-C to quit' : ''}`;
      const changes = report.targets.map((t) => {
        const d = diff?.get(t.name);
        const what = d ? describeDiff(d) : [];
        return `${report.targets.length > 1 ? `${clean(t.name)}: ` : ''}${prev === undefined ? 'first sample' : what.length ? what.join(', ') : 'no change'}`;
      });
      const body = `${style.bold(head)}\nchanged since last refresh: ${changes.map((c) => (/[+-]\d/.test(c) ? style.yellow(c) : c)).join('; ')}\n\n${renderText(report, { style, diff })}`;
      if (tty) io.stdout.write(`${HOME}${body.replace(/\n/g, `${CLEAR_LINE_END}\n`)}${CLEAR_BELOW}`);
      else io.stdout.write(`${body}\n`);
    }
    prev = report;
    await Promise.race([new Promise((r) => setTimeout(r, watchMs)), io.interrupted]);
    if (stop) return 0;
    snap = await plan.collect();
  }
}

/** The `inspect` subcommand; returns the exit code. */
export async function runInspect(values: Values, args: string[], io?: Partial<InspectIO>): Promise<number> {
  const stderr = io?.stderr ?? process.stderr;
  let onSigint: (() => void) | undefined;
  const interrupted =
    io?.interrupted ??
    new Promise<void>((resolve) => {
      onSigint = () => resolve();
      process.once('SIGINT', onSigint);
    });
  try {
    return await run(values, args, { stdout: io?.stdout ?? process.stdout, stderr, env: io?.env ?? process.env, interrupted });
  } catch (err) {
    if (err instanceof BadUsage) {
      stderr.write(`sockeye: ${err.message}\nTry 'sockeye --help'.\n`);
      return 2;
    }
    if (err instanceof NotFound) {
      stderr.write(`sockeye: ${err.message}\n`);
      return 1;
    }
    throw err;
  } finally {
    if (onSigint) process.off('SIGINT', onSigint);
  }
}
