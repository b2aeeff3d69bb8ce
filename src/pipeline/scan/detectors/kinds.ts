/**
 * The scan side of every kind of detector (a new kind adds its room's SceneDetectorKind here, as
 * compute/detect/params.ts lists its parameter side).
 */
import type { DetectorSpec } from '../../../compute/detect/params.js';
import type { SceneDetectorKind } from './detector.js';
import { earthworksSceneKind } from './earthworks.js';
import { spectralSceneKind } from './spectral.js';

export const sceneDetectorKinds: {
  [K in DetectorSpec['kind']]: SceneDetectorKind<Extract<DetectorSpec, { kind: K }>>;
} = {
  spectral: spectralSceneKind,
  earthworks: earthworksSceneKind,
};

/** A kind's scan side, for detectors grouped by kind (detectorsByKind: each group holds that kind's specs). */
export function sceneKind(kind: DetectorSpec['kind']): SceneDetectorKind {
  return sceneDetectorKinds[kind] as SceneDetectorKind;
}

/** The plan's detectors grouped by kind, in the plan's order of first appearance. */
export function detectorsByKind(
  detectors: readonly { name: string; spec: DetectorSpec }[],
): Map<DetectorSpec['kind'], { name: string; spec: DetectorSpec }[]> {
  const out = new Map<DetectorSpec['kind'], { name: string; spec: DetectorSpec }[]>();
  for (const d of detectors) out.set(d.spec.kind, [...(out.get(d.spec.kind) ?? []), d]);
  return out;
}
