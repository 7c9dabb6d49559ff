#!/usr/bin/python3
"""PyTorch CPU reference for test/bench/families.bench.ts: the paper's families at 224 px, batch 16
(EfficientNet-B0 and DeiT-tiny train at 8).

    /usr/bin/python3 test/bench/torch-families.py [--threads 2] [--only efficientnet_b0/train]

torchvision's mobilenet_v3_small and efficientnet_b0, and DeiT-tiny as torchvision's
VisionTransformer with DeiT-tiny's sizes, each with a 10-class head, random init; SGD momentum 0.9
(no Nesterov), cross-entropy; the same steps per window as families.bench.ts. Prints one JSON line
per (model, mode) with images/s, the median of 3 timed windows after a warm-up step, images per
second of the process's CPU time (on a shared machine, the steadier figure at one thread) and the
load average. Uses
Debian's python3-torch / python3-torchvision; CI never runs it.
"""
import argparse
import json
import os
import statistics
import time

import torch
import torch.nn as nn
import torchvision
from torch_step import make_step

WINDOWS = 3
WARMUP_STEPS = 1
BATCH = 16
SIZE = 224
CLASSES = 10


def deit_tiny():
    return torchvision.models.VisionTransformer(
        image_size=224, patch_size=16, num_layers=12, num_heads=3, hidden_dim=192, mlp_dim=768, num_classes=CLASSES)


CASES = [
    # model, constructor, steps per window {train, inference}, batch per mode (as families.bench.ts:
    # EfficientNet-B0 and DeiT-tiny train at 8 there, their batch 16 outgrowing the wasm heap)
    ("mobilenet_v3_small", lambda: torchvision.models.mobilenet_v3_small(num_classes=CLASSES), {"train": 2, "inference": 4}, {}),
    ("efficientnet_b0", lambda: torchvision.models.efficientnet_b0(num_classes=CLASSES), {"train": 1, "inference": 2}, {"train": 8}),
    ("deit_tiny_patch16_224", deit_tiny, {"train": 1, "inference": 2}, {"train": 8}),
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--only", help="one model/mode case, e.g. efficientnet_b0/train")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    for name, build, steps, batches in CASES:
        for mode in ("train", "inference"):
            if args.only is not None and args.only != f"{name}/{mode}":
                continue
            batch = batches.get(mode, BATCH)
            step = make_step(build, (3, SIZE, SIZE), batch, mode)
            for _ in range(WARMUP_STEPS):
                step()
            rates = []
            cpu_rates = []
            for _ in range(WINDOWS):
                start = time.perf_counter()
                cpu_start = time.process_time()
                for _ in range(steps[mode]):
                    step()
                rates.append(steps[mode] * batch / (time.perf_counter() - start))
                cpu_rates.append(steps[mode] * batch / (time.process_time() - cpu_start))
            print(json.dumps({
                "bench": "families", "framework": "pytorch", "version": torch.__version__, "backend": "cpu",
                "threads": torch.get_num_threads(), "model": name, "mode": mode, "batch": batch, "imageSize": SIZE,
                "imagesPerSecond": round(statistics.median(rates), 2), "windows": [round(r, 2) for r in rates],
                "imagesPerCpuSecond": round(statistics.median(cpu_rates), 2), "loadavg": [round(l, 2) for l in os.getloadavg()],
            }), flush=True)


if __name__ == "__main__":
    main()
