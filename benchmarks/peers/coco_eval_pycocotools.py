#!/usr/bin/env python3
"""The peer of `bin/dw coco-eval`: pycocotools' bbox evaluation of a results file, end to end, timed.

Usage: python3 coco_eval_pycocotools.py GT.json DT.json
Needs pycocotools (pip install pycocotools, or a local build on PYTHONPATH). Optional: never part of the tests.
Prints the 12 summary numbers and one line `pycocotools_seconds S` (load, evaluate, accumulate, summarize).
"""
import sys
import time

t0 = time.perf_counter()
try:
    import matplotlib  # noqa: F401  (the cocoapi sources import it at the top of coco.py, for drawing only)
except ImportError:
    import types
    for name in ("matplotlib", "matplotlib.pyplot", "matplotlib.collections", "matplotlib.patches"):
        sys.modules[name] = types.ModuleType(name)
    sys.modules["matplotlib.collections"].PatchCollection = None
    sys.modules["matplotlib.patches"].Polygon = None
import numpy as np  # noqa: E402
if not hasattr(np, "float"):
    np.float = float  # the cocoapi sources predate numpy 1.24 (pip's pycocotools 2.0.7 does not need this)
from pycocotools.coco import COCO  # noqa: E402  (timed like the JVM start of the other side)
from pycocotools.cocoeval import COCOeval  # noqa: E402

gt = COCO(sys.argv[1])
dt = gt.loadRes(sys.argv[2])
e = COCOeval(gt, dt, "bbox")
e.evaluate()
e.accumulate()
e.summarize()
print("stats", " ".join("%.6f" % s for s in e.stats))
print("pycocotools_seconds %.3f" % (time.perf_counter() - t0))
