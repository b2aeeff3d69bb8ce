/** A local file as a byte source: positioned reads on one file handle, opened once. */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { InputError } from '../../core/errors.js';
import { newSourceStats, type ByteSource } from './byte.source.js';

export class LocalSource implements ByteSource {
  readonly remote = false;
  readonly stats = newSourceStats();
  /** Opened on the first read; a promise so that concurrent first reads share one handle. */
  private fh: Promise<FileHandle> | undefined;

  private constructor(
    readonly href: string,
    readonly size: number,
  ) {}

  static async open(path: string): Promise<LocalSource> {
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch {
      throw new InputError(path, 'file not found');
    }
    return new LocalSource(path, size);
  }

  async read(offset: number, length: number, into?: Uint8Array): Promise<Uint8Array> {
    this.fh ??= open(this.href, 'r');
    const fh = await this.fh.catch(() => {
      throw new InputError(this.href, 'file not found');
    });
    const buf = into && into.length >= length ? into : new Uint8Array(length);
    const { bytesRead } = await fh.read(buf, 0, length, offset);
    this.stats.requests++;
    this.stats.bytes += bytesRead;
    return buf.subarray(0, bytesRead);
  }

  async close(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    await (await fh?.catch(() => undefined))?.close();
  }
}
