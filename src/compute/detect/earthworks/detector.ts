/**
 * The default earthwork detector: line points streamed from the strips (line.response.ts), then, once the
 * last strip is in, rings by Hough gradient (rings.ts) and enclosures and causeways from linked groups of
 * points (shapes.ts). A shape claimed by a ring or an enclosure is not also reported as a causeway, and an
 * enclosure and a ring on the same earthwork keep the more confident.
 */
import { findRings } from './rings.js';
import { linkPoints } from './groups.js';
import { LINE_HALO, LineResponseStream, type LineResponseKernels } from './line.response.js';
import { type EarthworkParams, type EarthworkParamsInput, earthworkParams } from './settings.js';
import { findCauseway, findEnclosure } from './shapes.js';
import type { EarthworkCandidate, EarthworkDetector } from './types.js';

/**
 * `kernels`: the line response's inner loop in another engine (the scan passes engine/cpu/wasm.line.ts's
 * WebAssembly SIMD, same bits); without it, JavaScript.
 */
export function createEarthworkDetector(
  input: EarthworkParamsInput = {},
  kernels?: LineResponseKernels,
): EarthworkDetector {
  const p = earthworkParams(input);
  const stream = new LineResponseStream(p, kernels);
  let width = 0;
  let rows = 0;
  return {
    halo: LINE_HALO,
    push(strip, y0, height, w) {
      stream.push(strip, y0, height, w);
      width = w;
      rows = y0 + height;
    },
    finish() {
      const pts = stream.finish();
      return detectShapes(pts, width, rows, p);
    },
  };
}

function detectShapes(
  pts: ReturnType<LineResponseStream['finish']>,
  width: number,
  height: number,
  p: EarthworkParams,
): EarthworkCandidate[] {
  const rings = p.ring.enabled ? findRings(pts, width, height, p) : [];
  const minPts = Math.min(
    p.enclosure.enabled ? (2 * p.enclosure.side_min_m) / p.pixel_m : Number.POSITIVE_INFINITY,
    p.causeway.enabled ? (0.7 * p.causeway.length_min_m) / p.pixel_m : Number.POSITIVE_INFINITY,
  );
  const enclosures: EarthworkCandidate[] = [];
  const lines: EarthworkCandidate[] = [];
  if (Number.isFinite(minPts)) {
    for (const g of linkPoints(pts, Math.max(3, Math.floor(minPts)))) {
      const e = p.enclosure.enabled ? findEnclosure(pts, g, p) : null;
      if (e) {
        enclosures.push(e);
        continue;
      }
      const c = p.causeway.enabled ? findCauseway(pts, g, p) : null;
      if (c) lines.push(c);
    }
  }
  const extent = (c: EarthworkCandidate) =>
    c.shape === 'circle' ? c.radius_m! / p.pixel_m : Math.max(c.width_m ?? 0, c.height_m ?? 0) / (2 * p.pixel_m);
  const closed = [...rings, ...enclosures].sort((a, b) => b.confidence - a.confidence);
  const kept: EarthworkCandidate[] = [];
  for (const c of closed) {
    if (kept.some((k) => Math.hypot(k.cx - c.cx, k.cy - c.cy) < 0.5 * Math.max(extent(k), extent(c)))) continue;
    kept.push(c);
  }
  for (const l of lines) {
    if (kept.some((k) => Math.hypot(k.cx - l.cx, k.cy - l.cy) < extent(k) + 2)) continue;
    kept.push(l);
  }
  return kept;
}
