/**
 * The line points of a whole raster, in row order: what the detectors keep of the image (a few per cent of
 * its pixels, 13 bytes each) once the strips have gone.
 */
export class LinePoints {
  x = new Int32Array(1024);
  y = new Int32Array(1024);
  /** line response (index units) */
  value = new Float32Array(1024);
  /** direction of the normal across the line, radians in [0, π) */
  normal = new Float32Array(1024);
  /** the index beside the line (the smaller of the two sides' 3x3 means, valley; the larger, ridge) */
  flank = new Float32Array(1024);
  count = 0;
  /** rowStart[r]..rowStart[r + 1] are the points of row r (filled by `index`) */
  rowStart = new Int32Array(1);

  add(x: number, y: number, value: number, normal: number, flank: number): void {
    if (this.count === this.x.length) this.grow();
    const i = this.count++;
    this.x[i] = x;
    this.y[i] = y;
    this.value[i] = value;
    this.normal[i] = normal;
    this.flank[i] = flank;
  }

  /** Builds the row index once every point is in (`height` = rows of the raster). */
  index(height: number): void {
    const start = new Int32Array(height + 1);
    let i = 0;
    for (let r = 0; r <= height; r++) {
      while (i < this.count && this.y[i]! < r) i++;
      start[r] = i;
    }
    this.rowStart = start;
  }

  /** Calls `fn` for every point with |x - cx| ≤ rx and |y - cy| ≤ ry. */
  forEachNear(cx: number, cy: number, rx: number, ry: number, fn: (i: number) => void): void {
    const h = this.rowStart.length - 1;
    const r0 = Math.max(0, Math.ceil(cy - ry));
    const r1 = Math.min(h - 1, Math.floor(cy + ry));
    for (let r = r0; r <= r1; r++) {
      const end = this.rowStart[r + 1]!;
      let i = lowerBound(this.x, this.rowStart[r]!, end, Math.ceil(cx - rx));
      const xmax = cx + rx;
      for (; i < end && this.x[i]! <= xmax; i++) fn(i);
    }
  }

  private grow(): void {
    const n = this.x.length * 2;
    const g = <T extends Int32Array | Float32Array>(a: T, b: T): T => {
      b.set(a);
      return b;
    };
    this.x = g(this.x, new Int32Array(n));
    this.y = g(this.y, new Int32Array(n));
    this.value = g(this.value, new Float32Array(n));
    this.normal = g(this.normal, new Float32Array(n));
    this.flank = g(this.flank, new Float32Array(n));
  }
}

/** First index in [lo, hi) whose value is ≥ v (a is sorted there). */
function lowerBound(a: Int32Array, lo: number, hi: number, v: number): number {
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (a[m]! < v) lo = m + 1;
    else hi = m;
  }
  return lo;
}
