/**
 * One candidate's own pixels, its outline and its background ring, all computed in a window around the
 * candidate (its bounding box, plus the ring width): nothing here looks at the rest of the image.
 */
import type { BitMask } from '../morphology.js';

/** A component's pixels in its bounding box: `data[y * width + x]` is 1 for pixel (x0 + x, y0 + y). */
export interface LocalBitmap {
  x0: number;
  y0: number;
  width: number;
  height: number;
  data: Uint8Array;
}

/**
 * The pixels of the component containing (seedX, seedY) in `mask`, found by flood fill inside its
 * bounding box with the component's connectivity (other components in the box are left out).
 */
export function componentPixels(
  mask: BitMask,
  seedX: number,
  seedY: number,
  box: { minX: number; minY: number; maxX: number; maxY: number },
  connectivity: 4 | 8,
): LocalBitmap {
  const width = box.maxX - box.minX + 1;
  const height = box.maxY - box.minY + 1;
  const data = new Uint8Array(width * height);
  const stack = [seedX - box.minX, seedY - box.minY];
  data[(seedY - box.minY) * width + (seedX - box.minX)] = 1;
  const steps =
    connectivity === 8 ? [-1, -1, 0, -1, 1, -1, -1, 0, 1, 0, -1, 1, 0, 1, 1, 1] : [0, -1, -1, 0, 1, 0, 0, 1];
  while (stack.length) {
    const y = stack.pop()!;
    const x = stack.pop()!;
    for (let k = 0; k < steps.length; k += 2) {
      const nx = x + steps[k]!;
      const ny = y + steps[k + 1]!;
      if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
      const i = ny * width + nx;
      if (data[i] || !mask.get(box.minX + nx, box.minY + ny)) continue;
      data[i] = 1;
      stack.push(nx, ny);
    }
  }
  return { x0: box.minX, y0: box.minY, width, height, data };
}

/**
 * The outline of a component along pixel edges: rings of pixel-corner coordinates (x to the right, y
 * down, in the bitmap's frame plus x0/y0), each closed (last = first). The first ring is the exterior,
 * the others are holes. The component is on the left of every edge, so on a north-up map the exterior
 * runs counter-clockwise and holes clockwise, as RFC 7946 asks. Where two
 * pixels of the component touch only at a corner, the outline goes from one to the other for
 * 8-connectivity and keeps them apart for 4-connectivity. Collinear vertices are dropped.
 */
export function traceOutline(b: LocalBitmap, connectivity: 4 | 8): [number, number][][] {
  const { width: w, height: h, data } = b;
  const set = (x: number, y: number): boolean => x >= 0 && y >= 0 && x < w && y < h && data[y * w + x] === 1;
  const W = w + 1;
  // Boundary edges by start vertex and direction (0 east, 1 south, 2 west, 3 north; y down):
  // edge id = vertex * 4 + direction. 1 = present and not yet traced.
  const edges = new Uint8Array(W * (h + 1) * 4);
  const add = (vx: number, vy: number, dir: number): void => {
    edges[(vy * W + vx) * 4 + dir] = 1;
  };
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (!set(x, y)) continue;
      if (!set(x, y - 1)) add(x, y, 0);
      if (!set(x + 1, y)) add(x + 1, y, 1);
      if (!set(x, y + 1)) add(x + 1, y + 1, 2);
      if (!set(x - 1, y)) add(x, y + 1, 3);
    }
  }
  const exists = new Uint8Array(edges); // edges present at all (traced or not)
  const DX = [1, 0, -1, 0];
  const DY = [0, 1, 0, -1];
  const rings: [number, number][][] = [];
  for (let e0 = 0; e0 < edges.length; e0++) {
    if (!edges[e0]) continue;
    const ring: [number, number][] = [];
    let e = e0;
    let prevDir = -1;
    const firstDir = e0 & 3;
    for (;;) {
      edges[e] = 0;
      const v = e >> 2;
      const dir = e & 3;
      if (dir !== prevDir) ring.push([b.x0 + (v % W), b.y0 + Math.floor(v / W)]);
      prevDir = dir;
      const nv = (Math.floor(v / W) + DY[dir]!) * W + (v % W) + DX[dir]!;
      // At a vertex where two pixels touch only at a corner there are two ways on: turning left goes
      // to the diagonal pixel (8-connectivity), turning right stays with this one (4-connectivity).
      // The rule pairs incoming and outgoing edges one to one, so every ring is a cycle.
      const left = (dir + 3) & 3;
      const right = (dir + 1) & 3;
      const straight = dir;
      const order = connectivity === 8 ? [left, straight, right] : [right, straight, left];
      const next = order.find((d) => exists[nv * 4 + d]);
      if (next === undefined) throw new Error('traceOutline: an outline does not close');
      e = nv * 4 + next;
      if (!edges[e]) break; // back at the first edge
    }
    if (prevDir === firstDir && ring.length > 1) ring.shift(); // the start vertex is not a corner
    ring.push([ring[0]![0], ring[0]![1]]);
    // Traced with the component on the right; reversed, it is on the left: counter-clockwise exterior
    // and clockwise holes once rows map to northings (row 0 at the top, as on screen).
    rings.push(ring.reverse());
  }
  // The exterior encloses the largest area.
  rings.sort((a, b) => Math.abs(ringArea(b)) - Math.abs(ringArea(a)));
  return rings;
}

/** Shoelace area of a closed ring in its own coordinates (sign depends on orientation and axis direction). */
export function ringArea(ring: readonly (readonly [number, number])[]): number {
  let s = 0;
  for (let i = 0; i + 1 < ring.length; i++) s += ring[i]![0] * ring[i + 1]![1] - ring[i + 1]![0] * ring[i]![1];
  return s / 2;
}

/**
 * Background ring of a component: pixels within `r` (Chebyshev distance) of it that are not in `mask`
 * (the detector's candidates) and lie inside [0, width) x [0, height). Calls `visit(x, y)` for each.
 */
export function visitRing(b: LocalBitmap, r: number, mask: BitMask, visit: (x: number, y: number) => void): void {
  const w = b.width + 2 * r;
  const h = b.height + 2 * r;
  // Square dilation, separable: horizontal then vertical running maxima over ±r.
  const horiz = new Uint8Array(w * b.height);
  for (let y = 0; y < b.height; y++) {
    for (let x = 0; x < b.width; x++) {
      if (!b.data[y * b.width + x]) continue;
      horiz.fill(1, y * w + x, y * w + x + 2 * r + 1);
    }
  }
  const dil = new Uint8Array(w * h);
  for (let y = 0; y < b.height; y++) {
    for (let x = 0; x < w; x++) {
      if (!horiz[y * w + x]) continue;
      for (let k = 0; k <= 2 * r; k++) dil[(y + k) * w + x] = 1;
    }
  }
  const gx0 = b.x0 - r;
  const gy0 = b.y0 - r;
  for (let y = 0; y < h; y++) {
    const gy = gy0 + y;
    if (gy < 0 || gy >= mask.height) continue;
    for (let x = 0; x < w; x++) {
      const gx = gx0 + x;
      if (!dil[y * w + x] || gx < 0 || gx >= mask.width || mask.get(gx, gy)) continue;
      visit(gx, gy);
    }
  }
}
