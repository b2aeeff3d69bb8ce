/**
 * Ring ditches: a Hough gradient transform on the line points (each votes along its normal, both ways, at
 * every radius of the range), centre peaks in bands of rows, the radius from the points around a peak, a
 * least-squares circle through them, and the ring kept when its line points cover enough of it.
 *
 * Only an accumulator of one band of centre rows (plus the 2-row margins the peak test needs) exists at a
 * time; a band reads the points of its rows ± the largest radius.
 */
import type { EarthworkParams } from './settings.js';
import type { EarthworkCandidate } from './types.js';
import type { LinePoints } from './points.js';
import { circleOutline, confidenceOf, pathContrast } from './outline.js';

const BAND = 64;
/** a point counts for a ring when its normal is within this of the radial direction */
const RADIAL_TOL = (25 * Math.PI) / 180;

export function findRings(pts: LinePoints, width: number, height: number, p: EarthworkParams): EarthworkCandidate[] {
  const rmin = Math.max(2, p.ring.radius_min_m / p.pixel_m);
  const rmax = Math.max(rmin, p.ring.radius_max_m / p.pixel_m);
  const r0 = Math.ceil(rmin);
  const r1 = Math.floor(rmax);
  const found: EarthworkCandidate[] = [];
  const rows = BAND + 4;
  const acc = new Int32Array(rows * width);
  // the columns each accumulator row has votes in (lo > hi: none): line points are a few per mille of the
  // pixels, so the peak search and the clearing visit those spans, not the whole band
  const lo = new Int32Array(rows).fill(width);
  const hi = new Int32Array(rows).fill(-1);
  // each point's normal, once (a point votes in the two or three bands its radii reach)
  const cos = new Float64Array(pts.count);
  const sin = new Float64Array(pts.count);
  for (let i = 0; i < pts.count; i++) {
    cos[i] = Math.cos(pts.normal[i]!);
    sin[i] = Math.sin(pts.normal[i]!);
  }
  for (let b0 = 0; b0 < height; b0 += BAND) {
    const b1 = Math.min(height, b0 + BAND) - 1;
    const a0 = b0 - 2; // accumulator rows a0 .. a0 + rows - 1
    for (let ly = 0; ly < rows; ly++) {
      if (lo[ly]! <= hi[ly]!) acc.fill(0, ly * width + lo[ly]!, ly * width + hi[ly]! + 1);
      lo[ly] = width;
      hi[ly] = -1;
    }
    const yFrom = Math.max(0, a0 - r1 - 1);
    const yTo = Math.min(height - 1, a0 + rows + r1);
    for (let i = pts.rowStart[yFrom]!; i < pts.rowStart[yTo + 1]!; i++) {
      const x = pts.x[i]!;
      const y = pts.y[i]!;
      const nx = cos[i]!;
      const ny = sin[i]!;
      for (let s = -1; s <= 1; s += 2) {
        // the radii whose votes can land in the band's rows (y + s·r·ny within a0 - 0.5 .. a0 + rows - 0.5),
        // a pixel wider either way; the test below stays the exact one
        let ra = r0;
        let rb = r1;
        const t = s * ny;
        if (Math.abs(t) > 1e-6) {
          const u = (a0 - 0.5 - y) / t;
          const v = (a0 + rows - 0.5 - y) / t;
          ra = Math.max(r0, Math.floor(Math.min(u, v)) - 1);
          rb = Math.min(r1, Math.ceil(Math.max(u, v)) + 1);
        }
        for (let r = ra; r <= rb; r++) {
          const cy = Math.round(y + s * r * ny) - a0;
          const cx = Math.round(x + s * r * nx);
          if (cy >= 0 && cy < rows && cx >= 0 && cx < width) {
            acc[cy * width + cx]!++;
            if (cx < lo[cy]!) lo[cy] = cx;
            if (cx > hi[cy]!) hi[cy] = cx;
          }
        }
      }
    }
    const sum3 = (x: number, yy: number): number => {
      let t = 0;
      for (let dy = -1; dy <= 1; dy++) {
        const row = yy + dy;
        if (row < 0 || row >= rows) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx >= 0 && xx < width) t += acc[row * width + xx]!;
        }
      }
      return t;
    };
    const floor = p.ring.votes_min * 2 * Math.PI * rmin;
    for (let y = b0; y <= b1; y++) {
      const ly = y - a0;
      for (let x = lo[ly]!, xEnd = hi[ly]!; x <= xEnd; x++) {
        if (acc[ly * width + x]! === 0) continue;
        const v = sum3(x, ly);
        if (v < floor) continue;
        // a peak of the 3x3 sums in its 5x5 neighbourhood (ties go to the first in row order)
        let peak = true;
        for (let dy = -2; dy <= 2 && peak; dy++) {
          for (let dx = -2; dx <= 2; dx++) {
            if (dx === 0 && dy === 0) continue;
            const o = sum3(x + dx, ly + dy);
            if (o > v || (o === v && (dy < 0 || (dy === 0 && dx < 0)))) {
              peak = false;
              break;
            }
          }
        }
        if (!peak) continue;
        const ring = fitRing(pts, x, y, rmin, rmax);
        if (!ring) continue;
        if (v < p.ring.votes_min * 2 * Math.PI * ring.r) continue;
        if (ring.support < p.ring.support_min) continue;
        const outline = circleOutline(ring.cx, ring.cy, ring.r);
        const contrast = pathContrast(pts, outline);
        found.push({
          shape: 'circle',
          detector: 'ring',
          confidence: confidenceOf(ring.support, contrast, p.line_min),
          cx: ring.cx,
          cy: ring.cy,
          radius_m: ring.r * p.pixel_m,
          support: ring.support,
          points: outline,
        });
      }
    }
  }
  // one ring per earthwork: the most confident of those whose centres are within half a radius
  found.sort((a, b) => b.confidence - a.confidence);
  const kept: EarthworkCandidate[] = [];
  for (const c of found) {
    const r = c.radius_m! / p.pixel_m;
    if (
      kept.some((k) => Math.hypot(k.cx - c.cx, k.cy - c.cy) < Math.max(3, 0.5 * Math.max(r, k.radius_m! / p.pixel_m)))
    )
      continue;
    kept.push(c);
  }
  return kept;
}

interface Ring {
  cx: number;
  cy: number;
  r: number;
  support: number;
}

/**
 * The ring around a Hough peak: the radius whose 2-px shell holds the most radially oriented points per
 * unit of circumference, a least-squares (Kåsa) circle through that shell's points, twice, and its support
 * (the fraction of angular bins, one per pixel of circumference up to 64, holding a point of the shell).
 */
function fitRing(pts: LinePoints, px: number, py: number, rmin: number, rmax: number): Ring | null {
  let cx = px;
  let cy = py;
  let r = 0;
  // radius histogram of radial points
  const bins = new Float64Array(Math.ceil(rmax) + 3);
  pts.forEachNear(cx, cy, rmax + 1.5, rmax + 1.5, (i) => {
    const dx = pts.x[i]! - cx;
    const dy = pts.y[i]! - cy;
    const d = Math.hypot(dx, dy);
    if (d < rmin - 1.5 || d > rmax + 1.5 || !radial(pts.normal[i]!, dx, dy)) return;
    const k = Math.round(d);
    if (k < bins.length) bins[k]!++;
  });
  let best = 0;
  for (let k = Math.ceil(rmin); k <= Math.floor(rmax); k++) {
    const score = ((bins[k - 1] ?? 0) + bins[k]! + (bins[k + 1] ?? 0)) / (2 * Math.PI * k);
    if (score > best) {
      best = score;
      r = k;
    }
  }
  if (r === 0) return null;
  for (let it = 0; it < 2; it++) {
    const shell: number[] = [];
    pts.forEachNear(cx, cy, r + 2, r + 2, (i) => {
      const dx = pts.x[i]! - cx;
      const dy = pts.y[i]! - cy;
      if (Math.abs(Math.hypot(dx, dy) - r) <= 1.5 && radial(pts.normal[i]!, dx, dy)) shell.push(i);
    });
    if (shell.length < 6) return null;
    const fit = kasa(pts, shell);
    if (!fit || fit.r < rmin || fit.r > rmax || Math.hypot(fit.cx - px, fit.cy - py) > 0.5 * r + 2) return null;
    cx = fit.cx;
    cy = fit.cy;
    r = fit.r;
  }
  const nb = Math.max(12, Math.min(64, Math.round(2 * Math.PI * r)));
  const hit = new Uint8Array(nb);
  pts.forEachNear(cx, cy, r + 2, r + 2, (i) => {
    const dx = pts.x[i]! - cx;
    const dy = pts.y[i]! - cy;
    if (Math.abs(Math.hypot(dx, dy) - r) > 1.5 || !radial(pts.normal[i]!, dx, dy)) return;
    const a = Math.atan2(dy, dx) + Math.PI;
    hit[Math.min(nb - 1, Math.floor((a / (2 * Math.PI)) * nb))] = 1;
  });
  let n = 0;
  for (const h of hit) n += h;
  return { cx, cy, r, support: n / nb };
}

/** Whether a normal (radians, 0..π) is within RADIAL_TOL of the direction (dx, dy), either way. */
function radial(normal: number, dx: number, dy: number): boolean {
  let d = Math.abs(Math.atan2(dy, dx) - normal) % Math.PI;
  if (d > Math.PI / 2) d = Math.PI - d;
  return d <= RADIAL_TOL;
}

/** Algebraic least-squares circle through the points (Kåsa): x² + y² + Dx + Ey + F = 0. */
function kasa(pts: LinePoints, idx: number[]): { cx: number; cy: number; r: number } | null {
  // centred coordinates for conditioning
  let mx = 0;
  let my = 0;
  for (const i of idx) {
    mx += pts.x[i]!;
    my += pts.y[i]!;
  }
  mx /= idx.length;
  my /= idx.length;
  let suu = 0;
  let svv = 0;
  let suv = 0;
  let suuu = 0;
  let svvv = 0;
  let suvv = 0;
  let svuu = 0;
  for (const i of idx) {
    const u = pts.x[i]! - mx;
    const v = pts.y[i]! - my;
    suu += u * u;
    svv += v * v;
    suv += u * v;
    suuu += u * u * u;
    svvv += v * v * v;
    suvv += u * v * v;
    svuu += v * u * u;
  }
  const det = suu * svv - suv * suv;
  if (Math.abs(det) < 1e-9) return null;
  const b1 = 0.5 * (suuu + suvv);
  const b2 = 0.5 * (svvv + svuu);
  const uc = (b1 * svv - b2 * suv) / det;
  const vc = (suu * b2 - suv * b1) / det;
  const r = Math.sqrt(uc * uc + vc * vc + (suu + svv) / idx.length);
  return { cx: uc + mx, cy: vc + my, r };
}
