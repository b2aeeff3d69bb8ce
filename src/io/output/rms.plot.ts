/**
 * The RMS bar plot of `archeo rms` (MintPy draws it as a PDF with matplotlib): one bar per date in mm,
 * the reference date (minimum RMS) in orange, the outlier dates in grey, the cutoff as a dashed line, a
 * time axis with a tick per year. An SVG rendered to PNG by sharp (librsvg), so no plotting stack.
 */
import { writeFileAtomic } from './atomic.js';

export interface RmsPlot {
  title: string;
  /** Decimal years of the dates (bar positions). */
  years: number[];
  dates: string[];
  /** RMS in mm. */
  values: number[];
  referenceIndex: number;
  outliers: number[];
  /** Cutoff in mm, and its label. */
  threshold: number;
  thresholdLabel: string;
}

const W = 1000;
const H = 560;
const M = { left: 80, right: 30, top: 50, bottom: 70 };

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function rmsPlotSvg(p: RmsPlot): string {
  const x0 = Math.min(...p.years);
  const x1 = Math.max(...p.years);
  const span = Math.max(x1 - x0, 1 / 12);
  const pad = span * 0.03;
  const finite = p.values.filter((v) => Number.isFinite(v));
  const ymax = Math.max(p.threshold, ...finite, 1e-9) * 1.1;
  const px = (y: number): number => M.left + ((y - (x0 - pad)) / (span + 2 * pad)) * (W - M.left - M.right);
  const py = (v: number): number => H - M.bottom - (v / ymax) * (H - M.top - M.bottom);
  // Bars as wide as 3/4 of the most common spacing between dates (MintPy's choice).
  const gaps = p.years
    .slice(1)
    .map((y, i) => y - p.years[i]!)
    .sort((a, b) => a - b);
  const gap = gaps.length ? gaps[Math.floor(gaps.length / 2)]! : span;
  const bw = Math.max(1, px(x0 + gap * 0.75) - px(x0));
  const out = new Set(p.outliers);
  const bars = p.values
    .map((v, i) => {
      if (!Number.isFinite(v)) return '';
      const color = i === p.referenceIndex ? '#ff7f0e' : out.has(i) ? '#a9a9a9' : '#1f77b4';
      return `<rect x="${(px(p.years[i]!) - bw / 2).toFixed(2)}" y="${py(v).toFixed(2)}" width="${bw.toFixed(2)}" height="${(py(0) - py(v)).toFixed(2)}" fill="${color}"><title>${p.dates[i]} ${v.toFixed(2)} mm</title></rect>`;
    })
    .join('');
  const yticks: string[] = [];
  const step = niceStep(ymax / 5);
  for (let v = 0; v <= ymax; v += step) {
    yticks.push(
      `<line x1="${M.left - 5}" x2="${M.left}" y1="${py(v)}" y2="${py(v)}" stroke="#000"/><text x="${M.left - 8}" y="${py(v) + 4}" text-anchor="end">${+v.toFixed(6)}</text>`,
    );
  }
  const xticks: string[] = [];
  for (let y = Math.ceil(x0 - pad); y <= x1 + pad; y++) {
    xticks.push(
      `<line x1="${px(y)}" x2="${px(y)}" y1="${H - M.bottom}" y2="${H - M.bottom + 5}" stroke="#000"/><text x="${px(y)}" y="${H - M.bottom + 22}" text-anchor="middle">${y}</text>`,
    );
  }
  const ty = py(p.threshold);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="DejaVu Sans, Arial, sans-serif" font-size="14">
<rect width="${W}" height="${H}" fill="#fff"/>
<text x="${W / 2}" y="28" text-anchor="middle" font-size="16">${esc(p.title)}</text>
${bars}
<line x1="${M.left}" x2="${W - M.right}" y1="${ty}" y2="${ty}" stroke="#000" stroke-dasharray="6,4"/>
<rect x="${M.left}" y="${M.top}" width="${W - M.left - M.right}" height="${H - M.top - M.bottom}" fill="none" stroke="#000"/>
${yticks.join('')}${xticks.join('')}
<text transform="translate(22 ${(H - M.bottom + M.top) / 2}) rotate(-90)" text-anchor="middle">Residual phase RMS [mm]</text>
<g transform="translate(${W - M.right - 250} ${M.top + 12})" font-size="13">
<rect x="0" y="0" width="14" height="10" fill="#ff7f0e"/><text x="20" y="10">Reference date (${esc(p.dates[p.referenceIndex] ?? '')})</text>
<rect x="0" y="18" width="14" height="10" fill="#a9a9a9"/><text x="20" y="28">Exclude date (${p.outliers.length})</text>
<line x1="0" x2="14" y1="41" y2="41" stroke="#000" stroke-dasharray="4,3"/><text x="20" y="46">${esc(p.thresholdLabel)}</text>
</g>
</svg>`;
}

function niceStep(raw: number): number {
  const mag = 10 ** Math.floor(Math.log10(raw));
  const n = raw / mag;
  return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * mag;
}

export async function writeRmsPlot(path: string, plot: RmsPlot): Promise<void> {
  const { default: sharp } = await import('sharp');
  const png = await sharp(Buffer.from(rmsPlotSvg(plot)))
    .png({ compressionLevel: 6 })
    .toBuffer();
  await writeFileAtomic(path, png);
}
