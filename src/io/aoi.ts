/**
 * `--aoi`: either `minLon,minLat,maxLon,maxLat` or a GeoJSON file (RFC 7946, lon/lat) whose geometries'
 * bounding box is the area of interest.
 */
import { readJsonFile } from './json.file.js';
import { InputError, UsageError } from '../core/errors.js';
import type { LonLatBox } from '../core/types.js';

export function parseAoi(spec: string): LonLatBox {
  const parts = spec.split(',').map((s) => s.trim());
  if (parts.length === 4 && parts.every((p) => p !== '' && Number.isFinite(Number(p)))) {
    const [west, south, east, north] = parts.map(Number) as [number, number, number, number];
    if (west >= east || south >= north)
      throw new UsageError(`--aoi ${spec}: expected minLon,minLat,maxLon,maxLat with min < max`);
    if (west < -180 || east > 180 || south < -90 || north > 90)
      throw new UsageError(`--aoi ${spec}: longitudes must be within ±180 and latitudes within ±90`);
    return { west, south, east, north };
  }
  if (!/\.(geo)?json$/i.test(spec))
    throw new UsageError(`--aoi ${spec}: expected minLon,minLat,maxLon,maxLat or a .geojson file`);
  const doc = readJsonFile(spec);
  const box = { west: Infinity, south: Infinity, east: -Infinity, north: -Infinity };
  const visit = (c: unknown): void => {
    if (Array.isArray(c) && typeof c[0] === 'number' && typeof c[1] === 'number') {
      box.west = Math.min(box.west, c[0]);
      box.east = Math.max(box.east, c[0]);
      box.south = Math.min(box.south, c[1]);
      box.north = Math.max(box.north, c[1]);
    } else if (Array.isArray(c)) {
      c.forEach(visit);
    }
  };
  const walk = (g: unknown): void => {
    if (!g || typeof g !== 'object') return;
    const o = g as {
      type?: string;
      coordinates?: unknown;
      geometry?: unknown;
      features?: unknown[];
      geometries?: unknown[];
    };
    if (o.type === 'FeatureCollection') o.features?.forEach(walk);
    else if (o.type === 'Feature') walk(o.geometry);
    else if (o.type === 'GeometryCollection') o.geometries?.forEach(walk);
    else if (o.coordinates) visit(o.coordinates);
  };
  walk(doc);
  if (!Number.isFinite(box.west) || box.west >= box.east || box.south >= box.north) {
    throw new InputError(spec, 'holds no polygon or bounding box with an area (expected GeoJSON in lon/lat)');
  }
  // The same limits as a box given as text: a box's bounds are its geometry's extremes, so a polygon
  // drawn across ±180 (or split there, RFC 7946 section 3.1.9) would become a box around the globe.
  if (box.west < -180 || box.east > 180 || box.south < -90 || box.north > 90)
    throw new UsageError(`--aoi ${spec}: longitudes must be within ±180 and latitudes within ±90`);
  if (box.east - box.west > 180) {
    throw new UsageError(
      `--aoi ${spec}: the area crosses the antimeridian (longitudes ${box.west} to ${box.east}); give an area on one side of ±180`,
    );
  }
  return box;
}
