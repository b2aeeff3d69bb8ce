/** Ctrl-C (SIGINT) stops a batch with exit 130: finished scenes stay, the one in progress leaves nothing. */
import { expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { cpSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { rkhSample, root, tempDir, outputEntries } from '../helpers/paths.js';

test('SIGINT during a batch: exit 130, no temporary or partial output', async () => {
  const archive = tempDir();
  for (let i = 0; i < 30; i++) {
    // Without the STAC item, each scene's id is its folder name: thirty distinct scenes.
    const dir = join(archive, `scene${String(i).padStart(2, '0')}`);
    cpSync(rkhSample, dir, { recursive: true });
    rmSync(join(dir, 'S2A_29RKH_20200219_0_L2A.json'));
  }
  const out = tempDir();
  // Small blocks make each scene take a while, so the signal lands in the middle of one.
  const child = spawn(
    process.execPath,
    [join(root, 'bin', 'archeo.js'), 'scan', archive, '--out', out, '--block', '16', '--threads', '1'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // Wait until the first scene is done, then interrupt.
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      if (stderr.includes('Scene:Done')) {
        clearInterval(timer);
        resolve();
      }
    }, 20);
  });
  child.kill('SIGINT');
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  expect(code).toBe(130);
  expect(stderr).toContain('interrupted (SIGINT); temporary files removed');
  const entries = outputEntries(out);
  expect(entries.filter((e) => e.startsWith('.'))).toEqual([]); // no temporary folders
  // Some scenes finished, not all; every scene folder left is complete.
  expect(entries.length).toBeGreaterThan(0);
  expect(entries.length).toBeLessThan(30);
  for (const e of entries) {
    expect(readdirSync(join(out, e)).sort()).toEqual([
      'candidates.geojson',
      'indices',
      'masks',
      'quicklook.pgw',
      'quicklook.png',
      'quicklook.png.aux.xml',
      'report.json',
    ]);
    expect(readdirSync(join(out, e, 'indices'))).toHaveLength(7);
  }
});
