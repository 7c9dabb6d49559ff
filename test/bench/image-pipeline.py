"""PIL + torchvision side of image-pipeline.bench.ts: decode + Resize((224, 224)) + RandomHorizontalFlip
+ ToTensor + Normalize on the same JPEGs. Prints one JSON line per worker count.
Usage: /usr/bin/python3 image-pipeline.py DIR WORKERS..."""
import json
import os
import sys
import time

import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms

torch.set_num_threads(1)
directory = sys.argv[1]
files = sorted(os.path.join(directory, f) for f in os.listdir(directory) if f.endswith(".jpg"))
transform = transforms.Compose([
    transforms.Resize((224, 224)),
    transforms.RandomHorizontalFlip(),
    transforms.ToTensor(),
    transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
])


class Files(Dataset):
    def __len__(self):
        return len(files)

    def __getitem__(self, i):
        with open(files[i], "rb") as f:
            return transform(Image.open(f).convert("RGB"))


torch.manual_seed(0)
for workers in map(int, sys.argv[2:]):
    data = Files()
    for i in range(min(20, len(files))):  # warm-up
        data[i]
    start = time.perf_counter()
    if workers <= 1:
        for i in range(len(data)):
            data[i]
    else:
        for _ in DataLoader(data, batch_size=None, num_workers=workers):
            pass
    seconds = time.perf_counter() - start
    print(json.dumps({
        "bench": "image-pipeline", "impl": "PIL+torchvision", "versions": {"torch": torch.__version__, "PIL": Image.__version__},
        "workers": workers, "images": len(files), "seconds": round(seconds, 3), "imagesPerSec": round(len(files) / seconds, 1),
    }), flush=True)
