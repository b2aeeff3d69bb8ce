/**
 * The parameter files' checks every detector kind shares: the fault type (a JSON path and what is wrong
 * there), and the checks of numbers, keys and index names.
 */
import { indexByName } from '../indices.js';

/** A parameter file's fault: the JSON path and what is wrong there. */
export class ParamsError extends Error {
  constructor(
    readonly jsonPath: string,
    readonly fault: string,
  ) {
    super(`${jsonPath}: ${fault}`);
  }
}

export type Json = unknown;
export const isObject = (v: Json): v is Record<string, Json> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function num(v: Json, path: string, check?: (n: number) => string | undefined): number {
  if (typeof v !== 'number' || !Number.isFinite(v))
    // JSON.parse reads 1e309 as Infinity, which JSON.stringify would show as "null".
    throw new ParamsError(path, `expected a finite number, got ${typeof v === 'number' ? v : JSON.stringify(v)}`);
  const fault = check?.(v);
  if (fault) throw new ParamsError(path, fault);
  return v;
}

export function keys(o: Record<string, Json>, path: string, allowed: string[], required: string[]): void {
  for (const k of Object.keys(o))
    if (!allowed.includes(k)) throw new ParamsError(`${path}.${k}`, `unknown key (expected ${allowed.join(', ')})`);
  for (const k of required) if (!(k in o)) throw new ParamsError(`${path}.${k}`, 'missing');
}

export function indexName(v: Json, path: string): string {
  if (typeof v !== 'string' || !indexByName(v)) throw new ParamsError(path, `unknown index ${JSON.stringify(v)}`);
  return v;
}
