import { closeSync, constants, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TesseraError } from '../lib/errors.js';
import { openDatabase, type DatabaseHandle } from '../infra/db/index.js';

export const EMBEDDED_DATABASE_DIRECTORY = 'pgdata';
const LOCK_FILE_NAME = 'pgdata.lock';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * PGlite is one process's database: two processes on one data directory would corrupt it. The
 * lock file holds the owner's pid; a lock whose process is gone is taken over.
 */
function lockEmbeddedDatabase(dataDir: string): () => void {
  const path = join(dataDir, LOCK_FILE_NAME);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(path, 'utf8'));
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && processAlive(owner)) {
        throw new TesseraError('ERR_DATABASE_IN_USE', `the embedded database in ${dataDir} is in use by process ${owner}; stop it first, or use a PostgreSQL server (DATABASE_URL)`);
      }
      rmSync(path, { force: true });
    }
  }
  throw new TesseraError('ERR_DATABASE_IN_USE', `could not lock the embedded database in ${dataDir}`);
}

/** The platform's database: PostgreSQL when a URL is given, else the embedded PGlite under the data directory. */
export async function openPlatformDatabase<DB>(options: { dataDir: string; databaseUrl?: string | undefined }): Promise<DatabaseHandle<DB> & { location: string }> {
  if (options.databaseUrl !== undefined && options.databaseUrl !== '') {
    return { ...(await openDatabase<DB>({ databaseUrl: options.databaseUrl })), location: 'DATABASE_URL' };
  }
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const unlock = lockEmbeddedDatabase(dataDir);
  try {
    const location = join(dataDir, EMBEDDED_DATABASE_DIRECTORY);
    const handle = await openDatabase<DB>({ dataDir: location });
    return {
      ...handle,
      location,
      async close() {
        try {
          await handle.close();
        } finally {
          unlock();
        }
      },
    };
  } catch (error) {
    unlock();
    throw error;
  }
}
