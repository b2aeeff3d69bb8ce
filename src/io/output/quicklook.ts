/**
 * quicklook.png: a true-colour image (already stretched) with candidate outlines drawn over it, encoded
 * by sharp (libvips). Outlines are an SVG layer with crisp edges, so outline pixels carry the detector's
 * colour exactly.
 */
import { writeFileAtomic } from './atomic.js';

export interface RgbImage {
  width: number;
  height: number;
  /** Interleaved 8-bit RGB. */
  rgb: Uint8Array;
}

export interface Outline {
  /** Rings in image pixel coordinates (x right, y down). */
  rings: [number, number][][];
  /** Open lines (LineString candidates), in the same coordinates. */
  lines?: [number, number][][];
  /** CSS colour. */
  color: string;
}

export async function writeQuicklook(path: string, image: RgbImage, outlines: readonly Outline[]): Promise<void> {
  const { default: sharp } = await import('sharp');
  const paths = outlines
    .map((o) => {
      const path = (r: [number, number][]): string =>
        `M${r.map(([x, y]) => `${x.toFixed(2)} ${y.toFixed(2)}`).join('L')}`;
      const d = o.rings.map((r) => `${path(r)}Z`).join('') + (o.lines ?? []).map(path).join('');
      return `<path d="${d}" stroke="${o.color}"/>`;
    })
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${image.width}" height="${image.height}"><g fill="none" stroke-width="1" shape-rendering="crispEdges">${paths}</g></svg>`;
  let pipeline = sharp(Buffer.from(image.rgb.buffer, image.rgb.byteOffset, image.rgb.byteLength), {
    raw: { width: image.width, height: image.height, channels: 3 },
  });
  if (outlines.length) pipeline = pipeline.composite([{ input: Buffer.from(svg), top: 0, left: 0 }]);
  const png = await pipeline.png({ compressionLevel: 6 }).toBuffer();
  await writeFileAtomic(path, png);
}

/**
 * Georeferences quicklook.png for GIS software: a world file (`quicklook.pgw`: pixel size, rotations
 * and the centre of the top-left pixel, as ESRI defines it) and GDAL's `.aux.xml` naming the CRS (a
 * world file carries none) and the same transform. `transform` is GDAL's geotransform of the picture's
 * grid (top-left corner of the top-left pixel). Returns the two paths.
 */
export async function writeQuicklookGeoreference(
  png: string,
  transform: readonly [number, number, number, number, number, number],
  epsg: number | undefined,
): Promise<string[]> {
  const [ox, px, rx, oy, ry, py] = transform;
  const world = [px, ry, rx, py, ox + px / 2 + rx / 2, oy + ry / 2 + py / 2].map((v) => `${v}`).join('\n');
  const pgw = png.replace(/\.png$/, '.pgw');
  await writeFileAtomic(pgw, `${world}\n`);
  const srs = epsg === undefined ? '' : `  <SRS dataAxisToSRSAxisMapping="1,2">EPSG:${epsg}</SRS>\n`;
  const aux = `${png}.aux.xml`;
  await writeFileAtomic(
    aux,
    `<PAMDataset>\n${srs}  <GeoTransform>${transform.map((v) => v.toExponential(16)).join(', ')}</GeoTransform>\n</PAMDataset>\n`,
  );
  return [pgw, aux];
}
