#!/usr/bin/python3
"""PyTorch CPU reference for test/bench/training.bench.ts (same models, batch sizes and timing).

    /usr/bin/python3 test/bench/torch-bench.py [--threads 2]

Prints one JSON line per (model, mode) with images/s, the median of >= 3 timed windows after a
warm-up. Uses Debian's python3-torch / python3-torchvision; CI never runs it.
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
import torchvision
from torch_step import make_step

WINDOWS = 3
WARMUP_STEPS = 2


def tiny_cnn(classes):
    # conv32-pool-conv64-pool-fc128-fc10 on 28x28x1, as tinyCnn in training.bench.ts.
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, classes),
    )


CASES = [
    # model, constructor, input (C, H, W), batch, steps per window {train, inference}
    ("resnet18-64px", lambda: torchvision.models.resnet18(num_classes=10), (3, 64, 64), 32, {"train": 3, "inference": 5}),
    ("tiny-cnn-28px", lambda: tiny_cnn(10), (1, 28, 28), 64, {"train": 20, "inference": 40}),
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    for name, build, shape, batch, steps in CASES:
        for mode in ("train", "inference"):
            step = make_step(build, shape, batch, mode)
            for _ in range(WARMUP_STEPS):
                step()
            rates = []
            for _ in range(WINDOWS):
                start = time.perf_counter()
                for _ in range(steps[mode]):
                    step()
                rates.append(steps[mode] * batch / (time.perf_counter() - start))
            print(json.dumps({
                "bench": "training", "framework": "pytorch", "version": torch.__version__, "backend": "cpu",
                "threads": torch.get_num_threads(), "model": name, "mode": mode, "batch": batch,
                "imagesPerSecond": round(statistics.median(rates), 2), "windows": [round(r, 2) for r in rates],
            }), flush=True)


if __name__ == "__main__":
    main()
