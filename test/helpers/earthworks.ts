/**
 * The earthwork fixtures (test/fixtures/earthworks, made by make_earthworks_fixtures.py) and the scoring of
 * candidates against make_scene.py's truth, by shape, as issue 14 states it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { EarthworkCandidate, EarthworkDetector } from '../../src/compute/detect/earthworks/types.js';
import { root } from './paths.js';

export const earthworksDir = join(root, 'test', 'fixtures', 'earthworks');

export interface TruthWork {
  id: number;
  shape: 'ring' | 'square' | 'causeway';
  center_rc: [number, number];
  radius_px?: number;
  half_side_px?: number;
  length_px?: number;
  angle_deg?: number;
  ends_rc?: [[number, number], [number, number]];
}

export interface Scene {
  seed: number;
  size: number;
  ndvi: Float32Array;
  works: TruthWork[];
}

export function loadScene(seed: number): Scene {
  const raw = gunzipSync(readFileSync(join(earthworksDir, `scene${seed}.ndvi.i16.gz`)));
  const q = new Int16Array(raw.buffer, raw.byteOffset, raw.byteLength / 2);
  const ndvi = new Float32Array(q.length);
  for (let i = 0; i < q.length; i++) ndvi[i] = q[i] === -32768 ? Number.NaN : q[i]! / 10000;
  const t = JSON.parse(readFileSync(join(earthworksDir, `scene${seed}.truth.json`), 'utf8')) as {
    size: number;
    earthworks: TruthWork[];
  };
  return { seed, size: t.size, ndvi, works: t.earthworks };
}

/** Feeds a raster to a detector in strips of `strip` rows and returns its candidates. */
export function runDetector(d: EarthworkDetector, data: Float32Array, width: number, height: number, strip = 256) {
  for (let y0 = 0; y0 < height; y0 += strip) {
    const h = Math.min(strip, height - y0);
    d.push(data.slice(y0 * width, (y0 + h) * width), y0, h, width);
  }
  return d.finish();
}

const segDist = (x: number, y: number, ax: number, ay: number, bx: number, by: number) => {
  const dx = bx - ax;
  const dy = by - ay;
  const l2 = dx * dx + dy * dy;
  const t = l2 ? Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / l2)) : 0;
  return Math.hypot(x - ax - t * dx, y - ay - t * dy);
};
const angleDiff = (a: number, b: number) => {
  const d = Math.abs(a - b) % 180;
  return Math.min(d, 180 - d);
};

/** Whether candidate c finds truth work w (shape, centre, size; causeways are scored by coverage instead). */
export function matches(c: EarthworkCandidate, w: TruthWork, pixel_m = 10): boolean {
  const [cy, cx] = w.center_rc;
  const d = Math.hypot(c.cx - cx, c.cy - cy);
  if (w.shape === 'ring' && c.shape === 'circle') {
    const r = w.radius_px!;
    return d <= Math.max(3, 0.3 * r) && Math.abs(c.radius_m! / pixel_m - r) <= 0.3 * r;
  }
  if (w.shape === 'square' && c.shape === 'rectangle') {
    const h = w.half_side_px!;
    const half = (c.width_m! + c.height_m!) / (4 * pixel_m);
    return d <= Math.max(3, 0.3 * h) && Math.abs(half - h) <= 0.35 * h;
  }
  return false;
}

/** Fraction of a causeway (1-px steps) within 3 px of a line candidate whose angle is within 5°. */
export function causewayCoverage(w: TruthWork, cands: EarthworkCandidate[]): number {
  const [[r0, c0], [r1, c1]] = w.ends_rc!;
  const lines = cands.filter((c) => c.shape === 'line' && angleDiff(c.angle_deg!, w.angle_deg!) <= 5);
  const n = Math.max(1, Math.round(Math.hypot(r1 - r0, c1 - c0)));
  let hit = 0;
  for (let s = 0; s <= n; s++) {
    const x = c0 + ((c1 - c0) * s) / n;
    const y = r0 + ((r1 - r0) * s) / n;
    if (lines.some((l) => segDist(x, y, l.points[0]![0], l.points[0]![1], l.points[1]![0], l.points[1]![1]) <= 3))
      hit++;
  }
  return hit / (n + 1);
}

/** Whether a candidate lies on a true earthwork: its centroid within the work's extent (+3 px), or on a causeway. */
export function onEarthwork(c: EarthworkCandidate, works: TruthWork[]): boolean {
  return works.some((w) => {
    const [cy, cx] = w.center_rc;
    if (w.shape === 'causeway') {
      const [[r0, c0], [r1, c1]] = w.ends_rc!;
      return segDist(c.cx, c.cy, c0, r0, c1, r1) <= 3;
    }
    const extent = w.shape === 'ring' ? w.radius_px! : w.half_side_px! * Math.SQRT2;
    return Math.hypot(c.cx - cx, c.cy - cy) <= extent + 3;
  });
}

export interface Score {
  works: number;
  found: number;
  candidates: number;
  onWork: number;
  missed: TruthWork[];
  false: EarthworkCandidate[];
}

export function score(cands: EarthworkCandidate[], works: TruthWork[]): Score {
  const missed: TruthWork[] = [];
  let found = 0;
  for (const w of works) {
    const ok = w.shape === 'causeway' ? causewayCoverage(w, cands) >= 0.5 : cands.some((c) => matches(c, w));
    if (ok) found++;
    else missed.push(w);
  }
  const fp = cands.filter((c) => !onEarthwork(c, works));
  return { works: works.length, found, candidates: cands.length, onWork: cands.length - fp.length, missed, false: fp };
}
