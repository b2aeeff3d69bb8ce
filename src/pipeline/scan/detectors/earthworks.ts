/**
 * The earthworks kind in a scene (compute/detect/earthworks/spec.ts): each strip's values of the
 * detector's index (full window width) are pushed into its EarthworkDetector, which keeps its own halo
 * (line response rows; the original mode its Canny/Hough window); at the end its shape candidates become
 * the seam's kind-neutral ones. The detectors' pixel coordinates put pixel centres on integers: +0.5 gives
 * the window's pixel-corner coordinates the seam uses (docs/earthworks.md).
 */
import { createEarthworkDetector } from '../../../compute/detect/earthworks/detector.js';
import { createOriginalEarthworkDetector } from '../../../compute/detect/earthworks/original/detector.js';
import {
  earthworkSettings,
  type EarthworkSettings,
  type EarthworksSpec,
  type OriginalEarthworkSettings,
} from '../../../compute/detect/earthworks/spec.js';
import type { EarthworkCandidate, EarthworkDetector } from '../../../compute/detect/earthworks/types.js';
import { roundTo } from '../../../core/numbers.js';
import { useSimd } from '../../../engine/cpu/wasm.kernels.js';
import { wasmLineResponseKernels } from '../../../engine/cpu/wasm.line.js';
import type {
  CandidateGeometry,
  DetectionSite,
  DetectionStrip,
  DetectorResult,
  SceneCandidate,
  SceneDetector,
  SceneDetectorKind,
} from './detector.js';

type Named = { name: string; spec: EarthworksSpec };

export const earthworksSceneKind: SceneDetectorKind<EarthworksSpec> = {
  valueIndices: (detectors) => [...new Set(detectors.map((d) => d.spec.index))],
  start: async (site, detectors) => new EarthworksDetector(site, detectors),
};

/**
 * The detector of a spec at the scene's pixel size (the grid's, in metres); its line response in
 * WebAssembly SIMD unless --no-simd (or no SIMD here): same bits, a third of the time.
 */
function createDetector(spec: EarthworksSpec, pixelM: number, simd: boolean): EarthworkDetector {
  const settings = earthworkSettings(spec);
  return spec.mode === 'original'
    ? createOriginalEarthworkDetector({ ...(settings as OriginalEarthworkSettings), pixel_m: pixelM })
    : createEarthworkDetector(
        { ...(settings as EarthworkSettings), pixel_m: pixelM },
        simd ? wasmLineResponseKernels : undefined,
      );
}

class EarthworksDetector implements SceneDetector {
  readonly kind = 'earthworks';
  private readonly runs: { name: string; index: string; detector: EarthworkDetector }[];

  constructor(
    private readonly site: DetectionSite,
    detectors: readonly Named[],
  ) {
    const pixelM = Math.abs(site.plan.outGrid.transform[1]);
    const simd = useSimd(site.ctx.simd);
    this.runs = detectors.map((d) => ({
      name: d.name,
      index: d.spec.index,
      detector: createDetector(d.spec, pixelM, simd),
    }));
  }

  async add(strip: DetectionStrip): Promise<void> {
    const width = this.site.plan.window.width;
    // the line response runs here, on the main thread, as the strips pass: timed in the same stage as the
    // shapes at the end, so that report.json's `earthworks` is the detectors' whole cost (docs/performance.md)
    const t0 = performance.now();
    for (const r of this.runs) {
      const values = strip.values.get(r.index);
      if (!values) throw new Error(`earthworks: strip at row ${strip.y0} brought no values of ${r.index}`);
      r.detector.push(values, strip.y0, strip.rows, width);
    }
    this.site.metrics.add('earthworks', (performance.now() - t0) / 1000);
  }

  async finish(): Promise<{ detectors: DetectorResult[]; files: string[] }> {
    const detectors = this.runs.map((r) => {
      const t0 = performance.now();
      const found = r.detector.finish();
      this.site.metrics.add('earthworks', (performance.now() - t0) / 1000);
      const candidates = found.map((c) => toSceneCandidate(r.name, c)).sort((a, b) => b.confidence - a.confidence);
      const count = (shape: string) => found.filter((c) => c.shape === shape).length;
      return {
        name: r.name,
        summary: {
          candidates: candidates.length,
          circles: count('circle'),
          rectangles: count('rectangle'),
          lines: count('line'),
        },
        candidates,
      };
    });
    return { detectors, files: [] };
  }

  discard(): void {}

  async abort(): Promise<void> {}
}

/** A shape candidate in the seam's terms: window pixel-corner coordinates, its measures as properties. */
export function toSceneCandidate(name: string, c: EarthworkCandidate): SceneCandidate {
  const pts = c.points.map(([x, y]): [number, number] => [x + 0.5, y + 0.5]);
  let geometry: CandidateGeometry;
  if (c.shape === 'line') geometry = { type: 'LineString', coordinates: pts };
  else {
    const ring = closed(pts);
    // Exteriors counter-clockwise on the map (y up): clockwise in pixel coordinates (y down), as polygons.ts.
    geometry = { type: 'Polygon', coordinates: [signedArea(ring) > 0 ? ring.reverse() : ring] };
  }
  const tail: SceneCandidate['tail'] = {};
  const r = (v: number | undefined) => (v === undefined ? null : roundTo(v, 3));
  if (c.shape === 'circle') tail['radius_m'] = r(c.radius_m);
  if (c.shape === 'rectangle') {
    tail['width_m'] = r(c.width_m);
    tail['height_m'] = r(c.height_m);
  }
  if (c.shape === 'line') tail['length_m'] = r(c.length_m);
  if (c.shape !== 'circle') tail['angle_deg'] = r(c.angle_deg);
  tail['support'] = roundTo(c.support, 4);
  return {
    detector: name,
    confidence: c.confidence,
    geometry,
    centroid: [c.cx + 0.5, c.cy + 0.5],
    lead: { shape: c.shape, earthwork: c.detector },
    tail,
  };
}

function closed(ring: [number, number][]): [number, number][] {
  const [a, b] = [ring[0]!, ring[ring.length - 1]!];
  return a[0] === b[0] && a[1] === b[1] ? ring : [...ring, a];
}

/** Shoelace sum (twice the signed area) in the ring's own axes. */
function signedArea(ring: [number, number][]): number {
  let s = 0;
  for (let i = 0; i + 1 < ring.length; i++) s += ring[i]![0] * ring[i + 1]![1] - ring[i + 1]![0] * ring[i]![1];
  return s;
}
