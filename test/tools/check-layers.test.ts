/** scripts/check-layers.mjs on small throw-away trees: cycles and upward imports are reported, a clean tree passes. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { root, tempDir } from '../helpers/paths.js';

const script = join(root, 'scripts', 'check-layers.mjs');
const made: string[] = [];

/** A project folder holding the given files (paths relative to it). */
function tree(files: Record<string, string>): string {
  const dir = tempDir('archeo-layers-');
  made.push(dir);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

function check(dir: string): { status: number | null; stdout: string; stderr: string; lines: string[] } {
  const r = spawnSync(process.execPath, [script, dir], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, lines: r.stderr.split('\n').filter((l) => l) };
}

afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

describe('check-layers', () => {
  test('reports a cycle (type-only back-import) and an upward import, naming both files of each', () => {
    const dir = tree({
      'src/core/a.ts': "import { b } from './b.js';\nexport const a = b + 1;\n",
      'src/core/b.ts': "import type { A } from './a.js';\nexport const b = 1;\nexport type B = A;\n",
      // io (floor 2) reaching up to pipeline (floor 5)
      'src/io/reader.ts': "import { run } from '../pipeline/run.js';\nexport const read = run;\n",
      'src/pipeline/run.ts': "import { a } from '../core/a.js';\nexport const run = () => a;\n",
    });
    const r = check(dir);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    const cycles = r.lines.filter((l) => l.includes('cycle:'));
    expect(cycles).toHaveLength(1);
    expect(cycles[0]).toContain('src/core/a.ts');
    expect(cycles[0]).toContain('src/core/b.ts');
    const upward = r.lines.filter((l) => l.includes('upward import:'));
    expect(upward).toEqual([
      'check-layers: upward import: src/io/reader.ts:1 (io, floor 2) imports src/pipeline/run.ts (pipeline, floor 5)',
    ]);
    expect(r.lines[r.lines.length - 1]).toMatch(/FAILED: 1 cycle\(s\), 1 upward or forbidden import\(s\)/);
  });

  test('finds a three-file cycle across floors, export-from and dynamic import() edges included', () => {
    const dir = tree({
      'src/cli/main.ts': "export * from '../cli/util.js';\n",
      'src/cli/util.ts': "export async function go() { return (await import('./more.js')).more; }\n",
      'src/cli/more.ts': "export { go } from './main.js';\nexport const more = 1;\n",
    });
    const r = check(dir);
    expect(r.status).toBe(1);
    const cycles = r.lines.filter((l) => l.includes('cycle:'));
    expect(cycles).toHaveLength(1);
    for (const f of ['src/cli/main.ts', 'src/cli/util.ts', 'src/cli/more.ts']) expect(cycles[0]).toContain(f);
  });

  test('a clean tree passes with one summary line; comments, strings, src/types, downward imports do not count', () => {
    const dir = tree({
      'src/core/errors.ts': 'export class E extends Error {}\n',
      'src/io/file.ts': [
        "import { E } from '../core/errors.js';",
        "// import { x } from '../cli/main.js';",
        "/* export * from '../pipeline/p.js'; */",
        'const s = "import(\'../cli/main.js\')";',
        'export const f = (): E => new E(s);',
        '',
      ].join('\n'),
      'src/compute/k.ts': [
        "import type { E } from '../core/errors.js';",
        "import { f } from '../core/f.js';",
        'export const k = (): E => f();',
        '',
      ].join('\n'),
      'src/core/f.ts': "import { E } from './errors.js';\nexport const f = (): E => new E();\n",
      'src/engine/e.ts': "import { k } from '../compute/k.js';\nexport const e = k;\n",
      'src/pipeline/p.ts':
        "import { e } from '../engine/e.js';\nimport { f } from '../io/file.js';\nexport const p = [e, f];\n",
      'src/cli/main.ts':
        "import { p } from '../pipeline/p.js';\nimport { k } from '../compute/k.js';\nexport { p, k };\n",
      'src/types/ambient.d.ts': "import type { p } from '../cli/main.js';\ndeclare const x: typeof p;\n",
    });
    const r = check(dir);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toContain('7 files, 9 imports');
    expect(r.stdout).toContain('core 1 < io 2 < compute 3 < engine 4 < pipeline 5 < cli 6');
  });

  test('compute and engine never import io, though io is a lower floor', () => {
    const dir = tree({
      'src/io/file.ts': 'export const bytes = 1;\n',
      'src/compute/sum.ts': "import { bytes } from '../io/file.js';\nexport const sum = bytes;\n",
      'src/engine/cpu/k.ts': "import type { bytes } from '../../io/file.js';\nexport type K = typeof bytes;\n",
      'src/pipeline/run.ts': "import { bytes } from '../io/file.js';\nexport const run = bytes;\n",
    });
    const r = check(dir);
    expect(r.status).toBe(1);
    expect(r.lines.filter((l) => l.includes('forbidden import:'))).toEqual([
      'check-layers: forbidden import: src/compute/sum.ts:1 (compute) imports src/io/file.ts (io)',
      'check-layers: forbidden import: src/engine/cpu/k.ts:1 (engine) imports src/io/file.ts (io)',
    ]);
  });

  test('a file outside every floor is reported', () => {
    const dir = tree({ 'src/core/a.ts': 'export const a = 1;\n', 'src/util/x.ts': 'export const x = 1;\n' });
    const r = check(dir);
    expect(r.status).toBe(1);
    expect(r.lines[0]).toContain('no floor: src/util/x.ts');
  });
});
