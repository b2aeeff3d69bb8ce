/**
 * Candidate polygons are valid by OGC rules: checked by GDAL's ogr IsValid (GEOS, shapely's is_valid) on
 * crafted masks — pixels touching at a corner, a hole, a ring closed by a corner — and on seeded random
 * masks, with GDAL's area equal to the pixel count (the polygons cover the pixels, holes left out).
 */
import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { outlinePolygons, type Ring } from '../../src/compute/detect/polygons.js';
import { ringArea } from '../../src/compute/detect/shape.js';
import { gdalTest } from '../helpers/gdal.js';
import { root, tempDir } from '../helpers/paths.js';

const bitmap = (rows: string[]) => ({
  x0: 3,
  y0: 5,
  width: rows[0]!.length,
  height: rows.length,
  data: Uint8Array.from(rows.join('').split('').map(Number)),
});

/** Even-odd over every ring of every polygon: whether a point is covered. */
function covered(polygons: Ring[][], x: number, y: number): boolean {
  let inside = false;
  for (const ring of polygons.flat()) {
    for (let i = 0; i + 1 < ring.length; i++) {
      const [ax, ay] = ring[i]!;
      const [bx, by] = ring[i + 1]!;
      if (ay > y !== by > y && x < ax + ((y - ay) * (bx - ax)) / (by - ay)) inside = !inside;
    }
  }
  return inside;
}

const geometry = (polygons: Ring[][]) =>
  polygons.length === 1
    ? { type: 'Polygon', coordinates: polygons[0] }
    : { type: 'MultiPolygon', coordinates: polygons };

/** ogr's verdict on each geometry: validity with GEOS's reason, and area. */
function ogrCheck(geoms: object[]): { invalid: { id: number; reason: string }[]; areas: number[] } {
  const path = join(tempDir(), 'polygons.geojson');
  const features = geoms.map((g, i) => ({ type: 'Feature', id: i, geometry: g, properties: {} }));
  writeFileSync(path, JSON.stringify({ type: 'FeatureCollection', features }));
  const r = spawnSync('/usr/bin/python3', [join(root, 'test', 'fixtures', 'check_valid.py'), path], {
    encoding: 'utf8',
  });
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout);
}

// Seeded (mulberry32), so a failure can be replayed.
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const crafted: Record<string, string[]> = {
  'two pixels touching at a corner': ['10', '01'],
  'a block with a hole': ['1111', '1001', '1111'],
  'a ring closed by a corner, around a hole': ['0111', '1001', '1001', '1111'],
  'a diamond of corner-touching pixels': ['0110', '1001', '1001', '0110'],
  'a hole touching the exterior at a corner, and a corner-joined pixel': ['11110', '10010', '11101', '00001'],
  'two holes meeting at a corner': ['11111', '10111', '11011', '11111'],
};

describe('outline polygons (pixel-corner coordinates)', () => {
  test('two corner-touching pixels are two polygons; a hole stays a hole', () => {
    expect(outlinePolygons(bitmap(['10', '01']))).toHaveLength(2);
    const block = outlinePolygons(bitmap(['1111', '1001', '1111']));
    expect(block).toHaveLength(1);
    expect(block[0]!.map((r) => -ringArea(r))).toEqual([12, -2]); // counter-clockwise exterior, clockwise hole (map)
  });
  test('a ring closed by a corner: one polygon, its hole meeting the exterior at that corner', () => {
    const [polygon, ...rest] = outlinePolygons(bitmap(['0111', '1001', '1001', '1111']));
    expect(rest).toHaveLength(0);
    expect(polygon).toHaveLength(2);
    const [exterior, hole] = polygon!;
    expect(-ringArea(exterior!)).toBe(15);
    expect(-ringArea(hole!)).toBe(-4);
    // no ring visits a vertex twice
    for (const r of polygon!) expect(new Set(r.slice(0, -1).map(String)).size).toBe(r.length - 1);
    expect(hole!.some(([x, y]) => x === 4 && y === 6)).toBe(true); // the shared corner (1, 1) + (x0, y0)
  });
  test('every pixel centre is covered exactly where the mask is set (random masks)', () => {
    const next = random(7);
    for (let k = 0; k < 200; k++) {
      const w = 3 + Math.floor(next() * 6);
      const h = 3 + Math.floor(next() * 6);
      const rows = Array.from({ length: h }, () =>
        Array.from({ length: w }, () => (next() < 0.55 ? '1' : '0')).join(''),
      );
      if (!rows.join('').includes('1')) continue;
      const b = bitmap(rows);
      const polygons = outlinePolygons(b);
      const wrong: string[] = [];
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++)
          if (covered(polygons, b.x0 + x + 0.5, b.y0 + y + 0.5) !== (rows[y]![x] === '1'))
            wrong.push(`${rows.join(',')} at ${x},${y}`);
      expect(wrong).toEqual([]);
    }
  });
  gdalTest('ogr IsValid: crafted masks and 300 random ones, with GDAL area = pixel count', () => {
    const masks = Object.values(crafted);
    const next = random(42);
    for (let k = 0; k < 300; k++) {
      const w = 2 + Math.floor(next() * 9);
      const h = 2 + Math.floor(next() * 9);
      const density = 0.35 + next() * 0.4;
      const rows = Array.from({ length: h }, () =>
        Array.from({ length: w }, () => (next() < density ? '1' : '0')).join(''),
      );
      if (rows.join('').includes('1')) masks.push(rows);
    }
    const { invalid, areas } = ogrCheck(masks.map((m) => geometry(outlinePolygons(bitmap(m)))));
    expect(invalid.map((i) => ({ mask: masks[i.id], reason: i.reason }))).toEqual([]);
    expect(areas).toEqual(masks.map((m) => m.join('').split('1').length - 1));
  });
  gdalTest('the check can fail: the former pinched ring is refused by ogr', () => {
    // traceOutline's 8-connected ring of two corner-touching pixels: one ring through (1, 1) twice.
    const pinched = {
      type: 'Polygon',
      coordinates: [
        [
          [0, 0],
          [0, 1],
          [1, 1],
          [1, 2],
          [2, 2],
          [2, 1],
          [1, 1],
          [1, 0],
          [0, 0],
        ],
      ],
    };
    const { invalid } = ogrCheck([pinched]);
    expect(invalid).toHaveLength(1);
    expect(invalid[0]!.reason).toMatch(/Self-intersection/);
  });
});
