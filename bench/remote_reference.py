#!/usr/bin/python3
"""remote_reference.py FILE X0 Y0 W H - what a window of a COG needs, by GDAL's reading of the file.

Prints JSON: header_bytes (the COG's header: every byte before the first tile of any image, overviews
included, i.e. IFDs, tag arrays and GDAL's ghost area), tiles (the full-resolution tiles the window
touches) and tile_bytes (their sizes, from GDAL's BLOCK_OFFSET/BLOCK_SIZE TIFF metadata). The remote
benchmark holds archeo's and GDAL's fetched bytes against header_bytes + tile_bytes.
"""
import json
import sys

from osgeo import gdal

path, x0, y0, w, h = sys.argv[1], *map(int, sys.argv[2:6])
ds = gdal.Open(path)
band = ds.GetRasterBand(1)
bw, bh = band.GetBlockSize()


def first_offset(b):
    xs, ys = b.GetBlockSize()
    nx, ny = (b.XSize + xs - 1) // xs, (b.YSize + ys - 1) // ys
    best = None
    for j in range(ny):
        for i in range(nx):
            o = b.GetMetadataItem(f"BLOCK_OFFSET_{i}_{j}", "TIFF")
            if o and int(o) > 0:
                best = int(o) if best is None else min(best, int(o))
    return best


starts = [first_offset(band)] + [first_offset(band.GetOverview(k)) for k in range(band.GetOverviewCount())]
# GDAL's COG writes a 4-byte leader (the tile size) before each tile: the header ends before it.
header = min(s for s in starts if s is not None) - 4
tiles = []
size = 0
for j in range(y0 // bh, (y0 + h - 1) // bh + 1):
    for i in range(x0 // bw, (x0 + w - 1) // bw + 1):
        n = int(band.GetMetadataItem(f"BLOCK_SIZE_{i}_{j}", "TIFF") or 0)
        tiles.append([i, j, n])
        size += n
gt = ds.GetGeoTransform()
print(json.dumps({
    "header_bytes": header,
    "tiles": tiles,
    "tile_bytes": size,
    "file_bytes": ds.GetRasterBand(1).XSize and __import__("os").path.getsize(path),
    "projwin": [gt[0] + x0 * gt[1], gt[3] + y0 * gt[5], gt[0] + (x0 + w) * gt[1], gt[3] + (y0 + h) * gt[5]],
}))
