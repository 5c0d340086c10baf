import { mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

// Files under stateDir that survive kill -9 and power loss (heartbeat state,
// incident snapshots): written to a temporary file, fsynced, renamed into
// place, the directory fsynced; invalid ones set aside for a person.

export interface AsideLog {
  warn(obj: object, msg: string): void;
}

/** Keeps an invalid file for a person to look at, out of the way of the next write; logs `message` once. */
export async function setAsideFile(path: string, log: AsideLog, what: object, reason: string, message: string): Promise<void> {
  const aside = `${path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  let moved = true;
  try {
    await rename(path, aside);
  } catch {
    moved = false;
  }
  log.warn({ ...what, file: path, error: reason, ...(moved ? { setAsideAs: aside } : {}) }, message);
}

/** A write's temporary file: "<name>.tmp-<pid of the writer>". */
export const TEMP_FILE = /\.tmp-(\d+)$/;

/** A write takes well under this; a temporary file older is left over, whoever's pid it carries. */
export const STALE_TEMP_MS = 10 * 60_000;

/** Whether a process with this pid runs (EPERM: it does, as another user). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes temporary files of writes cut short in dir: those of a writer
 * that is gone, or this process's pid (a predecessor's: call this before
 * writing there), and any older than STALE_TEMP_MS (a pid since reused).
 * Another process may be writing in the same directory (`sockeye inspect
 * --save` next to a running sockeye): its file in flight is left alone.
 */
export async function removeTempFiles(dir: string, now = Date.now()): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  const leftOver = async (name: string): Promise<boolean> => {
    const pid = Number(TEMP_FILE.exec(name)![1]);
    if (pid === process.pid || !running(pid)) return true;
    const st = await stat(join(dir, name)).catch(() => undefined);
    return st !== undefined && now - st.mtimeMs >= STALE_TEMP_MS;
  };
  for (const name of names.filter((n) => TEMP_FILE.test(n))) {
    if (await leftOver(name)) await unlink(join(dir, name)).catch(() => undefined);
  }
}

/** Writes text to path durably: a temporary file, fsync, rename over path, fsync the directory. */
export async function writeDurably(path: string, text: string): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `${basename(path)}.tmp-${process.pid}`);
  try {
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    // Disk full, or the directory went read-only: leave nothing behind.
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  // The rename itself is only durable once the directory entry is.
  const dh = await open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

/** Removes a file durably (a heartbeat dropped from the config). */
export async function removeDurably(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const dh = await open(dirname(path), 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}
