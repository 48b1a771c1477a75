/**
 * Atomic text-file output: write to a hidden temporary file beside the target, then rename.
 * A reader (including a `textFileStream` watching the directory) never sees a partial file.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes `lines` (each followed by a newline; nothing at all when empty) to `path`, replacing
 * any file there. The content goes to a hidden temporary file in the same directory first and
 * is then renamed into place, so `path` holds either the old content or the complete new one.
 * On failure the temporary file is removed and the error is rethrown.
 */
export async function writeTextFileAtomically(path: string, lines: readonly string[]): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  // Unique per call: two writers of the same path (a retry racing a slow attempt, two outputs
  // with the same prefix) must not share a temporary file. The leading dot hides it from
  // textFileStream.
  const temp = join(dir, `.${basename(path)}.${randomUUID()}.tmp`);
  try {
    const file = await open(temp, 'w');
    try {
      await file.writeFile(lines.length === 0 ? '' : lines.join('\n') + '\n');
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
}
