"""One benchmark step of a torch model, shared by torch-bench.py and torch-families.py: a training step
(SGD momentum 0.9, cross-entropy) or an eval-mode forward pass, on a seeded random batch."""
import torch
import torch.nn as nn


def make_step(build, shape, batch, mode):
    torch.manual_seed(0)
    model = build()
    x = torch.rand(batch, *shape)
    y = torch.arange(batch) % 10
    if mode == "inference":
        # Eager eval mode: PyTorch runs conv, batch norm and ReLU as separate kernels (it folds
        # batch norm only when asked to, e.g. torch.fx / torch.jit.freeze); xfer folds them.
        model.eval()

        def step():
            with torch.no_grad():
                model(x).sum().item()
        return step
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()

    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        loss.item()
    return step
