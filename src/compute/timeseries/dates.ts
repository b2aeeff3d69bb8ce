/**
 * MintPy's time axis (reference/mintpy.md §2.2-2.3, ptime.yyyymmdd2years): a date becomes
 * year + (day_of_year − 1)/365.25 + hour/(365.25·24) + minute/(365.25·24·60), plus CENTER_LINE_UTC
 * seconds/(365.25·86400) when the date has no time of day. The year boundary is therefore not 1/365.25
 * apart; the formula is reproduced term by term, in the same order, so the doubles are MintPy's.
 */

export class DateError extends Error {
  override readonly name = 'DateError';
}

export interface ParsedDate {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  /** True when the string carried a time of day (YYYYMMDDTHHMM). */
  hasTime: boolean;
}

/** YYYYMMDD, YYYYMMDDTHHMM, or YYMMDD (1990s when it starts with 9, else 20xx), as MintPy accepts them. */
export function normalizeDate(text: string): string {
  const s = text.trim();
  const [day] = s.split('T');
  if (day!.length === 6) return (s[0] === '9' ? '19' : '20') + s;
  return s;
}

export function parseDate(text: string): ParsedDate {
  const s = normalizeDate(text);
  const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2}))?$/.exec(s);
  if (!m) throw new DateError(`'${text}' is not a date (YYYYMMDD or YYYYMMDDTHHMM)`);
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const hour = m[4] === undefined ? 0 : Number(m[4]);
  const minute = m[5] === undefined ? 0 : Number(m[5]);
  const check = new Date(Date.UTC(year, month - 1, day));
  if (
    check.getUTCFullYear() !== year ||
    check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59
  ) {
    throw new DateError(`'${text}' is not a valid calendar date`);
  }
  return { year, month, day, hour, minute, hasTime: m[4] !== undefined };
}

/** Decimal year of a date; `seconds` (CENTER_LINE_UTC) is added only when the date has no time part. */
export function decimalYear(text: string, seconds = 0): number {
  const d = parseDate(text);
  const yday = (Date.UTC(d.year, d.month - 1, d.day) - Date.UTC(d.year, 0, 1)) / 86400000 + 1;
  // (MintPy adds a seconds-of-minute term too; these formats carry none, and adding 0 changes nothing.)
  let y = d.year + (yday - 1) / 365.25 + d.hour / (365.25 * 24) + d.minute / (365.25 * 24 * 60);
  if (seconds && !d.hasTime) y += seconds / (365.25 * 24 * 60 * 60);
  return y;
}

export interface DateSelection {
  /** Dates the fit uses, in file order. */
  kept: string[];
  /** Index in the file of each kept date. */
  keptIndex: number[];
  /** Dates left out (sorted), by --exclude-date, --start-date or --end-date. */
  excluded: string[];
}

/**
 * Dates kept for the fit (ptime.get_exclude_date_list): excluded dates that are in the file, plus dates
 * before `start` or after `end` (compared as decimal years, so the boundary dates stay).
 */
export function selectDates(
  all: readonly string[],
  opts: { start?: string; end?: string; exclude?: readonly string[] },
): DateSelection {
  const excluded = new Set<string>();
  for (const d of opts.exclude ?? []) {
    const n = normalizeDate(d);
    if (all.includes(n)) excluded.add(n);
  }
  const years = all.map((d) => decimalYear(d));
  if (opts.start) {
    const y0 = decimalYear(opts.start);
    all.forEach((d, i) => years[i]! < y0 && excluded.add(d));
  }
  if (opts.end) {
    const y1 = decimalYear(opts.end);
    all.forEach((d, i) => years[i]! > y1 && excluded.add(d));
  }
  const kept: string[] = [];
  const keptIndex: number[] = [];
  all.forEach((d, i) => {
    if (!excluded.has(d)) {
      kept.push(d);
      keptIndex.push(i);
    }
  });
  return { kept, keptIndex, excluded: [...excluded].sort() };
}
