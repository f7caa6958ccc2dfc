#!/usr/bin/env python3
"""The PIL peer of `bin/dw bench data`: the same training pipeline in Python, on the same files.

Reads the JPEGs and instances.json that `bin/dw bench data --dir DIR` wrote (96 photo-like 640x480 JPEGs) and runs
what a PyTorch detection loader with the PIL backend does: PIL decode to RGB, resize to 1067x800 (PIL's bilinear), a
horizontal flip with probability 0.5, to a float (3, H, W) tensor, normalise with the ImageNet mean and std, boxes
scaled and flipped, then a collate that zero-pads the batch (of 2) to multiples of 32. torch.utils.data.DataLoader
with persistent worker processes, one intra-op thread everywhere; 3 epochs, the best one reported, as the Java bench.

Prints one JSON object: images_per_s (wall clock, best epoch) and images_per_cpu_s (images per CPU-second of the main
process and its workers, read from /proc, best epoch). Optional, never part of the tests; needs Debian's python3-pil,
python3-numpy and python3-torch. Usage: pil_data_peer.py --dir DIR [--workers W]
"""
import argparse
import json
import os
import time
import warnings

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset

MEAN = torch.tensor([123.675, 116.28, 103.53]).view(3, 1, 1)
STD = torch.tensor([58.395, 57.12, 57.375]).view(3, 1, 1)
SIZE = (1067, 800)  # (width, height): 640x480 under the (1333, 800) keep-ratio rule


class Jpegs(Dataset):
    def __init__(self, root):
        with open(os.path.join(root, "instances.json")) as f:
            coco = json.load(f)
        boxes = {}
        for a in coco["annotations"]:
            x, y, w, h = a["bbox"]
            boxes.setdefault(a["image_id"], []).append([x, y, x + w, y + h])
        self.items = [(os.path.join(root, im["file_name"]), np.array(boxes.get(im["id"], []), np.float32).reshape(-1, 4))
                      for im in coco["images"]]

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        path, boxes = self.items[i]
        img = Image.open(path).convert("RGB")
        w, h = img.size
        img = img.resize(SIZE, Image.BILINEAR)
        sx, sy = SIZE[0] / w, SIZE[1] / h
        b = boxes * np.array([sx, sy, sx, sy], np.float32)
        if torch.rand(1).item() < 0.5:
            img = img.transpose(Image.FLIP_LEFT_RIGHT)
            b = np.stack([SIZE[0] - b[:, 2], b[:, 1], SIZE[0] - b[:, 0], b[:, 3]], axis=1)
        t = torch.from_numpy(np.asarray(img)).permute(2, 0, 1).float()  # read-only view: no copy
        t.sub_(MEAN).div_(STD)  # in place, as torchvision's normalize
        return t, torch.from_numpy(b)


def collate(samples):
    h = max(t.shape[1] for t, _ in samples)
    w = max(t.shape[2] for t, _ in samples)
    h, w = (h + 31) // 32 * 32, (w + 31) // 32 * 32
    batch = torch.zeros(len(samples), 3, h, w)
    for k, (t, _) in enumerate(samples):
        batch[k, :, :t.shape[1], :t.shape[2]].copy_(t)
    return batch, [b for _, b in samples]


def one_thread(_):
    torch.set_num_threads(1)


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
        except FileNotFoundError:
            pass
    return total / os.sysconf("SC_CLK_TCK")


def main():
    warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dir", required=True, help="the folder `bin/dw bench data --dir` wrote")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--epochs", type=int, default=3)
    a = p.parse_args()
    torch.set_num_threads(1)
    ds = Jpegs(a.dir)
    g = torch.Generator()
    g.manual_seed(0)
    loader = DataLoader(ds, batch_size=2, shuffle=True, num_workers=a.workers, collate_fn=collate, generator=g,
                        worker_init_fn=one_thread, persistent_workers=a.workers > 0)
    best = best_cpu = 0.0
    for _ in range(a.epochs):
        it = iter(loader)  # persistent workers: spawned by the first epoch only
        pids = [os.getpid()] + ([w.pid for w in loader._iterator._workers] if a.workers > 0 else [])
        t0, c0 = time.perf_counter(), cpu_seconds(pids)
        n = 0
        for images, _ in it:
            n += images.shape[0]
        wall, cpu = time.perf_counter() - t0, cpu_seconds(pids) - c0
        best = max(best, n / wall)
        best_cpu = max(best_cpu, n / cpu)
    print(json.dumps({"peer": "PIL " + Image.__version__ + ", torch " + torch.__version__, "images": len(ds),
                      "workers": a.workers, "images_per_s": best, "images_per_cpu_s": best_cpu}, indent=2))


if __name__ == "__main__":
    main()
