/**
 * Planning one scene's scan before any pixel is read: which indices (skipped or refused when bands are
 * missing), which band files, the output grid (resolution, AOI window), how each band maps onto it,
 * and checks that every band agrees with the grid (size, alignment, CRS).
 */
import { crsTransforms, projDefinition, projectBox } from '../../compute/crs.js';
import { bandsOfIndices, indexByName, indexTable, defaultIndexNames, type IndexDef } from '../../compute/indices.js';
import type { Radiometry } from '../../compute/radiometry.js';
import type { ResampleMethod } from '../../compute/resample.js';
import { InputError, UsageError } from '../../core/errors.js';
import type { LonLatBox, PixelWindow, RasterGrid } from '../../core/types.js';
import type { BandReader } from '../../io/raster/band.reader.js';
import { openBandReader } from '../../io/raster/band.open.js';
import type { Limiter } from '../../io/raster/geotiff.reader.js';
import type { SourceContext } from '../../io/source/source.context.js';
import type { BandId } from '../../core/bands.js';
import type { BandFile, Scene } from '../../io/scene/discover.js';
import type { PlanSpec } from '../../compute/resample.js';
import { detectorIndices, type DetectorSpec } from '../../compute/detect/params.js';

export interface PlanOptions {
  /**
   * Index names the user asked for (a missing band is then an error); 'all' = every index the scene's
   * bands allow; undefined = the default seven. In the last two cases, indices missing a band are skipped.
   */
  indices: string[] | 'all' | undefined;
  /** Requested grid resolution class in metres (10, 20, 60). */
  resolution: number;
  resample: ResampleMethod;
  /** SCL classes to mask; empty = no cloud mask. */
  maskClasses: number[];
  aoi: LonLatBox | undefined;
  /** Overrides BOA_ADD_OFFSET for every band. */
  boaOffset: number | undefined;
  /** How DN become reflectance (see Radiometry.mode). */
  reflectance: 'divide' | 'multiply';
  /** Negative reflectance becomes 0 (--clip-reflectance; Radiometry.clip). */
  clipReflectance?: boolean;
  /** Limits concurrent JPEG 2000 decodes (each holds a decoded band). */
  jp2Limit: Limiter;
  /** Limits concurrent GeoTIFF tile reads and decodes, across all bands. */
  tileLimit: Limiter;
  /** Detectors to run (already selected with --detect). */
  detectors: Record<string, DetectorSpec>;
  /** The detectors were named by the user: a missing band is then an error, not a skip. */
  detectExplicit: boolean;
  /**
   * Bands read outside the strips (the quicklook's): their finest files, when the scene has them, are
   * opened and checked against the grid like the others, then closed, so that a bad one fails the plan.
   */
  alsoCheck?: readonly BandId[];
  /** Remote band reads (per-host limits, retries); local-only defaults when absent. */
  sources?: SourceContext;
}

export interface PlannedBand {
  band: BandId;
  file: BandFile;
  reader: BandReader;
  plan: PlanSpec;
  radiometry: Radiometry;
}

export interface ScanPlan {
  /** Indices written to files. */
  indices: IndexDef[];
  /** Indices computed: the written ones first, then those only detectors read. */
  computed: IndexDef[];
  /** Detectors that run, and those skipped for lack of bands. */
  detectors: { name: string; spec: DetectorSpec }[];
  skippedDetectors: { name: string; missing: BandId[] }[];
  /** Indices left out for lack of bands, with the bands they miss. */
  skipped: { name: string; missing: BandId[] }[];
  /** Grid resolution class in metres. */
  gridResolution: number;
  /** The whole scene on the output grid. */
  fullGrid: RasterGrid;
  /** The part of fullGrid processed (the AOI, or all of it). */
  window: PixelWindow;
  /** The output rasters' grid: the window with its own origin. */
  outGrid: RasterGrid;
  /** Bands in the order the compiled kernel reads them. */
  bands: PlannedBand[];
  scl: PlannedBand | undefined;
  warnings: string[];
  /** Every reader opened (to close). */
  readers: BandReader[];
  /** What remote reads share (the quicklook's readers use it too). */
  sources: SourceContext | undefined;
}

function openReader(file: BandFile, opts: PlanOptions): Promise<BandReader> {
  return openBandReader(file.path, { jp2Limit: opts.jp2Limit, tileLimit: opts.tileLimit, sources: opts.sources });
}

function selectIndices(scene: Scene, selection: PlanOptions['indices']): Pick<ScanPlan, 'indices' | 'skipped'> {
  const requested = Array.isArray(selection) ? selection : undefined;
  const names = requested ?? (selection === 'all' ? indexTable.map((d) => d.name) : [...defaultIndexNames]);
  const indices: IndexDef[] = [];
  const skipped: ScanPlan['skipped'] = [];
  for (const name of names) {
    const def = indexByName(name);
    if (!def) throw new UsageError(`--indices: unknown index '${name}'`);
    const missing = def.bands.filter((b) => !scene.bands.has(b));
    if (missing.length === 0) indices.push(def);
    else if (requested) {
      throw new InputError(scene.path, `index ${name} needs band ${missing.join(', ')}, which this scene lacks`);
    } else skipped.push({ name, missing });
  }
  if (indices.length === 0) {
    throw new InputError(
      scene.path,
      `no index can be computed: ${skipped.map((s) => `${s.name} needs ${s.missing.join(', ')}`).join('; ')}`,
    );
  }
  return { indices, skipped };
}

export async function planScan(scene: Scene, opts: PlanOptions): Promise<ScanPlan> {
  const warnings: string[] = [];
  const { indices, skipped } = selectIndices(scene, opts.indices);
  for (const s of skipped)
    warnings.push(`index ${s.name} skipped: band ${s.missing.join(', ')} missing in ${scene.id}`);
  const detectors: ScanPlan['detectors'] = [];
  const skippedDetectors: ScanPlan['skippedDetectors'] = [];
  for (const [name, spec] of Object.entries(opts.detectors)) {
    const missing = [
      ...new Set(detectorIndices([spec]).flatMap((n) => indexByName(n)!.bands.filter((b) => !scene.bands.has(b)))),
    ];
    if (missing.length === 0) detectors.push({ name, spec });
    else if (opts.detectExplicit)
      throw new InputError(scene.path, `detector ${name} needs band ${missing.join(', ')}, which this scene lacks`);
    else {
      skippedDetectors.push({ name, missing });
      warnings.push(`detector ${name} skipped: band ${missing.join(', ')} missing in ${scene.id}`);
    }
  }
  const computed = [...indices];
  for (const name of detectorIndices(detectors.map((d) => d.spec))) {
    if (!computed.some((d) => d.name === name)) computed.push(indexByName(name)!);
  }
  const bandOrder = bandsOfIndices(computed);

  // Each band's finest file; the grid resolution is the requested one unless every band is coarser.
  const files = bandOrder.map((b) => scene.bands.get(b)![0]!);
  const finest = Math.min(...files.map((f) => f.resolution));
  let gridResolution = opts.resolution;
  if (gridResolution < finest) {
    warnings.push(`no band at ${opts.resolution} m in ${scene.id}: grid is ${finest} m, the finest resolution present`);
    gridResolution = finest;
  }
  const sclFiles = opts.maskClasses.length ? scene.bands.get('SCL') : undefined;
  const sclFile = sclFiles?.find((f) => f.resolution === gridResolution) ?? sclFiles?.[0];
  if (opts.maskClasses.length && !sclFile) warnings.push(`no SCL band in ${scene.id}: no cloud mask applied`);

  const readers: BandReader[] = [];
  try {
    const opened = await Promise.all(files.map((f) => openReader(f, opts)));
    readers.push(...opened);
    const sclReader = sclFile ? await openReader(sclFile, opts) : undefined;
    if (sclReader) readers.push(sclReader);

    // The reference: a band file at the finest resolution; the grid scales its geometry.
    const refIndex = files.findIndex((f) => f.resolution === finest);
    const ref = opened[refIndex]!;
    const refFile = files[refIndex]!;
    const factor = gridResolution / refFile.resolution;
    const width = ref.grid.width / factor;
    const height = ref.grid.height / factor;
    if (!Number.isInteger(width) || !Number.isInteger(height)) {
      throw new UsageError(
        `--resolution ${gridResolution}: ${ref.grid.width}x${ref.grid.height} ${refFile.resolution} m pixels do not divide into ${gridResolution} m pixels`,
      );
    }
    const [ox, px, , oy, , py] = ref.grid.transform;
    const fullGrid: RasterGrid = {
      width,
      height,
      transform: [ox, px * factor, 0, oy, 0, py * factor],
      epsg: ref.grid.epsg,
    };

    const planBand = (file: BandFile, reader: BandReader, method: ResampleMethod): PlannedBand => {
      checkBand(file, reader, fullGrid, gridResolution, ref);
      const offset = opts.boaOffset ?? scene.metadata.offsets[file.band] ?? 0;
      return {
        band: file.band,
        file,
        reader,
        plan: {
          gridWidth: width,
          gridHeight: height,
          srcWidth: reader.grid.width,
          srcHeight: reader.grid.height,
          method,
        },
        radiometry: {
          offset,
          quantification: scene.metadata.quantification,
          mode: opts.reflectance,
          ...(opts.clipReflectance ? { clip: true } : {}),
        },
      };
    };
    const bands = files.map((f, i) => planBand(f, opened[i]!, opts.resample));
    const scl = sclFile && sclReader ? planBand(sclFile, sclReader, 'nearest') : undefined;
    for (const band of opts.alsoCheck ?? []) {
      const file = scene.bands.get(band)?.[0];
      if (!file || files.includes(file)) continue;
      const reader = await openReader(file, opts);
      try {
        checkBand(file, reader, fullGrid, gridResolution, ref);
      } finally {
        await reader.close();
      }
    }
    // The AOI and the detections' GeoJSON need lon/lat transforms: a CRS without them fails here, not
    // after every index has been computed.
    if ((opts.aoi || detectors.length > 0) && !projDefinition(fullGrid.epsg!)) {
      throw new InputError(
        refFile.path,
        `CRS EPSG:${fullGrid.epsg} is not supported for lon/lat transforms (UTM zones, 4326 and 3857 are)`,
      );
    }

    const window = opts.aoi ? aoiWindow(opts.aoi, fullGrid, scene) : { x0: 0, y0: 0, width, height };
    const outGrid: RasterGrid = {
      width: window.width,
      height: window.height,
      transform: [ox + window.x0 * px * factor, px * factor, 0, oy + window.y0 * py * factor, 0, py * factor],
      epsg: fullGrid.epsg,
    };
    return {
      indices,
      computed,
      detectors,
      skippedDetectors,
      skipped,
      gridResolution,
      fullGrid,
      window,
      outGrid,
      bands,
      scl,
      warnings: [...scene.warnings, ...warnings],
      readers,
      sources: opts.sources,
    };
  } catch (err) {
    await Promise.all(readers.map((r) => r.close()));
    throw err;
  }
}

/** A band must cover the grid exactly: the expected size for its resolution, the same origin and CRS. */
function checkBand(
  file: BandFile,
  reader: BandReader,
  grid: RasterGrid,
  gridResolution: number,
  ref: BandReader,
): void {
  const ratio = gridResolution / file.resolution;
  const ew = grid.width * ratio;
  const eh = grid.height * ratio;
  const { width, height, transform, epsg } = reader.grid;
  if (Math.abs(width - ew) >= 1 || Math.abs(height - eh) >= 1) {
    throw new InputError(
      file.path,
      `size ${width}x${height} does not match the scene grid: a ${file.resolution} m band should be ${Math.round(ew)}x${Math.round(eh)} (from ${ref.path})`,
    );
  }
  // The reader refused non-finite and absurd grids; here each band's pixel must be the grid's, scaled.
  for (const [axis, size, gridSize] of [
    ['x', transform[1], grid.transform[1]],
    ['y', transform[5], grid.transform[5]],
  ] as const) {
    const expected = gridSize / ratio;
    if (!(Math.abs(size - expected) <= Math.abs(expected) * 1e-6)) {
      throw new InputError(
        file.path,
        `pixel size ${axis} ${size} does not match the scene grid: a ${file.resolution} m band should have ${expected} (from ${ref.path})`,
      );
    }
  }
  const pixel = Math.abs(transform[1]);
  if (
    Math.abs(transform[0] - grid.transform[0]) > pixel / 2 ||
    Math.abs(transform[3] - grid.transform[3]) > pixel / 2
  ) {
    throw new InputError(
      file.path,
      `origin (${transform[0]}, ${transform[3]}) is not aligned with the scene grid origin (${grid.transform[0]}, ${grid.transform[3]})`,
    );
  }
  // Without a CRS nothing can be placed on the map (AOI, detections, GeoJSON): refused before any work.
  if (epsg === undefined) {
    throw new InputError(
      file.path,
      `has no CRS (no EPSG code in its ${reader.format === 'GeoTIFF' ? 'GeoKeys' : 'GMLJP2 georeferencing'})`,
    );
  }
  if (grid.epsg !== undefined && epsg !== grid.epsg) {
    throw new InputError(file.path, `CRS EPSG:${epsg} differs from the scene's EPSG:${grid.epsg}`);
  }
}

function aoiWindow(aoi: LonLatBox, grid: RasterGrid, scene: Scene): PixelWindow {
  const { forward } = crsTransforms(grid.epsg);
  const box = projectBox(aoi, forward);
  const [ox, px, , oy, , py] = grid.transform;
  const c0 = Math.max(0, Math.floor((box.minX - ox) / px));
  const c1 = Math.min(grid.width, Math.ceil((box.maxX - ox) / px));
  const r0 = Math.max(0, Math.floor((box.maxY - oy) / py));
  const r1 = Math.min(grid.height, Math.ceil((box.minY - oy) / py));
  if (c1 <= c0 || r1 <= r0) {
    throw new UsageError(
      `--aoi ${aoi.west},${aoi.south},${aoi.east},${aoi.north} does not intersect scene ${scene.id}`,
    );
  }
  return { x0: c0, y0: r0, width: c1 - c0, height: r1 - r0 };
}
