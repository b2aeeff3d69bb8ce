/**
 * Outputs as a set (io/output/staging.ts) and file-system faults on writing them: a run killed with
 * SIGKILL leaves the previous set untouched and a staging folder that the next run removes; a full disk
 * or a read-only folder is one line "cannot write <path>: …", exit 1, and nothing partial under a final name.
 */
import { describe, expect, test } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostTag } from '../../src/core/cleanup.js';
import { outputErrorOf } from '../../src/core/errors.js';
import { OutputSet, removeStaleTemporaries } from '../../src/io/output/staging.js';
import { archeo, errorLines } from '../helpers/cli.js';
import { root, tempDir } from '../helpers/paths.js';
import { testIf } from '../helpers/skip.js';

const timeseries = join(root, 'samples', 'mintpy_synthetic', 'timeseries.h5');
const stack = join(root, 'samples', 'mintpy_synthetic', 'ifgramStack.h5');

/** The folder's entries, and whether report.json names exactly its files with their sizes. */
function completeSet(out: string): string[] {
  const names = readdirSync(out).sort();
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as {
    outputs: { files: { path: string; bytes: number }[] };
  };
  for (const f of report.outputs.files) expect(statSync(f.path).size).toBe(f.bytes);
  expect(names).toEqual([...report.outputs.files.map((f) => f.path.split('/').pop()!), 'report.json'].sort());
  return names;
}

/** Starts the CLI and SIGKILLs it once `event` shows on stderr. */
async function killAfter(args: string[], event: string): Promise<void> {
  const child = spawn(process.execPath, [join(root, 'bin', 'archeo.js'), ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise((resolve) => child.on('exit', resolve));
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      if (stderr.includes(event) || child.exitCode !== null) {
        clearInterval(timer);
        resolve();
      }
    }, 5);
  });
  child.kill('SIGKILL');
  await exited;
}

describe('outputs as a set', () => {
  test.each([
    ['velocity', timeseries, ['--save-res'], 'Velocity:Block'],
    ['invert', stack, ['-w', 'no'], 'Invert:Block'],
  ])(
    '%s killed mid-way: the old set untouched, the rerun removes the stale staging folder',
    async (command, input, extra, event) => {
      const out = tempDir('archeo-set-');
      const args = [command, input, ...extra, '--out', out, '--ram', '0.00002', '-v'];
      expect(archeo(args).code).toBe(0);
      const before = completeSet(out);
      const bytes = before.map((n) => readFileSync(join(out, n)));
      await killAfter(args, event);
      // Nothing under a final name changed; the killed run's staging folder is all that is new.
      const left = readdirSync(out).filter((n) => !before.includes(n));
      expect(left).toEqual([expect.stringMatching(new RegExp(`^\\.archeo-stage\\.tmp-${hostTag}-\\d+-`))]);
      before.forEach((n, i) => expect(readFileSync(join(out, n)).equals(bytes[i]!)).toBe(true));
      expect(archeo(args).code).toBe(0);
      expect(completeSet(out)).toEqual(before);
    },
    120000,
  );

  test('OutputSet: files appear only at commit, report.json last; abort leaves the old set', async () => {
    const out = tempDir('archeo-set-');
    writeFileSync(join(out, 'a.txt'), 'old a\n');
    writeFileSync(join(out, 'gone.txt'), 'old\n');
    const set = await OutputSet.open(out);
    await set.writeFile(join(out, 'a.txt'), 'new a\n');
    await set.writeJson(join(out, 'report.json'), { files: ['a.txt'] });
    set.removeWithSwap(join(out, 'gone.txt'));
    expect(readFileSync(join(out, 'a.txt'), 'utf8')).toBe('old a\n');
    expect(existsSync(join(out, 'report.json'))).toBe(false);
    await set.commit();
    expect(readdirSync(out).sort()).toEqual(['a.txt', 'report.json']);
    expect(readFileSync(join(out, 'a.txt'), 'utf8')).toBe('new a\n');
    const again = await OutputSet.open(out);
    await again.writeFile(join(out, 'a.txt'), 'newer\n');
    await again.abort();
    expect(readdirSync(out).sort()).toEqual(['a.txt', 'report.json']);
    expect(readFileSync(join(out, 'a.txt'), 'utf8')).toBe('new a\n');
  });

  test('stale temporaries: a dead pid on this host is removed; a live one, another host, other names stay', async () => {
    const out = tempDir('archeo-set-');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const names = [
      `.archeo-stage.tmp-${hostTag}-${dead.stdout}-abc1`,
      `.velocity.h5.tmp-${hostTag}-${dead.stdout}-abc2`,
      `.archeo-stage.tmp-${hostTag}-${process.pid}-abc3`,
      `.archeo-stage.tmp-00000000-${dead.stdout}-abc4`,
      'velocity.h5',
    ];
    mkdirSync(join(out, names[0]!));
    for (const n of names.slice(1)) writeFileSync(join(out, n), '');
    expect((await removeStaleTemporaries(out)).sort()).toEqual(names.slice(0, 2).sort());
    expect(readdirSync(out).sort()).toEqual(names.slice(2).sort());
  });
});

describe('file-system faults on writing outputs', () => {
  test('the mapping: ENOSPC, EROFS, EACCES, EDQUOT name the path; other errors are not mapped', () => {
    const err = (code: string): NodeJS.ErrnoException => Object.assign(new Error(code), { code });
    expect(outputErrorOf('/o/v.h5', err('ENOSPC'))?.message).toBe('cannot write /o/v.h5: no space left on device');
    expect(outputErrorOf('/o', err('EROFS'))?.message).toBe('cannot write /o: read-only file system');
    expect(outputErrorOf('/o', err('EACCES'))?.message).toBe('cannot write /o: permission denied');
    expect(outputErrorOf('/o', err('EDQUOT'))?.message).toBe('cannot write /o: disk quota exceeded');
    expect(outputErrorOf('/o', new Error('other'))).toBeUndefined();
  });

  test('--out under a regular file: one line naming the folder, exit 1', () => {
    const file = join(tempDir('archeo-set-'), 'plain');
    writeFileSync(file, '');
    for (const command of ['velocity', 'rms']) {
      const r = archeo([command, timeseries, '--out', join(file, 'out'), '-q']);
      expect(errorLines(r.stderr)).toEqual([
        `archeo: cannot write ${join(file, 'out')}: a part of the path is a file, not a folder`,
      ]);
      expect(r.code).toBe(1);
    }
  });

  // A small tmpfs and a read-only bind mount need mount (root in a privileged container); skipped elsewhere.
  const tmpfs = (size: string): string | undefined => {
    const dir = tempDir('archeo-mnt-');
    return spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]).status === 0 ? dir : undefined;
  };
  const probe = tmpfs('16k');
  if (probe) spawnSync('umount', [probe]);
  const onMount = testIf(
    probe !== undefined,
    'mount -t tmpfs is not permitted here (needs root in a privileged container)',
  );

  onMount('a full disk (16k tmpfs): one line naming the output, nothing left, an older rms set untouched', () => {
    let mnt = tmpfs('16k')!;
    try {
      for (const [command, input, name] of [
        ['velocity', timeseries, 'velocity.h5'],
        ['invert', stack, 'timeseries.h5'],
      ] as const) {
        const out = join(mnt, command);
        const r = archeo([command, input, '--out', out, '-q']);
        expect(errorLines(r.stderr)).toEqual([`archeo: cannot write ${join(out, name)}: no space left on device`]);
        expect(r.code).toBe(75); // a transient fault (EX_TEMPFAIL): space may be freed; docs/batch.md
        expect(readdirSync(out)).toEqual([]);
      }
      // rms: a complete set from a run that fitted, then the disk fills: the old set stays whole.
      spawnSync('umount', [mnt]);
      mnt = tmpfs('64k')!;
      const out = join(mnt, 'rms');
      mkdirSync(out);
      const small = archeo(['rms', timeseries, '--out', out, '-q', '--ramp', 'no']);
      expect(small.code).toBe(0);
      const before = completeSet(out);
      const texts = before.map((n) => readFileSync(join(out, n)));
      const r = archeo(['rms', timeseries, '--out', out, '-q']);
      expect(errorLines(r.stderr)).toEqual([
        expect.stringMatching(/^archeo: cannot write .*: no space left on device$/),
      ]);
      expect(r.code).toBe(75);
      expect(readdirSync(out).sort()).toEqual(before);
      before.forEach((n, i) => expect(readFileSync(join(out, n)).equals(texts[i]!)).toBe(true));
    } finally {
      spawnSync('umount', [mnt]);
    }
  });

  onMount('a read-only folder (bind mount): one line naming it, exit 1', () => {
    const ro = tempDir('archeo-ro-');
    expect(spawnSync('mount', ['--bind', '-o', 'ro', ro, ro]).status).toBe(0);
    try {
      for (const [command, input] of [
        ['velocity', timeseries],
        ['rms', timeseries],
        ['invert', stack],
      ] as const) {
        const r = archeo([command, input, '--out', ro, '-q']);
        expect(errorLines(r.stderr)).toEqual([`archeo: cannot write ${ro}: read-only file system`]);
        expect(r.code).toBe(1);
      }
    } finally {
      spawnSync('umount', [ro]);
    }
  });
});
