/** OpenCV's numeric helpers as the parity kernels need them. */

/** cvRound: nearest integer, halves to even (the SSE conversion OpenCV uses). */
export function cvRound(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** cv::RNG (multiply-with-carry, 64-bit state): `uniform(0, n)` as HoughLinesP draws its points. */
export class CvRng {
  private state: bigint;
  constructor(seed: bigint = 0xffffffffffffffffn) {
    this.state = seed === 0n ? 0xffffffffn : seed;
  }
  next(): number {
    this.state = ((this.state & 0xffffffffn) * 4164903690n + (this.state >> 32n)) & 0xffffffffffffffffn;
    return Number(this.state & 0xffffffffn);
  }
  /** an integer in [a, b) */
  uniform(a: number, b: number): number {
    return a === b ? a : (this.next() % (b - a)) + a;
  }
}
