/**
 * Out-of-range reflectance, counted where the DN are read (docs/scan.md, "Out-of-range reflectance"):
 * with BOA_ADD_OFFSET −1000 (baseline 04.00+), DN 1 to 999 give negative reflectance, and normalised
 * differences of such pixels leave [−1, 1] (ndre1 from −14.6 to 135 on a real product). Each band's
 * source rows are counted once although strip windows overlap by the resampling halo (windows come in
 * row order). Bands with offset 0 cost nothing: no DN is negative there.
 */
import { negativeBelowDn } from '../../compute/radiometry.js';
import type { SampleWindow } from '../../core/types.js';
import type { PlannedBand } from './scan.plan.js';

export interface BandReflectanceRange {
  band: string;
  offset: number;
  /** DN 1 up to this (exclusive) give negative reflectance; 0 when none can. */
  negative_below_dn: number;
  /** Source pixels (DN ≠ 0, no data excluded) whose reflectance is negative before any clipping. */
  negative_pixels: number;
  /** Source pixels read (the AOI's columns, every row once), no data included. */
  pixels: number;
}

export interface ReflectanceReport {
  /** --clip-reflectance: negative reflectance was set to 0. */
  clipped: boolean;
  bands: BandReflectanceRange[];
}

export class NegativeReflectanceCounter {
  private readonly limits: number[];
  /** Next source row not yet counted, per band. */
  private readonly nextRow: number[];
  private readonly counts: BandReflectanceRange[];

  constructor(
    bands: readonly PlannedBand[],
    private readonly clipped: boolean,
  ) {
    this.limits = bands.map((b) => negativeBelowDn(b.radiometry));
    this.nextRow = bands.map(() => 0);
    this.counts = bands.map((b, i) => ({
      band: b.band,
      offset: b.radiometry.offset,
      negative_below_dn: this.limits[i]!,
      negative_pixels: 0,
      pixels: 0,
    }));
  }

  /** Counts the rows of a strip's band windows (in the plan's band order) not counted before. */
  add(windows: readonly SampleWindow[]): void {
    windows.forEach((w, i) => {
      const from = Math.max(w.y0, this.nextRow[i]!);
      const to = w.y0 + w.height;
      if (to <= from) return;
      this.nextRow[i] = to;
      const c = this.counts[i]!;
      c.pixels += (to - from) * w.width;
      const limit = this.limits[i]!;
      if (limit === 0) return;
      // DN in [1, limit): one unsigned comparison (DN 0, no data, wraps to the top).
      const top = limit - 1;
      const data = w.data;
      let n = 0;
      for (let k = (from - w.y0) * w.width, end = (to - w.y0) * w.width; k < end; k++)
        if ((data[k]! - 1) >>> 0 < top) n++;
      c.negative_pixels += n;
    });
  }

  report(): ReflectanceReport {
    return { clipped: this.clipped, bands: this.counts.map((c) => ({ ...c })) };
  }

  /** A warning when reflectance went negative and was kept (not clipped); undefined otherwise. */
  warning(): string | undefined {
    if (this.clipped) return undefined;
    const hit = this.counts.filter((c) => c.negative_pixels > 0);
    if (hit.length === 0) return undefined;
    const worst = hit.reduce((a, b) => (b.negative_pixels / b.pixels > a.negative_pixels / a.pixels ? b : a));
    const share = ((100 * worst.negative_pixels) / worst.pixels).toPrecision(2);
    return (
      `negative reflectance (DN below ${worst.negative_below_dn} with BOA_ADD_OFFSET ${worst.offset}) in ${hit.map((c) => c.band).join(', ')} ` +
      `(up to ${share} % of ${worst.band}'s pixels): normalised differences there can fall outside [-1, 1]; ` +
      '--clip-reflectance sets negative reflectance to 0 (report.json: reflectance)'
    );
  }
}
