#!/usr/bin/env bash
# Makes samples/synthetic_T21LYG_seed7/: the quick start's scene, where the default detectors find
# candidates. A synthetic Sentinel-2 L2A COG folder from the peers' make_scene.py (deterministic for a
# seed), with the truth it planted, and a STAC item saying what the DN mean (no offset) so that the first
# run needs no --boa-offset and shows no warning.
#   usage: [PYTHON=python3] samples/make_synthetic_sample.sh [path/to/make_scene.py]
#   (PYTHON: a Python with numpy, GDAL (osgeo) and cv2; /usr/bin/python3 by default)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
make_scene="${1:-$here/../test/fixtures/peers/make_scene.py}"
py="${PYTHON:-/usr/bin/python3}"
out="$here/synthetic_T21LYG_seed7"
rm -rf "$out"
# 512 px (5.12 km at 10 m), 6 planted soil anomalies and 2 earthworks: small enough to ship (< 2 MB),
# dense enough that terra_preta and crop_mark both fire on planted features.
"$py" "$make_scene" --size 512 --out "$out" --seed 7 --anomalies 6 --earthworks 2
"$py" - "$out" <<'PY'
import json, sys
out = sys.argv[1]
truth = json.load(open(f"{out}/truth.json"))
gt = truth["geotransform_10m"]
n = truth["size_10m"]
item = {
    "type": "Feature",
    "stac_version": "1.0.0",
    "id": "synthetic_T21LYG_seed7",
    "properties": {
        "datetime": None,
        # make_scene.py writes DN = round(reflectance * 10000) with no additive offset: offset 0.
        "earthsearch:boa_offset_applied": True,
        "proj:epsg": truth["epsg"],
        "description": "synthetic scene from make_scene.py --size 512 --seed 7 --anomalies 6 --earthworks 2; truth.json lists what was planted",
    },
    "geometry": None,
    "bbox": [gt[0], gt[3] + n * gt[5], gt[0] + n * gt[1], gt[3]],
    "links": [],
    "assets": {k: {"href": v} for k, v in truth["files"].items()},
}
json.dump(item, open(f"{out}/synthetic_T21LYG_seed7.json", "w"), indent=1)
PY
