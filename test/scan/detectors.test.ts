/** The detector seam's plumbing: every kind has both sides, detectors grouped by kind, strip values assembled. */
import { describe, expect, test } from '@jest/globals';
import { defaultParams, detectorKinds } from '../../src/compute/detect/params.js';
import { stripValues } from '../../src/pipeline/scan/detectors/detector.js';
import { detectorsByKind, sceneDetectorKinds } from '../../src/pipeline/scan/detectors/kinds.js';
import type { StripResult } from '../../src/pipeline/scan/scan.worker.js';

const result = (values: Float32Array[] | undefined): StripResult => ({
  bytes: 0,
  bits: undefined,
  values,
  timings: { resample: 0, indices: 0, mask: 0, encode: 0, write: 0, overview: 0 },
  validPixels: 0,
});

describe('detector kinds', () => {
  test('every kind a parameter file may name has a scan side', () => {
    expect(Object.keys(sceneDetectorKinds).sort()).toEqual(Object.keys(detectorKinds).sort());
  });
  test("the plan's detectors by kind, in order; the spectral kind asks for no values (it takes bits)", () => {
    const detectors = Object.entries(defaultParams.detectors).map(([name, spec]) => ({ name, spec }));
    const groups = detectorsByKind(detectors);
    expect([...groups.keys()]).toEqual(['spectral', 'earthworks']);
    expect(groups.get('spectral')!.map((d) => d.name)).toEqual(['terra_preta', 'terra_preta_standard', 'crop_mark']);
    expect(sceneDetectorKinds.spectral.valueIndices(groups.get('spectral') as never)).toEqual([]);
    // the earthworks kind reads its index's values (ndvi in the default set), once however many detectors
    const ew = groups.get('earthworks')!;
    expect(sceneDetectorKinds.earthworks.valueIndices([...ew, ...ew] as never)).toEqual(['ndvi']);
  });
});

describe('strip values over the window width', () => {
  test("tasks' columns are placed at their first window column, row by row", () => {
    // a strip of 2 rows, window 5 wide, tasks of 3 and 2 columns; index 1 of two requested
    const t0 = Float32Array.from([0, 1, 2, 10, 11, 12]);
    const t1 = Float32Array.from([3, 4, 13, 14]);
    const results = [result([new Float32Array(6), t0]), result([new Float32Array(4), t1])];
    expect([...stripValues(results, [0, 3], 1, 2, 5)]).toEqual([0, 1, 2, 3, 4, 10, 11, 12, 13, 14]);
  });
  test('a task without the values asked for is an error, not zeros', () => {
    expect(() => stripValues([result(undefined)], [0], 0, 1, 3)).toThrow(/task 0 brought no values for index 0/);
  });
});
