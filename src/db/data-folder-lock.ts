import { readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import lockfile from 'proper-lockfile';

/** The embedded database's folder is held by another process: it cannot be opened here. */
export class DataFolderInUse extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataFolderInUse';
  }
}

/** Who holds a data folder, written beside its lock so a refused process can say. */
interface Holder {
  readonly pid: number;
  readonly host: string;
  readonly since: string;
}

/**
 * The lock is kept fresh every 10 s; one untouched for a minute belongs to a holder that
 * cannot be asked (another machine sharing the folder) and has stopped.
 */
const STALE_MS = 60_000;
const UPDATE_MS = 10_000;

/**
 * Holds the embedded database's folder for this process until the returned release is
 * called. PGlite keeps the database in this process's memory and writes it back to the
 * folder: a second process on the same folder overwrites the first one's commits, so it is
 * refused with a sentence naming the holder. A lock left by a process on this machine that
 * no longer runs (killed, crashed) is taken over at once.
 */
export async function lockDataFolder(folder: string): Promise<() => Promise<void>> {
  const lockPath = `${folder}.lock`;
  const holderPath = `${folder}.holder.json`;
  const options = { lockfilePath: lockPath, realpath: false, stale: STALE_MS, update: UPDATE_MS };
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(folder, options);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
    const holder = await readHolder(holderPath);
    if (!holder || holderAlive(holder)) throw new DataFolderInUse(inUse(folder, holder));
    await rm(lockPath, { recursive: true, force: true });
    release = await lockfile.lock(folder, options).catch(() => {
      throw new DataFolderInUse(inUse(folder, undefined));
    });
  }
  const holder: Holder = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  await writeFile(holderPath, `${JSON.stringify(holder)}\n`);
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    await rm(holderPath, { force: true });
    await release();
  };
}

async function readHolder(path: string): Promise<Holder | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Holder;
  } catch {
    return undefined; // The holder is between taking the lock and writing who it is.
  }
}

/** Whether the holder may still be running: on another machine, it cannot be told. */
function holderAlive(holder: Holder): boolean {
  if (holder.host !== hostname()) return true;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function inUse(folder: string, holder: Holder | undefined): string {
  const who = holder
    ? `process ${holder.pid} on ${holder.host}, since ${holder.since}`
    : 'another process';
  return `The embedded database in ${folder} is in use by ${who}: stop that Plaudit first, or set PLAUDIT_DATA_DIR to another folder (two processes on one folder lose each other's writes).`;
}
