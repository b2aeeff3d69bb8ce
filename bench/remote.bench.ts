/**
 * npm run bench:remote -- [--scene DIR] [--window x0,y0,w,h] [--threads N] [--no-scan]
 *
 * Remote reads against GDAL on the same local HTTP server (test/helpers/range.server.ts, which counts
 * requests and body bytes), for a 10980² synthetic tile (make_scene.py --size 10980, cached in
 * bench/cache/ like bench:scan's):
 * 1. a ~1 km² window (100x100 px of B04, across four 512² tiles by default): archeo's reader vs
 *    `gdal_translate -projwin` on /vsicurl/ (GDAL_DISABLE_READDIR_ON_OPEN=EMPTY_DIR, what GDAL's COG
 *    documentation recommends, and GDAL's defaults), both held against the COG header plus the tiles
 *    the window needs as GDAL reports them (bench/remote_reference.py);
 * 2. the whole tile scanned from the server vs from disk (wall time; indices compared byte for byte).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { basename, join, resolve } from 'node:path';
import { openGeoTiff } from '../src/io/raster/geotiff.reader.js';
import { bands } from '../src/io/scene/bands.js';
import { SourceContext } from '../src/io/source/source.context.js';
import { RangeServer } from '../test/helpers/range.server.js';
import { flag as flagOf, hostLine, python, root } from './common.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string): string => flagOf(args, name, fallback);
const scene = resolve(flag('--scene', join(root, 'bench', 'cache', 'scene_10980_seed42')));
const [x0, y0, w, h] = flag('--window', '5100,5100,100,100').split(',').map(Number) as [number, number, number, number];
const threads = flag('--threads', String(os.availableParallelism()));
const peers = resolve(flag('--peers', join(root, '..', 'shared', 'peers')));

function ensureScene(): void {
  if (existsSync(join(scene, 'B04.tif'))) return;
  mkdirSync(join(scene, '..'), { recursive: true });
  console.log(`generating ${scene} once (make_scene.py --size 10980, a few minutes)...`);
  const r = spawnSync(python, [join(peers, 'make_scene.py'), '--size', '10980', '--out', scene, '--seed', '42'], {
    stdio: 'inherit',
  });
  if (r.status !== 0) throw new Error('make_scene.py failed');
}

/** A child process, asynchronously (the server answering it lives in this process); wall seconds. */
function run(
  cmd: string,
  argv: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; seconds: number; stderr: string }> {
  const t0 = performance.now();
  return new Promise((done) => {
    const child = spawn(cmd, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => done({ code: code ?? -1, seconds: (performance.now() - t0) / 1000, stderr }));
  });
}

/** Whether two rasters hold the same samples, bit for bit (GDAL reads both: an independent reader). */
function samePixels(a: string, b: string): boolean {
  const script =
    'import sys\nfrom osgeo import gdal\n' +
    'ds = [gdal.Open(p) for p in sys.argv[1:3]]\n' + // datasets kept alive: a band outliving its dataset crashes GDAL
    'x, y = (d.GetRasterBand(1).ReadRaster() for d in ds)\n' +
    'sys.exit(0 if len(x) > 0 and x == y else 1)';
  return spawnSync(python, ['-c', script, a, b]).status === 0;
}

async function main(): Promise<void> {
  ensureScene();
  const server = await RangeServer.start(scene);
  const url = server.url('B04.tif');
  const ref = JSON.parse(
    spawnSync(
      python,
      [join(root, 'bench', 'remote_reference.py'), join(scene, 'B04.tif'), `${x0}`, `${y0}`, `${w}`, `${h}`],
      {
        encoding: 'utf8',
      },
    ).stdout,
  ) as { header_bytes: number; tile_bytes: number; tiles: number[][]; projwin: number[] };
  const needed = ref.header_bytes + ref.tile_bytes;
  const rows: string[] = [];
  const row = (name: string, t: { bytes: number; requests: number }): void => {
    rows.push(`| ${name} | ${t.bytes} | ${t.requests} | ${(t.bytes / needed).toFixed(3)} |`);
  };

  // 1. the window, archeo's reader
  server.reset();
  const reader = await openGeoTiff(url, undefined, undefined, new SourceContext());
  await reader.readWindow({ x0, y0, width: w, height: h });
  await reader.close();
  const ours = server.totals();
  row('archeo (io/source, GeoTIFF reader)', ours);

  // ... GDAL, recommended COG settings, then its defaults
  const work = mkdtempSync(join(os.tmpdir(), 'archeo-bench-remote-'));
  const [ulx, uly, lrx, lry] = ref.projwin.map(String) as [string, string, string, string];
  const gdalRuns: [string, NodeJS.ProcessEnv][] = [
    [
      'gdal_translate -projwin on /vsicurl/ (GDAL_DISABLE_READDIR_ON_OPEN=EMPTY_DIR)',
      { GDAL_DISABLE_READDIR_ON_OPEN: 'EMPTY_DIR' },
    ],
    ['gdal_translate -projwin on /vsicurl/ (GDAL defaults)', {}],
  ];
  let gdalBest = Number.POSITIVE_INFINITY;
  for (const [name, env] of gdalRuns) {
    server.reset();
    const r = await run(
      'gdal_translate',
      ['-q', '-projwin', ulx, uly, lrx, lry, `/vsicurl/${url}`, join(work, 'gdal.tif')],
      {
        ...env,
        CPL_VSIL_CURL_NON_CACHED: '', // no cache across runs: each run starts cold
      },
    );
    if (r.code !== 0) throw new Error(`gdal_translate failed: ${r.stderr}`);
    const t = server.totals();
    gdalBest = Math.min(gdalBest, t.requests);
    row(name, t);
  }
  const gdal = spawnSync('gdalinfo', ['--version'], { encoding: 'utf8' }).stdout.trim();
  console.log(`\n${new Date().toISOString().slice(0, 10)}, ${hostLine()}, Node ${process.version}, ${gdal}`);
  console.log(
    `\nWindow ${w}x${h} px at (${x0}, ${y0}) of ${basename(scene)}/B04.tif (${ref.tiles.length} tiles of 512²); header ${ref.header_bytes} B + tiles ${ref.tile_bytes} B = ${needed} B needed (remote_reference.py)\n`,
  );
  console.log('| reader | bytes fetched | requests | bytes / needed |');
  console.log('|---|---|---|---|');
  for (const r of rows) console.log(r);
  console.log(
    `\narcheo: ${(ours.bytes / needed).toFixed(3)}x the bytes needed (goal <= 1.1), ${ours.requests} requests vs GDAL's ${gdalBest} (goal <=)`,
  );

  // 2. the whole tile, from disk and from the server
  if (!args.includes('--no-scan')) {
    const itemDir = join(work, basename(scene));
    mkdirSync(itemDir);
    const assets: Record<string, { href: string }> = {};
    for (const f of readdirSync(scene)) {
      const id = f.replace(/\.tif$/, '');
      const info = (bands as Record<string, { asset: string } | undefined>)[id];
      if (info && f.endsWith('.tif')) assets[info.asset] = { href: server.url(f) };
    }
    const item = {
      type: 'Feature',
      stac_version: '1.0.0',
      id: basename(scene),
      properties: { datetime: null },
      assets,
    };
    writeFileSync(join(itemDir, 'item.json'), JSON.stringify(item));
    const common = ['-q', '--no-quicklook', '--threads', threads];
    const localOut = join(work, 'local');
    const remoteOut = join(work, 'remote');
    const local = await run(process.execPath, [
      join(root, 'bin', 'archeo.js'),
      'scan',
      scene,
      '--out',
      localOut,
      ...common,
    ]);
    if (local.code !== 0) throw new Error(`local scan failed: ${local.stderr}`);
    server.reset();
    const remote = await run(process.execPath, [
      join(root, 'bin', 'archeo.js'),
      'scan',
      itemDir,
      '--out',
      remoteOut,
      ...common,
    ]);
    if (remote.code !== 0) throw new Error(`remote scan failed: ${remote.stderr}`);
    const served = server.totals();
    console.log(`\nWhole ${basename(scene)} tile scan (--threads ${threads} --no-quicklook), one run each\n`);
    console.log('| source | wall s | bytes fetched | requests | remote / local |');
    console.log('|---|---|---|---|---|');
    console.log(`| local files | ${local.seconds.toFixed(1)} | - | - | 1.000 |`);
    console.log(
      `| local HTTP server | ${remote.seconds.toFixed(1)} | ${served.bytes} | ${served.requests} | ${(remote.seconds / local.seconds).toFixed(3)} |`,
    );
    const idx = join(localOut, basename(scene), 'indices');
    // Pixels, not file bytes: workers append tiles in the order they finish, so two runs of the same
    // scan lay their tiles out differently.
    let same = true;
    for (const f of readdirSync(idx)) same &&= samePixels(join(idx, f), join(remoteOut, basename(scene), 'indices', f));
    console.log(`\nindices pixels identical (GDAL reads both): ${same}`);
  }
  await server.close();
  rmSync(work, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
