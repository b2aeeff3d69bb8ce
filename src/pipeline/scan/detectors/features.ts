/**
 * Every kind's candidates as one RFC 7946 FeatureCollection in lon/lat (WGS 84): geometry from window
 * pixel coordinates, the fields every candidate has (id, detector, scene, date, centroid in lon/lat and in
 * the scene CRS, crs, bbox, confidence) around its kind's own (`lead`, `tail`).
 */
import { crsTransforms } from '../../../compute/crs.js';
import { roundTo } from '../../../core/numbers.js';
import type { RasterGrid } from '../../../core/types.js';
import type { Feature, FeatureCollection, Position } from '../../../io/output/geojson.js';
import type { CandidateGeometry, DetectorResult } from './detector.js';

export interface FeatureContext {
  /** The output grid (the processed window). */
  grid: RasterGrid;
  scene: string;
  date: string | null;
  parameterSet: string;
  parameterHash: string;
  detectorsHash: string;
}

export function toFeatureCollection(results: readonly DetectorResult[], ctx: FeatureContext): FeatureCollection {
  const { inverse } = crsTransforms(ctx.grid.epsg);
  const [ox, px, , oy, , py] = ctx.grid.transform;
  const crs = ctx.grid.epsg !== undefined ? `EPSG:${ctx.grid.epsg}` : null;
  const lonLat = ([x, y]: [number, number]): Position => {
    const [lon, lat] = inverse(ox + x * px, oy + y * py);
    return [roundTo(lon, 7), roundTo(lat, 7)];
  };
  const features: Feature[] = [];
  for (const r of results) {
    for (const cand of r.candidates) {
      const geometry = toLonLat(cand.geometry, lonLat);
      const all = positions(geometry);
      const bbox: [number, number, number, number] = [
        Math.min(...all.map((p) => p[0])),
        Math.min(...all.map((p) => p[1])),
        Math.max(...all.map((p) => p[0])),
        Math.max(...all.map((p) => p[1])),
      ];
      const cx = ox + cand.centroid[0] * px;
      const cy = oy + cand.centroid[1] * py;
      const [clon, clat] = inverse(cx, cy);
      const props: Feature['properties'] = {
        id: features.length + 1,
        detector: cand.detector,
        scene: ctx.scene,
        date: ctx.date,
        ...cand.lead,
        centroid_lon: roundTo(clon, 7),
        centroid_lat: roundTo(clat, 7),
        centroid_x: roundTo(cx, 3),
        centroid_y: roundTo(cy, 3),
        crs,
        bbox,
        confidence: roundTo(cand.confidence, 6),
        ...cand.tail,
      };
      features.push({ type: 'Feature', id: features.length + 1, bbox, geometry, properties: props });
    }
  }
  return {
    type: 'FeatureCollection',
    archeo: {
      scene: ctx.scene,
      date: ctx.date,
      parameter_set: ctx.parameterSet,
      // the scan's hash (the same in every output of the scene) and the detector set's own
      parameter_hash: ctx.parameterHash,
      detectors_hash: ctx.detectorsHash,
      crs,
    },
    features,
  };
}

function toLonLat(g: CandidateGeometry, f: (p: [number, number]) => Position): Feature['geometry'] {
  switch (g.type) {
    case 'Polygon':
      return { type: 'Polygon', coordinates: g.coordinates.map((r) => r.map(f)) };
    case 'MultiPolygon':
      return { type: 'MultiPolygon', coordinates: g.coordinates.map((p) => p.map((r) => r.map(f))) };
    case 'LineString':
      return { type: 'LineString', coordinates: g.coordinates.map(f) };
  }
}

function positions(g: Feature['geometry']): Position[] {
  switch (g.type) {
    case 'Polygon':
      return g.coordinates.flat();
    case 'MultiPolygon':
      return g.coordinates.flat(2);
    case 'LineString':
      return g.coordinates;
  }
}

/** What a geometry draws on the quicklook, in window pixel coordinates: closed rings and open lines. */
export function outlinePaths(g: CandidateGeometry): { rings: [number, number][][]; lines: [number, number][][] } {
  switch (g.type) {
    case 'Polygon':
      return { rings: g.coordinates, lines: [] };
    case 'MultiPolygon':
      return { rings: g.coordinates.flat(), lines: [] };
    case 'LineString':
      return { rings: [], lines: [g.coordinates] };
  }
}
