/**
 * The README's quick start, as written there: its scan of the synthetic sample writes candidates, masks
 * with content and an outlined quicklook, and the candidates lie on what the generator planted
 * (samples/synthetic_T21LYG_seed7/truth.json, written by make_scene.py — not by archeo). Its log names the
 * engine without the note on why no GPU answered (that note is for `--backend webgpu`, `info --engines`, -v).
 */
import { beforeAll, expect, test } from '@jest/globals';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { crsTransforms } from '../../src/compute/crs.js';
import { archeo, errorLines } from '../helpers/cli.js';
import { root, tempDir } from '../helpers/paths.js';

/** The `archeo scan` arguments of the README's quick start (`node bin/archeo.js scan … --out out`). */
function quickStartScan(): string[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Quick start'));
  const line = /node bin\/archeo\.js (scan [^\n`]*)/.exec(section);
  if (!line) throw new Error('README.md: no `node bin/archeo.js scan …` in the quick start');
  return line[1]!.trim().split(/\s+/);
}

interface Truth {
  epsg: number;
  anomalies: { id: number; center_xy_utm: [number, number] }[];
}
interface Candidates {
  features: { bbox: [number, number, number, number]; properties: { detector: string } }[];
}

let sceneOut: string;
let stderr: string;
beforeAll(() => {
  const args = quickStartScan();
  const out = tempDir();
  // The README's own relative paths, run from the repository root, --out pointed at a fresh folder.
  const at = args.indexOf('--out');
  expect(at).toBeGreaterThan(0);
  args[at + 1] = out;
  const r = archeo(args, {}, root);
  expect(errorLines(r.stderr)).toEqual([]);
  expect(r.code).toBe(0);
  stderr = r.stderr;
  const scenes = readdirSync(out).filter(
    (n) => !n.startsWith('archeo-state') && !n.startsWith('archeo-plan') && n !== 'run-report.json',
  );
  expect(scenes).toEqual(['synthetic_T21LYG_seed7']);
  sceneOut = join(out, scenes[0]!);
});

test('the quick start writes candidates on the planted anomalies (truth.json)', () => {
  const found = JSON.parse(readFileSync(join(sceneOut, 'candidates.geojson'), 'utf8')) as Candidates;
  expect(found.features.length).toBeGreaterThanOrEqual(1);
  const truth = JSON.parse(
    readFileSync(join(root, 'samples', 'synthetic_T21LYG_seed7', 'truth.json'), 'utf8'),
  ) as Truth;
  const { inverse } = crsTransforms(truth.epsg);
  const hit = truth.anomalies.filter((a) => {
    const [lon, lat] = inverse(...a.center_xy_utm);
    return found.features.some(
      (f) =>
        f.properties.detector === 'terra_preta' &&
        lon >= f.bbox[0] &&
        lon <= f.bbox[2] &&
        lat >= f.bbox[1] &&
        lat <= f.bbox[3],
    );
  });
  // Six anomalies are planted; the smallest (39 px at strength 0.33) is below the default detector's reach.
  expect(hit.length).toBeGreaterThanOrEqual(5);
});

test('masks per detector, and a quicklook', () => {
  expect(readdirSync(join(sceneOut, 'masks')).sort()).toEqual([
    'crop_mark.tif',
    'terra_preta.tif',
    'terra_preta_standard.tif',
  ]);
  expect(statSync(join(sceneOut, 'quicklook.png')).size).toBeGreaterThan(10000);
  const report = JSON.parse(readFileSync(join(sceneOut, 'report.json'), 'utf8'));
  expect(report.warnings).toEqual([]);
  expect(report.detection.detectors.terra_preta.maskPixels).toBeGreaterThan(0);
});

test('the first run names its engine but says nothing about Vulkan drivers (no GPU was asked for)', () => {
  const engine = stderr.split('\n').filter((l) => l.includes('Run:Engine'));
  expect(engine.length).toBe(1);
  expect(engine[0]).toMatch(/"msg":"engine: \w+ on /);
  for (const word of ['Vulkan', 'vulkan', 'SwiftShader', 'GPU answered']) expect(stderr).not.toContain(word);
});
