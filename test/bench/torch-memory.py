"""PyTorch's side of test/bench/memory.bench.ts: peak memory of a torchvision ResNet-50 (random
init, 10-class head) training step at 224 px, SGD with momentum 0.9, on the CPU.

    /usr/bin/python3 test/bench/torch-memory.py --batch 32 [--threads 2]

Prints one JSON line. PyTorch keeps no allocator counters on the CPU (torch.cuda's peak counters
are CUDA only), so the figures are the process's resident set: `rssBeforeStepBytes` once the
model, optimizer and batch exist, `rssBytes` the peak (VmHWM) over two steps, the peak having
been reset first (/proc/self/clear_refs), and `stepDeltaBytes` their difference.
"""
import argparse
import json
import time

import torch
import torchvision


def status_bytes(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"/proc/self/status has no {field}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, required=True)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = torchvision.models.resnet50(num_classes=10).train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.rand(args.batch, 3, 224, 224) * 4 - 2
    y = torch.arange(args.batch) % 10
    loss_fn = torch.nn.CrossEntropyLoss()
    rss_before = status_bytes("VmRSS")
    # Resets VmHWM to the current resident set, so the peak read afterwards is the steps'.
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    started = time.perf_counter()
    for _ in range(2):
        optimizer.zero_grad(set_to_none=True)
        loss_fn(model(x), y).backward()
        optimizer.step()
    seconds = time.perf_counter() - started
    peak = status_bytes("VmHWM")
    print(json.dumps({
        "bench": "memory", "framework": "pytorch", "torch": torch.__version__, "threads": args.threads,
        "backbone": "resnet50", "size": 224, "batch": args.batch,
        "rssBytes": peak, "rssBeforeStepBytes": rss_before, "stepDeltaBytes": peak - rss_before,
        "twoStepsSeconds": round(seconds, 1),
    }))


if __name__ == "__main__":
    main()
