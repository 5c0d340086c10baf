import { mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
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

/** Removes temporary files a killed process left in dir (from a write cut short). */
export async function removeTempFiles(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  await Promise.all(names.filter((n) => /\.tmp-\d+$/.test(n)).map((n) => unlink(join(dir, n)).catch(() => undefined)));
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
