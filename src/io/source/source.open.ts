/** The one place that picks a byte source by its href: http(s):// and s3:// over the network, else a local file. */
import { isRemoteHref, type ByteSource } from './byte.source.js';
import { HttpSource } from './http.source.js';
import { LocalSource } from './local.source.js';
import type { SourceContext } from './source.context.js';

export interface OpenedSource {
  source: ByteSource;
  /** Bytes from offset 0 the opening already fetched (a remote file's first request). */
  head?: Uint8Array;
}

export async function openByteSource(href: string, ctx: SourceContext): Promise<OpenedSource> {
  if (isRemoteHref(href)) {
    const source = await HttpSource.open(href, ctx);
    return { source, head: source.head };
  }
  return { source: await LocalSource.open(href) };
}
