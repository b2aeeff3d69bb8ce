/** GeoJSON (RFC 7946) types archeo writes, and the atomic write. */
import { writeJsonAtomic } from './atomic.js';

export type Position = [number, number];

export interface Feature {
  type: 'Feature';
  id: number;
  bbox: [number, number, number, number];
  geometry:
    | { type: 'Polygon'; coordinates: Position[][] }
    | { type: 'MultiPolygon'; coordinates: Position[][][] }
    | { type: 'LineString'; coordinates: Position[] };
  properties: Record<string, string | number | null | number[]>;
}

export interface FeatureCollection {
  type: 'FeatureCollection';
  /** Foreign member (allowed by RFC 7946 §6.1): how the candidates were made. */
  archeo: Record<string, unknown>;
  features: Feature[];
}

export async function writeGeoJson(path: string, fc: FeatureCollection): Promise<void> {
  await writeJsonAtomic(path, fc, false);
}
