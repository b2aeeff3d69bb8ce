/**
 * A new kind of detector plugs into the seam: a small real kind, registered on both sides here (as a new
 * room would be in compute/detect/params.ts and pipeline/scan/detectors/kinds.ts), runs in an in-process
 * `archeo scan` of the peer crop next to the default terra_preta. It finds the brightest pixel of its
 * index, streaming: strips in, candidates out. Checked: its parameters are validated and its index is
 * computed; the strips arrive in order, each once, covering the window; the index values they carry are
 * the written index GeoTIFF's, pixel for pixel; windows it holds are handed back; its candidate (a
 * LineString with its own properties) is in candidates.geojson after the spectral ones, which are
 * unchanged by its presence.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultParams, detectorKinds } from '../../src/compute/detect/params.js';
import type { DetectionStrip, SceneDetector } from '../../src/pipeline/scan/detectors/detector.js';
import { sceneDetectorKinds } from '../../src/pipeline/scan/detectors/kinds.js';
import { scanCommand } from '../../src/cli/scan.command.js';
import { outputEntries, root, tempDir } from '../helpers/paths.js';
import { readRaster } from '../helpers/rasters.js';

interface ProbeSpec {
  kind: 'probe';
  index: string;
}

/** What the probe kind saw of the scan. */
const seen = { starts: 0, strips: [] as { y0: number; rows: number }[], values: [] as Float32Array[], released: 0 };

/** Brightest pixel of an index, one strip at a time (keeps one running maximum, no raster). */
class BrightestPixel implements SceneDetector {
  readonly kind = 'probe';
  private best = { value: -Infinity, x: -1, y: -1 };
  private readonly holds: (() => void)[] = [];
  constructor(
    private readonly name: string,
    private readonly index: string,
    private readonly width: number,
  ) {}
  async add(strip: DetectionStrip): Promise<void> {
    seen.strips.push({ y0: strip.y0, rows: strip.rows });
    const v = strip.values.get(this.index)!;
    seen.values.push(v.slice());
    for (let i = 0; i < v.length; i++) {
      if (v[i]! > this.best.value)
        this.best = { value: v[i]!, x: i % this.width, y: strip.y0 + Math.floor(i / this.width) };
    }
    this.holds.push(strip.hold()); // as a kind needing the source later would; handed back at the end
  }
  async finish() {
    for (const release of this.holds.splice(0)) {
      release();
      seen.released++;
    }
    const { x, y, value } = this.best;
    return {
      detectors: [
        {
          name: this.name,
          summary: { strips: seen.strips.length },
          candidates: [
            {
              detector: this.name,
              confidence: 1,
              geometry: {
                type: 'LineString' as const,
                coordinates: [[x, y] as [number, number], [x + 1, y + 1] as [number, number]],
              },
              centroid: [x + 0.5, y + 0.5] as [number, number],
              lead: { shape: 'line' },
              tail: { [`max_${this.index}`]: value },
            },
          ],
        },
      ],
      files: [],
    };
  }
  discard(): void {}
  async abort(): Promise<void> {}
}

const kinds = detectorKinds as unknown as Record<string, unknown>;
const sceneKinds = sceneDetectorKinds as unknown as Record<string, unknown>;

beforeAll(() => {
  kinds['probe'] = {
    kind: 'probe',
    validate: (v: Record<string, unknown>, path: string): ProbeSpec => {
      if (typeof v['index'] !== 'string') throw new Error(`${path}.index: expected an index name`);
      return { kind: 'probe', index: v['index'] };
    },
    indices: (s: ProbeSpec) => [s.index],
  };
  sceneKinds['probe'] = {
    valueIndices: (ds: { spec: ProbeSpec }[]) => ds.map((d) => d.spec.index),
    start: async (site: { plan: { window: { width: number } } }, ds: { name: string; spec: ProbeSpec }[]) => {
      seen.starts++;
      return new BrightestPixel(ds[0]!.name, ds[0]!.spec.index, site.plan.window.width);
    },
  };
});
afterAll(() => {
  delete kinds['probe'];
  delete sceneKinds['probe'];
});

async function scan(params: object, out: string): Promise<string> {
  const file = join(tempDir(), 'params.json');
  writeFileSync(file, JSON.stringify(params));
  let code = 0;
  const scene = join(root, 'test', 'fixtures', 'peer', 'scene');
  const args = [scene, '--out', out, '-q', '--params', file, '--block', '128', '--indices', 'ndvi'];
  await scanCommand((c) => (code = c)).parseAsync(args, { from: 'user' });
  expect(code).toBe(0);
  return join(out, outputEntries(out)[0]!);
}

describe('a new kind through the seam', () => {
  let dir: string;
  let alone: string;
  beforeAll(async () => {
    const spectral = { terra_preta: defaultParams.detectors['terra_preta'] };
    dir = await scan({ detectors: { ...spectral, brightest: { kind: 'probe', index: 'ndvi' } } }, tempDir());
    alone = await scan({ detectors: spectral }, tempDir());
  }, 300000);

  test('strips in order, each once, covering the window; the windows it held handed back', () => {
    expect(seen.starts).toBe(1);
    expect(seen.strips.map((s) => s.y0)).toEqual([0, 128, 256, 384, 512]);
    expect(seen.strips.every((s) => s.rows === 128)).toBe(true);
    expect(seen.released).toBe(5);
  });

  test("the strips' index values are the written ndvi.tif, pixel for pixel", async () => {
    const written = (await readRaster(join(dir, 'indices', 'ndvi.tif'))).data as Float32Array;
    const streamed = new Float32Array(written.length);
    let at = 0;
    for (const v of seen.values) {
      streamed.set(v, at);
      at += v.length;
    }
    expect(at).toBe(written.length);
    expect(Buffer.compare(Buffer.from(streamed.buffer), Buffer.from(written.buffer))).toBe(0);
  });

  test('its candidate follows the spectral ones in candidates.geojson; those are as without it', async () => {
    const fc = JSON.parse(readFileSync(join(dir, 'candidates.geojson'), 'utf8'));
    const without = JSON.parse(readFileSync(join(alone, 'candidates.geojson'), 'utf8'));
    const last = fc.features[fc.features.length - 1];
    expect(last.properties.detector).toBe('brightest');
    expect(last.geometry.type).toBe('LineString');
    expect(last.properties.shape).toBe('line');
    const written = (await readRaster(join(dir, 'indices', 'ndvi.tif'))).data as Float32Array;
    let max = -Infinity;
    for (const v of written) if (v > max) max = v;
    expect(last.properties.max_ndvi).toBe(max);
    const strip = (f: { properties: Record<string, unknown> }) => ({ ...f.properties, scene: null });
    expect(fc.features.slice(0, -1).map(strip)).toEqual(without.features.map(strip));
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
    expect(report.detection.detectors.brightest).toEqual({ strips: 5 });
    expect(readdirSync(dir)).toContain('quicklook.png'); // its line outlined with the polygons
  });
});
