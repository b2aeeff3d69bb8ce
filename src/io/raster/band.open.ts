/**
 * The one place that decides how a band file is read: JPEG 2000 by its `.jp2` name (SAFE products),
 * GeoTIFF/COG otherwise. Every caller that opens a band comes through here, so a new source (a byte
 * range over HTTP, say) changes one function.
 */
import { InputError } from '../../core/errors.js';
import { isRemoteHref } from '../source/byte.source.js';
import type { SourceContext } from '../source/source.context.js';
import type { BandReader } from './band.reader.js';
import { openGeoTiff, type Limiter } from './geotiff.reader.js';
import { openJp2 } from './jp2.reader.js';
import { splitZipMemberPath } from '../zip/member.path.js';

export interface OpenBandOptions {
  /** Whole-band JPEG 2000 decodes in flight (each holds a decoded band). */
  jp2Limit?: Limiter;
  /** GeoTIFF tile reads in flight. */
  tileLimit?: Limiter;
  /** Open the coarsest overview or resolution level at least this many pixels wide (quicklooks). */
  level?: { minWidth: number };
  /** Remote reads (http, https, s3): retry policy, request sizes, per-host limits, S3 access. */
  sources?: SourceContext;
}

/** Whether a band file is JPEG 2000 (read whole) rather than a tiled GeoTIFF. */
export function isJp2Path(path: string): boolean {
  return /\.jp2$/i.test(path);
}

export async function openBandReader(path: string, opts: OpenBandOptions = {}): Promise<BandReader> {
  // Zipped products hold JPEG 2000 bands, read whole from the member; a GeoTIFF would need random access
  // into a compressed member, which the tile reader does not have.
  if (!isJp2Path(path) && splitZipMemberPath(path))
    throw new InputError(path, 'a GeoTIFF inside a zip archive is not read in place (unzip the archive)');
  if (isJp2Path(path)) {
    // A JPEG 2000 band is decoded whole: over the network that is a download, which is not a range read.
    if (isRemoteHref(path))
      throw new InputError(path, 'JPEG 2000 bands are read from local files only (use the COG assets)');
    return openJp2(path, opts.jp2Limit, opts.level);
  }
  return openGeoTiff(path, opts.tileLimit, opts.level, opts.sources);
}
