/**
 * The spectral index table (product.md, "Scan: indices"). One row per index; engines compile the rows.
 * The first seven are the default selection.
 */
import type { BandId } from '../core/bands.js';
import { add, band, bandsOf, div, mul, nd, num, sqrt, sub, EPSILON, type Expr } from './expr.js';

export interface IndexDef {
  name: string;
  expr: Expr;
  /** Bands the formula reads. */
  bands: BandId[];
  description: string;
}

const B = band;
const def = (name: string, expr: Expr, description: string): IndexDef => ({
  name,
  expr,
  bands: bandsOf(expr),
  description,
});

export const indexTable: readonly IndexDef[] = [
  def('ndvi', nd(B('B08'), B('B04')), 'vegetation vigour, ND(B08, B04)'),
  def('ndre1', nd(B('B05'), B('B04')), 'red edge 1 vs red, ND(B05, B04)'),
  def('ndre3', nd(B('B07'), B('B04')), 'red edge 3 vs red, ND(B07, B04)'),
  def('avi', nd(B('B07'), B('B05')), 'red edge 3 vs red edge 1, ND(B07, B05)'),
  def('terra_preta', nd(B('B08'), B('B11')), 'NIR vs SWIR 1, ND(B08, B11)'),
  def('terra_preta_enhanced', nd(B('B07'), B('B11')), 'red edge 3 vs SWIR 1, ND(B07, B11)'),
  def('clay_minerals', div(B('B11'), add(B('B12'), num(EPSILON))), 'SWIR ratio, B11 / (B12 + 1e-8)'),
  def('ndwi', nd(B('B03'), B('B08')), 'water (McFeeters), ND(B03, B08)'),
  def(
    'brightness',
    sqrt(div(add(add(mul(B('B02'), B('B02')), mul(B('B03'), B('B03'))), mul(B('B04'), B('B04'))), num(3))),
    'visible brightness, sqrt((B02² + B03² + B04²) / 3)',
  ),
  def(
    'crop_mark',
    div(
      mul(sub(B('B05'), B('B04')), sub(B('B08'), B('B05'))),
      add(mul(add(B('B05'), B('B04')), add(B('B08'), B('B05'))), num(EPSILON)),
    ),
    'crop mark, ((B05 − B04)(B08 − B05)) / ((B05 + B04)(B08 + B05) + 1e-8)',
  ),
  def('s2_archaeological', nd(div(add(B('B05'), B('B07')), num(2)), B('B11')), 'ND((B05 + B07) / 2, B11)'),
];

export const defaultIndexNames: readonly string[] = indexTable.slice(0, 7).map((d) => d.name);

export function indexByName(name: string): IndexDef | undefined {
  return indexTable.find((d) => d.name === name);
}

/** The bands a set of indices reads, in first-use order: the plane order of every engine's kernel. */
export function bandsOfIndices(defs: readonly IndexDef[]): BandId[] {
  const bands: BandId[] = [];
  for (const d of defs) for (const b of d.bands) if (!bands.includes(b)) bands.push(b);
  return bands;
}
