/**
 * A component's outline as polygons that are valid by OGC rules (GEOS `is_valid`): simple rings, holes
 * inside their exterior, rings meeting at points only, each polygon's interior connected.
 *
 * Why not one ring per boundary: where two pixels touch only at a corner, a pixel-edge boundary passes
 * the same vertex twice. A ring that touches itself is invalid ("Ring Self-intersection"), and two
 * pixels joined only at a corner share no interior, so OGC cannot make them one polygon. The interior
 * of a union of pixel squares is made of its 4-connected pieces, so: trace the boundaries as if pixels
 * were 4-connected, split every ring at each vertex it visits twice (the piece then becomes an exterior
 * plus a hole meeting it at that point, both simple), and give each hole to the smallest exterior around
 * it. One piece gives a Polygon; an 8-connected candidate of several pieces a MultiPolygon whose members
 * touch at corners. The area covered is exactly the component's pixels, holes included.
 */
import { ringArea, traceOutline, type LocalBitmap } from './shape.js';

export type Ring = [number, number][];

/**
 * Polygons (exterior first, then its holes; closed rings in the bitmap's pixel-corner coordinates plus
 * x0/y0) covering exactly the set pixels of `b`. Exteriors run counter-clockwise and holes clockwise once
 * rows map to northings (RFC 7946), as traceOutline's rings do. Largest polygon first.
 */
export function outlinePolygons(b: LocalBitmap): Ring[][] {
  const rings = traceOutline(b, 4).flatMap(splitAtRepeats);
  // traceOutline's exteriors have a negative shoelace area in row-down pixel coordinates, holes positive.
  const exteriors = rings.filter((r) => ringArea(r) < 0).sort((p, q) => ringArea(p) - ringArea(q));
  const polygons: Ring[][] = exteriors.map((r) => [r]);
  for (const hole of rings.filter((r) => ringArea(r) > 0)) {
    const [px, py] = insidePoint(b, hole);
    // Exteriors are sorted largest first: the last one containing the hole is the smallest.
    let owner = -1;
    exteriors.forEach((r, i) => {
      if (contains(r, px, py)) owner = i;
    });
    if (owner < 0) throw new Error('outlinePolygons: a hole outside every exterior');
    polygons[owner]!.push(hole);
  }
  return polygons;
}

/** A closed ring split at every vertex it visits twice, into closed rings that visit each vertex once. */
function splitAtRepeats(ring: Ring): Ring[] {
  const out: Ring[] = [];
  const todo = [ring.slice(0, -1)];
  while (todo.length) {
    const r = todo.pop()!;
    const seen = new Map<string, number>();
    let split = false;
    for (let i = 0; i < r.length; i++) {
      const key = `${r[i]![0]},${r[i]![1]}`;
      const j = seen.get(key);
      if (j !== undefined) {
        // r[j] = r[i]: the loop j..i-1 closes on itself; the rest keeps the vertex once.
        todo.push(r.slice(j, i), [...r.slice(0, j), ...r.slice(i)]);
        split = true;
        break;
      }
      seen.set(key, i);
    }
    if (!split) out.push([...r, [r[0]![0], r[0]![1]]]);
  }
  return out;
}

/**
 * The centre of a pixel inside a hole ring: of the two pixels along its first edge, the one not set
 * (a hole's boundary has the component on one side and the hole on the other). Half-integer, so it
 * never lies on a ring.
 */
function insidePoint(b: LocalBitmap, ring: Ring): [number, number] {
  const [x0, y0] = ring[0]!;
  const [x1, y1] = ring[1]!;
  const set = (x: number, y: number): boolean => {
    const lx = x - b.x0;
    const ly = y - b.y0;
    return lx >= 0 && ly >= 0 && lx < b.width && ly < b.height && b.data[ly * b.width + lx] === 1;
  };
  // The first step of the edge, from (x0, y0), one pixel long along x or y.
  const dx = Math.sign(x1 - x0);
  const dy = Math.sign(y1 - y0);
  // Pixels on either side of the unit edge starting at (x0, y0).
  const a: [number, number] = dx !== 0 ? [Math.min(x0, x0 + dx), y0 - 1] : [x0 - 1, Math.min(y0, y0 + dy)];
  const c: [number, number] = dx !== 0 ? [Math.min(x0, x0 + dx), y0] : [x0, Math.min(y0, y0 + dy)];
  const [hx, hy] = set(a[0], a[1]) ? c : a;
  return [hx + 0.5, hy + 0.5];
}

/** Even-odd ray test of a point (never on the ring) against a closed ring. */
function contains(ring: Ring, x: number, y: number): boolean {
  let inside = false;
  for (let i = 0; i + 1 < ring.length; i++) {
    const [ax, ay] = ring[i]!;
    const [bx, by] = ring[i + 1]!;
    if (ay > y !== by > y && x < ax + ((y - ay) * (bx - ax)) / (by - ay)) inside = !inside;
  }
  return inside;
}
