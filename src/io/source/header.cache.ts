/**
 * The header bytes of a TIFF (IFDs and their tag values) kept in memory while the file is opened, so
 * that the IFD walk and geotiff.js read them without a request each. A read that misses fetches at
 * least `minFetch` bytes, joined to a cached segment it touches: a COG's header, whose IFDs and tag
 * arrays lie together at the start, costs one request (two when longer than the first); a GeoTIFF with
 * its IFD at the end costs one more there.
 */
import type { ByteSource } from './byte.source.js';

interface Segment {
  start: number;
  data: Uint8Array;
}

export class HeaderCache {
  private readonly segments: Segment[] = [];

  constructor(
    readonly source: ByteSource,
    private readonly minFetch: number,
    /** Bytes from offset 0 already fetched (an HTTP source's first answer). */
    head?: Uint8Array,
  ) {
    if (head && head.length > 0) this.segments.push({ start: 0, data: head });
  }

  private covering(offset: number, end: number): Segment | undefined {
    return this.segments.find((s) => s.start <= offset && s.start + s.data.length >= end);
  }

  /** Cached bytes from `offset`, as many as are cached contiguously (up to `length`). */
  peek(offset: number, length: number): Uint8Array | undefined {
    const s = this.segments.find((g) => g.start <= offset && g.start + g.data.length > offset);
    return s?.data.subarray(offset - s.start, Math.min(s.data.length, offset - s.start + length));
  }

  /** The bytes at [offset, offset + length), or fewer at the end of the file. */
  async read(offset: number, length: number): Promise<Uint8Array> {
    const end = Math.min(this.source.size, offset + length);
    if (end <= offset) return new Uint8Array(0);
    const hit = this.covering(offset, end);
    if (hit) return hit.data.subarray(offset - hit.start, end - hit.start);
    await this.fetch(offset, end);
    const s = this.covering(offset, end);
    return s ? s.data.subarray(offset - s.start, end - s.start) : new Uint8Array(0);
  }

  /** Fetches every range of `ranges` not cached, those close together in one request each. */
  async prefetch(ranges: readonly [number, number][]): Promise<void> {
    const missing = ranges
      .map(([a, b]) => [a, Math.min(b, this.source.size)] as [number, number])
      .filter(([a, b]) => b > a && !this.covering(a, b))
      .sort((x, y) => x[0] - y[0]);
    const spans: [number, number][] = [];
    for (const r of missing) {
      const last = spans[spans.length - 1];
      if (last && r[0] <= last[1] + this.minFetch) last[1] = Math.max(last[1], r[1]);
      else spans.push([...r]);
    }
    for (const [a, b] of spans) await this.fetch(a, b);
  }

  /** Fetches [offset, end) grown to minFetch, extending a segment it touches. */
  private async fetch(offset: number, end: number): Promise<void> {
    const size = this.source.size;
    // A segment that ends at or shortly before `offset` grows instead of a new one starting.
    const before = this.segments.find((s) => s.start <= offset && s.start + s.data.length + this.minFetch >= offset);
    const from = before ? before.start + before.data.length : offset;
    const to = Math.min(size, Math.max(end, from + this.minFetch));
    const bytes = await this.source.read(from, to - from);
    if (before) {
      const joined = new Uint8Array(before.data.length + bytes.length);
      joined.set(before.data);
      joined.set(bytes, before.data.length);
      before.data = joined;
    } else {
      this.segments.push({ start: from, data: bytes.slice() });
    }
  }
}
