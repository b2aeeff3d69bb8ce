/** `archeo info <path>`: what archeo sees in a scene or an HDF5 file, without reading pixels. */
import { statSync } from 'node:fs';
import { indexTable } from '../compute/indices.js';
import { InputError } from '../core/errors.js';
import { openBandReader } from '../io/raster/band.open.js';
import type { BandReader } from '../io/raster/band.reader.js';
import { bandSpecs as bandTable } from '../core/bands.js';
import { discoverScene } from '../io/scene/discover.js';
import { defaultRetryPolicy } from '../io/source/retry.js';
import { isItemInput, loadItem, sceneFromItem } from '../io/stac/stac.scene.js';
import { hasHdf5Signature } from '../io/hdf5/h5.js';
import { describeH5, type H5Description } from '../io/hdf5/mintpy.reader.js';

export interface BandDescription {
  band: string;
  description: string;
  path: string;
  format: string;
  resolution_m: number;
  width: number;
  height: number;
  pixel_size: [number, number];
  origin: [number, number];
  type: string;
  epsg: number | null;
  offset: number | null;
  bytes: number;
}

export interface SceneDescription {
  id: string;
  path: string;
  layout: string;
  datetime: string | null;
  baseline: string | null;
  quantification: number;
  offset_source: string;
  metadata_file: string | null;
  epsg: number | null;
  bands: BandDescription[];
  indices: { computable: string[]; missing: { name: string; bands: string[] }[] };
  warnings: string[];
}

export async function describeScene(path: string): Promise<SceneDescription> {
  // A STAC item (URL or .json) is a scene too: its assets and the radiometry rule it gives.
  const scene = isItemInput(path)
    ? await sceneFromItem(await loadItem(path, defaultRetryPolicy))
    : await discoverScene(path);
  const described: BandDescription[] = [];
  for (const [band, files] of scene.bands) {
    for (const file of files) {
      let reader: BandReader;
      try {
        reader = await openBandReader(file.path);
      } catch (err) {
        if (err instanceof InputError) throw err;
        throw new InputError(file.path, (err as Error).message);
      }
      const { grid } = reader;
      described.push({
        band,
        description: bandTable[band].description,
        path: file.path,
        format: reader.format,
        resolution_m: file.resolution,
        width: grid.width,
        height: grid.height,
        pixel_size: [grid.transform[1], grid.transform[5]],
        origin: [grid.transform[0], grid.transform[3]],
        type: reader.type,
        epsg: grid.epsg ?? null,
        offset: scene.metadata.offsets[band] ?? null,
        bytes: reader.fileBytes,
      });
      await reader.close();
    }
  }
  const order = Object.keys(bandTable);
  described.sort((a, b) => order.indexOf(a.band) - order.indexOf(b.band) || a.resolution_m - b.resolution_m);
  const computable: string[] = [];
  const missing: { name: string; bands: string[] }[] = [];
  for (const def of indexTable) {
    const lack = def.bands.filter((b) => !scene.bands.has(b));
    if (lack.length) missing.push({ name: def.name, bands: lack });
    else computable.push(def.name);
  }
  return {
    id: scene.id,
    path: scene.path,
    layout:
      scene.layout === 'safe'
        ? 'SAFE product (JPEG 2000)'
        : scene.layout === 'stac'
          ? `STAC item (radiometry rule ${scene.metadata.radiometryRule ?? 'none'})`
          : scene.layout === 'safe-zip'
            ? 'zipped SAFE product (JPEG 2000, read in place)'
            : 'COG folder',
    datetime: scene.metadata.datetime ?? null,
    baseline: scene.metadata.baseline ?? null,
    quantification: scene.metadata.quantification,
    offset_source: scene.metadata.offsetSource,
    metadata_file: scene.metadataPath ?? null,
    epsg: described.find((d) => d.epsg !== null)?.epsg ?? null,
    bands: described,
    indices: { computable, missing },
    warnings: scene.warnings,
  };
}

export function formatScene(d: SceneDescription): string {
  const lines = [
    `scene      ${d.id}`,
    `layout     ${d.layout}`,
    `path       ${d.path}`,
    `date       ${d.datetime ?? 'unknown'}`,
    `baseline   ${d.baseline ?? 'unknown'}`,
    `radiometry reflectance = (DN + offset) / ${d.quantification}; offsets from ${d.offset_source}`,
    `CRS        ${d.epsg !== null ? `EPSG:${d.epsg}` : 'unknown'}`,
    `bands`,
    ...d.bands.map(
      (b) =>
        `  ${b.band.padEnd(4)} ${String(b.resolution_m).padStart(2)} m  ${b.format.padEnd(9)} ${`${b.width}x${b.height}`.padEnd(11)} ` +
        `pixel ${Math.abs(b.pixel_size[0])} m  ${b.type.padEnd(6)} offset ${b.offset ?? '-'}  ${b.path}`,
    ),
    `indices    ${d.indices.computable.join(', ') || 'none'}`,
    ...(d.indices.missing.length
      ? [`not here   ${d.indices.missing.map((m) => `${m.name} (needs ${m.bands.join(', ')})`).join(', ')}`]
      : []),
    ...d.warnings.map((w) => `warning: ${w}`),
  ];
  return `${lines.join('\n')}\n`;
}

/** An HDF5 file by extension or, for a file with another name, by its signature. */
export function isHdf5Path(path: string): boolean {
  if (/\.(h5|he5|hdf5)$/i.test(path)) return true;
  try {
    return statSync(path).isFile() && hasHdf5Signature(path);
  } catch {
    return false;
  }
}

export async function describeHdf5(path: string): Promise<H5Description> {
  return describeH5(path);
}

export function formatHdf5(d: H5Description): string {
  const lines = [`file       ${d.path}`, `file type  ${d.file_type}`, 'datasets'];
  for (const ds of d.datasets) {
    const unit = ds.attributes['UNIT'] ? `  ${ds.attributes['UNIT']}` : '';
    const chunks = ds.chunks ? `  chunks (${ds.chunks.join(', ')})` : '  contiguous';
    const filters = ds.filters.length ? `  ${ds.filters.join(' + ')}` : '';
    lines.push(`  ${ds.name.padEnd(28)} ${ds.dtype.padEnd(7)} (${ds.shape.join(', ')})${chunks}${filters}${unit}`);
  }
  if (d.dates?.length) lines.push(`dates      ${d.dates.length}: ${d.dates[0]} .. ${d.dates[d.dates.length - 1]}`);
  const keys = Object.keys(d.attributes).sort();
  lines.push(`attributes ${keys.length}`);
  const width = Math.min(40, Math.max(...keys.map((k) => k.length)));
  for (const k of keys) lines.push(`  ${k.padEnd(width)} = ${d.attributes[k]}`);
  return `${lines.join('\n')}\n`;
}
