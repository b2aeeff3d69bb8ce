/**
 * Python's number formatting (core/python.format.ts) against Python itself: repr() and str() of 3451
 * doubles (named edge cases, both sides of every power of ten, random decimals and bit patterns) and
 * str() of attribute values, all written by test/fixtures/python_repr/make_python_repr.py.
 */
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pythonFloatRepr, pythonStr, type PythonValue } from '../../src/core/python.format.js';
import { root } from '../helpers/paths.js';

interface Fixture {
  python: string;
  /** IEEE 754 bits (big-endian hex) of each double, with Python's repr() and str() of it. */
  floats: { bits: string; repr: string; str: string }[];
  /** str() of values (JSON null = None); `floats`: their numbers are Python floats. */
  values: { value: unknown; floats: boolean; str: string }[];
}

const fixturePath = join(root, 'test', 'fixtures', 'python_repr', 'python_repr.json');
const fixture = JSON.parse(readFileSync(fixturePath, 'utf8')) as Fixture;

function fromBits(hex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
}

const toPython = (v: unknown): PythonValue =>
  v === null ? undefined : Array.isArray(v) ? v.map(toPython) : (v as PythonValue);

describe(`Python's repr/str of floats (fixture from Python ${fixture.python})`, () => {
  test('the fixture covers the edge cases', () => {
    const reprs = new Set(fixture.floats.map((f) => f.repr));
    const edges = ['1e-05', '1.5e-05', '0.0001', '1e-07', '1000000000000000.0', '1e+16', '1.2345e+17', '0.1'];
    edges.push('0.3333333333333333', '5e-324', '-0.0', '100.0', '60.0', 'inf', '-inf', 'nan');
    expect(edges.filter((r) => !reprs.has(r))).toEqual([]);
    expect(fixture.floats.length).toBeGreaterThan(3000);
  });

  test('pythonFloatRepr = repr() = str() for every double', () => {
    const wrong = fixture.floats
      .map((f) => ({ ...f, ours: pythonFloatRepr(fromBits(f.bits)) }))
      .filter((f) => f.ours !== f.repr || f.ours !== f.str);
    expect(wrong.slice(0, 10)).toEqual([]);
  });

  test('pythonStr = str() of None, strings and (nested) lists', () => {
    for (const v of fixture.values) expect(pythonStr(toPython(v.value), v.floats)).toBe(v.str);
  });
});
