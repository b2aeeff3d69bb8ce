/**
 * How a file inside a zip archive is named across archeo: `<archive>!/<member>` (the jar-URL form), so a
 * band of a zipped product travels as a plain path string through discovery, the readers, error lines and
 * reports, and every error names both the archive and the member. `readWhole` is the one place that
 * turns such a path, or a plain one, into bytes.
 */
import { readFile, stat } from 'node:fs/promises';
import { InputError } from '../../core/errors.js';
import { ZipArchive } from './zip.reader.js';

const SEPARATOR = '!/';

export function zipMemberPath(archive: string, member: string): string {
  return `${archive}${SEPARATOR}${member}`;
}

/** The archive and member of a `<archive>.zip!/<member>` path; undefined for a plain path. */
export function splitZipMemberPath(path: string): { archive: string; member: string } | undefined {
  const i = path.toLowerCase().indexOf(`.zip${SEPARATOR}`);
  if (i < 0) return undefined;
  return { archive: path.slice(0, i + 4), member: path.slice(i + 4 + SEPARATOR.length) };
}

/**
 * The whole content of a plain file or a zip member, and its size where it is stored (the file's, or the
 * member's compressed size). A plain file that cannot be read is "file not found" (what the readers have
 * always said); a member's faults are the zip reader's.
 */
export async function readWhole(path: string): Promise<{ bytes: Uint8Array; storedBytes: number }> {
  const inZip = splitZipMemberPath(path);
  if (inZip) {
    const zip = await ZipArchive.open(inZip.archive);
    const bytes = await zip.read(inZip.member);
    return { bytes, storedBytes: zip.member(inZip.member).compressedSize };
  }
  try {
    const bytes = await readFile(path);
    return { bytes, storedBytes: (await stat(path)).size };
  } catch {
    throw new InputError(path, 'file not found');
  }
}
