/** `archeo search --stac <API root> …`: list what a scan with the same flags would scan. */
import { Command } from 'commander';
import { UsageError } from '../core/errors.js';
import { parseAoi } from '../io/aoi.js';
import { addCommonFlags, type CommonOptions } from './options.js';
import { remoteOptionsFromEnv } from './remote.options.js';
import { addStacFlags, parseRetryPolicy, parseStacSearch, type StacFlags } from './stac.options.js';

interface SearchFlags extends CommonOptions, StacFlags {
  aoi?: string;
}

export function searchCommand(): Command {
  const command = new Command('search')
    .description('List the Sentinel-2 items a STAC API search finds (id, date, cloud cover, tile, baseline)')
    .option('--aoi <bbox|file>', 'search the extent of minLon,minLat,maxLon,maxLat or of a GeoJSON file')
    .addHelpText(
      'after',
      `
The flags are those of archeo scan --stac: the same search lists here what a scan would process.
Paging follows the API's next links (GET or POST); a repeating next link is an error.

Examples:
  archeo search --stac https://earth-search.aws.element84.com/v1 --bbox 12.4,41.8,12.6,41.95 --datetime 2024-06-01/2024-06-30 --max-cloud 20
  archeo search --stac https://planetarycomputer.microsoft.com/api/stac/v1 --aoi site.geojson --max-items 10 --json`,
    )
    .action(async (flags: SearchFlags) => {
      if (flags.stac === undefined) throw new UsageError('search: --stac <API root URL> is required');
      const aoi = flags.aoi === undefined ? undefined : parseAoi(flags.aoi);
      const query = parseStacSearch(flags, aoi)!;
      const { runSearch } = await import('../pipeline/search.js');
      const listing = await runSearch(query, parseRetryPolicy(flags, remoteOptionsFromEnv(process.env).policy));
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(listing, null, 2)}\n`);
        return;
      }
      for (const r of listing.items) {
        const cloud = r.cloud_cover === null ? '     -' : `${r.cloud_cover.toFixed(1).padStart(5)}%`;
        process.stdout.write(
          `${r.id.padEnd(28)} ${(r.datetime ?? '-').slice(0, 19).padEnd(19)} ${cloud} ${(r.tile ?? '-').padEnd(6)} ${r.baseline ?? '-'}\n`,
        );
      }
      if (!flags.quiet) process.stdout.write(`${listing.items.length} item(s) in ${listing.pages} page(s)\n`);
    });
  return addCommonFlags(addStacFlags(command));
}
