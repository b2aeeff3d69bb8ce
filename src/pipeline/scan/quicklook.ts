/**
 * The true-colour picture behind quicklook.png: B04, B03, B02 read at a reduced resolution (a COG
 * overview, or a JPEG 2000 resolution level, no coarser than the picture), sampled onto the picture's
 * grid (the processed window, decimated so that its long side is at most `maxSide`), and stretched
 * between each band's 2nd and 98th percentile of valid values.
 */
import type { BandId } from '../../core/bands.js';
import type { Scene } from '../../io/scene/discover.js';
import type { RgbImage } from '../../io/output/quicklook.js';
import { openBandReader } from '../../io/raster/band.open.js';
import type { PixelWindow, RasterGrid } from '../../core/types.js';
import type { SourceContext } from '../../io/source/source.context.js';

/** The picture's red, green and blue bands (the plan checks their files before any output exists). */
export const quicklookBands: readonly BandId[] = ['B04', 'B03', 'B02'];

export interface QuicklookGrid {
  /** Grid pixels per picture pixel. */
  factor: number;
  width: number;
  height: number;
}

export function quicklookGrid(window: PixelWindow, maxSide: number): QuicklookGrid {
  const factor = Math.max(1, Math.ceil(Math.max(window.width, window.height) / maxSide));
  return { factor, width: Math.ceil(window.width / factor), height: Math.ceil(window.height / factor) };
}

/** The picture, or undefined with the reason when the scene lacks a visible band. */
export async function quicklookImage(
  scene: Scene,
  fullGrid: RasterGrid,
  window: PixelWindow,
  maxSide: number,
  sources?: SourceContext,
): Promise<RgbImage | string> {
  const q = quicklookGrid(window, maxSide);
  const rgb = new Uint8Array(q.width * q.height * 3);
  const bands = quicklookBands;
  for (let c = 0; c < 3; c++) {
    const file = scene.bands.get(bands[c]!)?.[0];
    if (!file) return `no ${bands[c]} band for the quicklook`;
    const [gx0, gpx, , gy0, , gpy] = fullGrid.transform;
    // A picture pixel covers `factor` grid pixels: any level at least fullGrid.width / factor pixels wide
    // (whatever the band's own resolution) still has a pixel per picture pixel.
    const minWidth = Math.ceil(fullGrid.width / q.factor);
    const reader = await openBandReader(file.path, { level: { minWidth }, sources });
    try {
      const { grid } = reader;
      const data = await reader.readWindow({ x0: 0, y0: 0, width: grid.width, height: grid.height });
      const [lx0, lpx, , ly0, , lpy] = grid.transform;
      const samples = new Uint16Array(q.width * q.height);
      for (let y = 0; y < q.height; y++) {
        // Centre of the picture pixel on the map, then the level pixel under it.
        const my = gy0 + (window.y0 + (y + 0.5) * q.factor) * gpy;
        const ly = Math.min(grid.height - 1, Math.max(0, Math.floor((my - ly0) / lpy)));
        for (let x = 0; x < q.width; x++) {
          const mx = gx0 + (window.x0 + (x + 0.5) * q.factor) * gpx;
          const lx = Math.min(grid.width - 1, Math.max(0, Math.floor((mx - lx0) / lpx)));
          samples[y * q.width + x] = data[ly * grid.width + lx]!;
        }
      }
      const [lo, hi] = percentiles(samples, 0.02, 0.98);
      const scale = hi > lo ? 255 / (hi - lo) : 0;
      for (let i = 0; i < samples.length; i++) {
        const v = samples[i]!;
        rgb[i * 3 + c] = v === 0 ? 0 : Math.max(0, Math.min(255, Math.round((v - lo) * scale)));
      }
    } finally {
      await reader.close();
    }
  }
  return { width: q.width, height: q.height, rgb };
}

/** Percentiles of the non-zero values (0 is nodata), from a histogram of the 16-bit values. */
export function percentiles(values: Uint16Array, a: number, b: number): [number, number] {
  const hist = new Uint32Array(65536);
  let n = 0;
  for (const v of values) {
    if (v === 0) continue;
    hist[v]!++;
    n++;
  }
  if (n === 0) return [0, 0];
  const at = (p: number): number => {
    const target = Math.max(1, Math.ceil(p * n));
    let acc = 0;
    for (let v = 1; v < 65536; v++) {
      acc += hist[v]!;
      if (acc >= target) return v;
    }
    return 65535;
  };
  return [at(a), at(b)];
}
