/**
 * Coordinate transforms between lon/lat (WGS 84) and a scene's CRS, with proj4. Sentinel-2 tiles are in
 * UTM zones (EPSG 32601-32660 north, 32701-32760 south); EPSG 4326 and 3857 are accepted too.
 */
import proj4 from 'proj4';
import { UsageError } from '../core/errors.js';
import type { LonLatBox } from '../core/types.js';

export type Project = (x: number, y: number) => [number, number];

/** proj4 definition for an EPSG code archeo supports, or undefined. */
export function projDefinition(epsg: number): string | undefined {
  if (epsg >= 32601 && epsg <= 32660) return `+proj=utm +zone=${epsg - 32600} +datum=WGS84 +units=m +no_defs`;
  if (epsg >= 32701 && epsg <= 32760) return `+proj=utm +zone=${epsg - 32700} +south +datum=WGS84 +units=m +no_defs`;
  if (epsg === 4326) return '+proj=longlat +datum=WGS84 +no_defs';
  if (epsg === 3857)
    return '+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m +nadgrids=@null +no_defs';
  return undefined;
}

/** Transforms lon/lat → scene CRS (`forward`) and back (`inverse`). */
export function crsTransforms(epsg: number | undefined): { forward: Project; inverse: Project } {
  const def = epsg === undefined ? undefined : projDefinition(epsg);
  if (!def)
    throw new UsageError(
      `CRS ${epsg === undefined ? 'unknown' : `EPSG:${epsg}`} is not supported for lon/lat transforms (UTM zones, 4326 and 3857 are)`,
    );
  const conv = proj4('+proj=longlat +datum=WGS84 +no_defs', def);
  return {
    forward: (lon, lat) => conv.forward([lon, lat]) as [number, number],
    inverse: (x, y) => conv.inverse([x, y]) as [number, number],
  };
}

/**
 * The box in the scene CRS: its edges are densified (a straight lon/lat edge is curved in UTM), and the
 * projected extent is the min/max over those points.
 */
export function projectBox(
  box: LonLatBox,
  forward: Project,
): { minX: number; minY: number; maxX: number; maxY: number } {
  const steps = 32;
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (let i = 0; i <= steps; i++) {
    const t = i / steps;
    const lon = box.west + (box.east - box.west) * t;
    const lat = box.south + (box.north - box.south) * t;
    for (const [x, y] of [
      forward(lon, box.south),
      forward(lon, box.north),
      forward(box.west, lat),
      forward(box.east, lat),
    ]) {
      minX = Math.min(minX, x);
      minY = Math.min(minY, y);
      maxX = Math.max(maxX, x);
      maxY = Math.max(maxY, y);
    }
  }
  return { minX, minY, maxX, maxY };
}
