// `shoal keygen FILE`: a new gossip key for file mode (32 random bytes,
// base64, one line), written with mode 0600. It never replaces a key by
// accident: every member needs the same key, and a host whose key changed
// alone is cut off from the others. To rotate without a partition, add a
// new key as a second line everywhere, then move it first everywhere, then
// remove the old one (docs/gossip.md, "Encryption").
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Command } from 'commander';
import { newGossipKey } from '../cluster/new-key.js';

const KEY_FILE_MODE = 0o600;

/** Writes `text` to a new file with mode 0600; 'wx' refuses an existing one. */
async function writeNew(path: string, text: string): Promise<void> {
  const fh = await open(path, 'wx', KEY_FILE_MODE);
  try {
    // The mode given to open is reduced by the umask; the key must end up exactly 0600.
    await fh.chmod(KEY_FILE_MODE);
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Writes a new key to `path`; with `force` an existing file is replaced whole (atomically), else refused. */
export async function writeKeyFile(path: string, force: boolean): Promise<void> {
  const text = `${newGossipKey()}\n`;
  if (!force) {
    try {
      await writeNew(path, text);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new Error(`${path} exists: not replacing a gossip key (every member needs the same one); pass --force to replace it`, { cause: err });
      }
      throw err;
    }
    return;
  }
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}`);
  try {
    await writeNew(temp, text);
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

export function registerKeygenCommand(program: Command): void {
  program
    .command('keygen')
    .description('write a new gossip key (32 random bytes, base64) for file mode: mode 0600, never over an existing file unless --force')
    .argument('<file>', 'where to write it; - prints it instead (e.g. for a Kubernetes Secret)')
    .option('--force', 'replace an existing file')
    .action(async (file: string, flags: { force?: boolean }) => {
      if (file === '-') process.stdout.write(`${newGossipKey()}\n`);
      else await writeKeyFile(file, flags.force === true);
    });
}
