"""PyTorch side of pipeline.bench.ts: fine-tune torchvision's ResNet-18 (random init) at 224 px for
STEPS steps of BATCH images on the ImageFolder at DIR, with RandomResizedCrop(224),
RandomHorizontalFlip, ToTensor, Normalize and a DataLoader with one worker, SGD momentum 0.9.
Prints one JSON line: images/s over the steps' window and how long steps waited for their batch.
Usage: /usr/bin/python3 pipeline.py DIR STEPS BATCH [THREADS (default 2, as the training bench)]"""
import json
import sys
import time

import torch
import torchvision
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

directory, steps, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(int(sys.argv[4]) if len(sys.argv) > 4 else 2)
torch.manual_seed(0)
transform = transforms.Compose([
    transforms.RandomResizedCrop(224),
    transforms.RandomHorizontalFlip(),
    transforms.ToTensor(),
    transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
])
data = datasets.ImageFolder(directory, transform=transform)
model = torchvision.models.resnet18(num_classes=len(data.classes))
model.train()
optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
loss_fn = torch.nn.CrossEntropyLoss()


def batches():
    # Passes laid end to end, full batches only, as xfer's training.steps draws them.
    while True:
        yield from DataLoader(data, batch_size=batch, shuffle=True, num_workers=1, drop_last=True)


start = time.perf_counter()
waits = []
loader = batches()
for _ in range(steps):
    asked = time.perf_counter()
    x, y = next(loader)
    waits.append(time.perf_counter() - asked)
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
seconds = time.perf_counter() - start
print(json.dumps({
    "bench": "pipeline", "impl": "pytorch", "versions": {"torch": torch.__version__, "torchvision": torchvision.__version__},
    "threads": torch.get_num_threads(), "loaderWorkers": 1, "images": steps * batch, "steps": steps, "batch": batch,
    "seconds": round(seconds, 2), "imagesPerSec": round(steps * batch / seconds, 2),
    "firstBatchWaitS": round(waits[0], 2), "laterStepsWaitS": round(sum(waits[1:]), 2),
}), flush=True)
