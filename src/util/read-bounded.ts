// Reading a file a person named, without trusting what it is: a directory,
// a FIFO or a device is refused rather than read (or waited on), and no
// more than `maxBytes` is read however large the file is or grows.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

export type BoundedRead =
  | { readonly ok: true; readonly text: string }
  | {
      readonly ok: false;
      /** missing / unreadable / not-a-file: the name is wrong; too-large: the file is. The message does not repeat the path. */
      readonly problem: 'missing' | 'unreadable' | 'not-a-file' | 'too-large';
      readonly message: string;
    };

/** `hint` ends the too-large message, e.g. how to raise the limit. */
export async function readBounded(path: string, maxBytes: number, hint = ''): Promise<BoundedRead> {
  let fh;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer.
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { ok: false, problem: code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : 'unreadable', message: (err as Error).message };
  }
  try {
    const st = await fh.stat();
    if (st.isDirectory()) return { ok: false, problem: 'not-a-file', message: 'a directory, not a file' };
    if (!st.isFile()) return { ok: false, problem: 'not-a-file', message: 'not a regular file' };
    const tooLarge = (size: string): BoundedRead => ({ ok: false, problem: 'too-large', message: `${size} bytes, more than the limit of ${maxBytes}${hint}` });
    if (st.size > maxBytes) return tooLarge(String(st.size));
    // The size can change between stat and read: read until the end, but
    // never more than one byte past the limit.
    const chunks: Buffer[] = [];
    let length = 0;
    while (length <= maxBytes) {
      const chunk = Buffer.allocUnsafe(Math.min(maxBytes + 1 - length, 1024 * 1024));
      const { bytesRead } = await fh.read(chunk, 0, chunk.length, length);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      length += bytesRead;
    }
    if (length > maxBytes) return tooLarge(`more than ${maxBytes}`);
    return { ok: true, text: Buffer.concat(chunks, length).toString('utf8') };
  } catch (err) {
    return { ok: false, problem: 'unreadable', message: (err as Error).message };
  } finally {
    await fh.close();
  }
}
