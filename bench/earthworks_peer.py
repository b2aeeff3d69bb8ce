#!/usr/bin/python3
"""Bench helper of bench/earthworks.bench.ts: the scene's NDVI as raw float32 (for the detector), and the
original pipeline's geometric step with OpenCV (the peer figure): 8-bit normalisation, blur + Canny +
HoughCircles, Canny + HoughLinesP, Canny + contours + polygon approximation (§3.6 of original-pipeline.md).

  earthworks_peer.py ndvi SCENE OUT.f32     writes the NDVI (nodata NaN)
  earthworks_peer.py peer OUT.f32 SIZE      prints {"wall_s": ..., "circles": n, "lines": n, "quads": n}
"""
import json
import sys
import time

import cv2
import numpy as np


def ndvi(scene, out):
    from osgeo import gdal
    gdal.UseExceptions()
    b4 = gdal.Open(f"{scene}/B04.tif").ReadAsArray().astype(np.float32)
    b8 = gdal.Open(f"{scene}/B08.tif").ReadAsArray().astype(np.float32)
    with np.errstate(invalid="ignore", divide="ignore"):
        v = (b8 - b4) / (b8 + b4)
    v[(b4 == 0) | (b8 == 0)] = np.nan
    v.astype("<f4").tofile(out)


def peer(path, size):
    v = np.fromfile(path, "<f4").reshape(size, size)
    t0 = time.perf_counter()
    lo, hi = np.nanmin(v), np.nanmax(v)
    img = np.nan_to_num((v - lo) / (hi - lo) * 255).astype(np.uint8)
    blur = cv2.GaussianBlur(img, (3, 3), 0.8)
    e1 = cv2.Canny(blur, 30, 100)
    circles = cv2.HoughCircles(e1, cv2.HOUGH_GRADIENT, dp=1.2, minDist=8, param1=60, param2=45,
                               minRadius=4, maxRadius=30)
    e2 = cv2.Canny(img, 50, 150)
    lines = cv2.HoughLinesP(e2, 1, np.pi / 180, 140, minLineLength=20, maxLineGap=2)
    contours, _ = cv2.findContours(e2, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    quads = [c for c in contours if len(cv2.approxPolyDP(c, 0.02 * cv2.arcLength(c, True), True)) == 4]
    wall = time.perf_counter() - t0
    print(json.dumps({"wall_s": wall, "circles": 0 if circles is None else len(circles[0]),
                      "lines": 0 if lines is None else len(lines), "quads": len(quads)}))


if __name__ == "__main__":
    if sys.argv[1] == "ndvi":
        ndvi(sys.argv[2], sys.argv[3])
    else:
        peer(sys.argv[2], int(sys.argv[3]))
