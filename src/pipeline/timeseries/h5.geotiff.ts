/**
 * `--geotiff`: each 2D dataset of a geocoded MintPy file as a tiled, DEFLATE-compressed float32 GeoTIFF,
 * read back from the finished HDF5 file strip by strip (so nothing whole-image is held). Geocoding comes
 * from MintPy's X_FIRST/Y_FIRST (upper-left corner of the first pixel), X_STEP/Y_STEP and EPSG
 * (or 4326 when the axes are in degrees).
 */
import { join } from 'node:path';
import type { RasterGrid } from '../../core/types.js';
import { openH5, type H5Dataset } from '../../io/hdf5/h5.js';
import { GeoTiffWriter } from '../../io/raster/geotiff.writer.js';
import { encodeStripTile } from '../../io/raster/tile.encode.js';

/** The grid of a geocoded MintPy file, or null when it is in radar coordinates. */
export function mintpyGrid(attrs: Record<string, string>, length: number, width: number): RasterGrid | null {
  const [x0, y0, dx, dy] = ['X_FIRST', 'Y_FIRST', 'X_STEP', 'Y_STEP'].map((k) =>
    attrs[k] === undefined ? NaN : Number(attrs[k]),
  );
  if (![x0, y0, dx, dy].every((v) => Number.isFinite(v))) return null;
  let epsg = attrs['EPSG'] !== undefined ? Number(attrs['EPSG']) : NaN;
  if (!Number.isInteger(epsg)) epsg = /^deg/i.test(attrs['X_UNIT'] ?? 'degrees') ? 4326 : NaN;
  return {
    width,
    height: length,
    transform: [x0!, dx!, 0, y0!, 0, dy!],
    epsg: Number.isInteger(epsg) ? epsg : undefined,
  };
}

const TILE = 256;

/** Writes `<dir>/<stem>_<dataset>.tif` for each named 2D dataset of `h5Path`; returns the paths. */
export async function exportGeoTiffs(
  h5Path: string,
  names: string[],
  grid: RasterGrid,
  dir: string,
  stem: string,
  metadata: Record<string, string>,
): Promise<string[]> {
  const file = await openH5(h5Path);
  const written: string[] = [];
  try {
    for (const name of names) {
      const ds = file.get(name) as H5Dataset;
      const unit = ds.attrs['UNIT'] ? String(ds.attrs['UNIT'].value) : '';
      const path = join(dir, `${stem}_${name}.tif`);
      const writer = await GeoTiffWriter.create(path, {
        grid,
        type: 'float32',
        tileSize: TILE,
        codec: 'deflate',
        nodata: NaN,
        description: unit ? `${name} (${unit})` : name,
        metadata: { ...metadata, DATASET: name, ...(unit ? { UNIT: unit } : {}) },
      });
      try {
        for (let y0 = 0, ty = 0; y0 < grid.height; y0 += TILE, ty++) {
          const rows = Math.min(TILE, grid.height - y0);
          const strip = Float32Array.from(ds.slice([[y0, y0 + rows], []]) as Float32Array);
          for (let tx = 0; tx < writer.tilesAcross; tx++) {
            await writer.writeTile(tx, ty, await encodeStripTile(strip, grid.width, rows, tx, TILE, 'deflate', 6));
          }
        }
        await writer.finish();
      } catch (err) {
        await writer.abort();
        throw err;
      }
      written.push(path);
    }
  } finally {
    file.close();
  }
  return written;
}
