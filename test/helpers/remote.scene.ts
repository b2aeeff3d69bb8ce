/**
 * What the remote scan tests share (test/scan/scan.remote.test.ts over HTTP, scan.s3.test.ts over
 * s3rver): the sample scene as a folder holding only its STAC item with the band assets pointed
 * elsewhere, and a folder's files (the CLI run beside the server: cli.ts's archeoAsync).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { rkhSample, tempDir } from './paths.js';

/** The sample scene's id (its STAC item is `<id>.json` in rkhSample). */
export const sceneId = 'S2A_29RKH_20200219_0_L2A';

/** A scene folder holding only the sample's STAC item, its band assets pointed at `base` (`<base>/B04.tif`…). */
export function remoteScene(base: string): string {
  const item = JSON.parse(readFileSync(join(rkhSample, `${sceneId}.json`), 'utf8')) as {
    assets: Record<string, { href: string }>;
  };
  for (const asset of Object.values(item.assets)) {
    const name = asset.href.split('/').pop()!;
    if (asset.href.startsWith('https://') && /\.tif$/.test(name)) asset.href = `${base}/${name}`;
  }
  const dir = join(tempDir(), sceneId);
  mkdirSync(dir);
  writeFileSync(join(dir, `${sceneId}.json`), JSON.stringify(item));
  return dir;
}

/** Every file under `dir`, as sorted paths relative to it. */
export function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else out.push(relative(dir, join(d, e.name)));
    }
  };
  walk(dir);
  return out.sort();
}

/**
 * The files (relative paths kept by `keep`) that differ between the outputs `a` and `b`: missing on one
 * side, or not the same bytes. A remote scan must leave this empty against the local scan.
 */
export function filesDiffering(a: string, b: string, keep: (file: string) => boolean): string[] {
  const inA = files(a).filter(keep);
  const onlyInB = files(b)
    .filter(keep)
    .filter((f) => !inA.includes(f));
  const differ = inA.filter(
    (f) => !existsSync(join(b, f)) || !readFileSync(join(b, f)).equals(readFileSync(join(a, f))),
  );
  return [...differ, ...onlyInB];
}
