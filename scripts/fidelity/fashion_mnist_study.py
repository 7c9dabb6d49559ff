#!/usr/bin/python3
"""PyTorch mirror of xfer runs on Fashion-MNIST: does xfer train like PyTorch? (issue 17, fidelity)

Give it published xfer run folders, one per seed. For each, it trains the same thing in PyTorch:
the same sample ids in train / val / test (read from the run by scripts/fidelity/split-ids.ts,
which checks them against the split manifest hash the run recorded), the same architecture
(tinycnn with the run's widths and hidden size, torch's default init, which is xfer's), optimizer
(torch.optim.SGD / AdamW with the run's options), learning rate per step or epoch, batch size and
epochs, the same selection (best val accuracy, strictly better wins, patience) and the test split
scored at the best epoch. A run with an upstream reference (fine-tuning) is mirrored in two
stages: its upstream run is mirrored first (pretraining), then the downstream run fine-tunes the
mirror's best upstream weights with a fresh head, as xfer does with the upstream checkpoint. Torch
is seeded with the run's seed; its random draws (init, shuffles) are torch's own, so the two agree
in distribution, not digit for digit: compare means over seeds, not single runs.

Needs Debian's python3-torch (never run by CI) and the repository's node_modules (for the ids):

    npx xfer run fashion-mnist-study --filter tags.model=tinycnn-16-32-64@1000 \
        --filter tags.task=new-classes-k100 --filter tags.transfer=finetune --seed 0 --out runs   # and --seed 1, 2
    /usr/bin/python3 scripts/fidelity/fashion_mnist_study.py runs/fashion-mnist-study/<id> ...

For a fine-tuning run, pass the downstream run folders: each one's upstream run is found as
<out>/<upstream recipe>/<upstream run> beside it. It prints one row per run (xfer's and torch's
test accuracy, upstream too where there is one), then means, standard deviations and Welch's t-test
per column; --json FILE writes the same. See docs/fidelity.md.
"""
import argparse
import gzip
import json
import math
import os
import statistics
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
IDX_PARTS = ("train", "t10k")


class SpecError(Exception):
    """A run this mirror cannot reproduce faithfully: it names the run folder and the field."""


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise SpecError(f"{path}: cannot be read as JSON ({e}); expected a published xfer run folder")


def idx_file(root, prefix, kind):
    for name in (f"{prefix}-{kind}.gz", f"{prefix}-{kind}"):
        path = os.path.join(root, name)
        if os.path.exists(path):
            with (gzip.open(path) if name.endswith(".gz") else open(path, "rb")) as f:
                data = f.read()
            dims = data[3]
            shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
            return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)
    raise SpecError(f"{os.path.join(root, prefix + '-' + kind)}[.gz]: not found; expected Fashion-MNIST's IDX files")


class Images:
    """Fashion-MNIST pixels by xfer sample id (`train/<n>`, `t10k/<n>`), read once per root."""

    def __init__(self, root):
        self.root, self.parts = root, {}

    def tensor(self, ids, channels):
        rows = []
        for sample_id in ids:
            prefix, _, number = sample_id.partition("/")
            if prefix not in IDX_PARTS or not number.isdigit():
                raise SpecError(f"sample id {sample_id!r}: expected train/<n> or t10k/<n> (dataset fashion-mnist)")
            if prefix not in self.parts:
                self.parts[prefix] = idx_file(self.root, prefix, "images-idx3-ubyte")
            rows.append(self.parts[prefix][int(number)])
        # ToTensor and tinycnn's mean 0 / std 1; gray replicated when the backbone takes more channels.
        x = torch.tensor(np.stack(rows)[:, None].astype(np.float32) / 255)
        return x.expand(-1, channels, -1, -1).contiguous()


def split_ids(run_dir):
    """The run's own ids and labels per split, from scripts/fidelity/split-ids.ts (hash-checked)."""
    script = os.path.join(REPO, "scripts", "fidelity", "split-ids.ts")
    done = subprocess.run(["npx", "tsx", script, os.path.abspath(run_dir)], cwd=REPO, capture_output=True, text=True)
    if done.returncode != 0:
        raise SpecError(f"{run_dir}: split-ids.ts failed: {done.stderr.strip()}")
    return json.loads(done.stdout)


class TinyCnn(nn.Module):
    """plugins/backbones/tinycnn: conv3x3-relu-maxpool twice, fc-relu, linear head; torch's default init."""

    def __init__(self, channels, widths, hidden, classes, size=28):
        super().__init__()
        pooled = size // 2 // 2
        self.conv1 = nn.Conv2d(channels, widths[0], 3, padding=1)
        self.conv2 = nn.Conv2d(widths[0], widths[1], 3, padding=1)
        self.fc1 = nn.Linear(pooled * pooled * widths[1], hidden)
        self.head = nn.Linear(hidden, classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.head(F.relu(self.fc1(x.flatten(1))))


def checked(spec, run_dir):
    """The parts of a run spec the mirror reproduces; anything else is refused, naming the field."""
    def refuse(field, value, expected):
        raise SpecError(f"{run_dir}/spec.json: {field} is {json.dumps(value)}; this mirror reproduces only {expected}")

    if spec["dataset"]["name"] != "fashion-mnist":
        refuse("dataset.name", spec["dataset"]["name"], '"fashion-mnist"')
    backbone = spec["backbone"]
    if backbone["name"] != "tinycnn.random":
        refuse("backbone.name", backbone["name"], '"tinycnn.random"')
    options = {"channels": 1, "widths": [32, 64], "hidden": 128, **backbone.get("options", {})}
    if set(options) != {"channels", "widths", "hidden"}:
        refuse("backbone.options", backbone.get("options"), "channels, widths and hidden")
    augment = spec["augment"]
    if augment.get("train") or augment.get("eval") or augment.get("batch"):
        refuse("augment", augment, "no augmentation")
    training = spec["training"]
    for field, allowed in (("mode", {None, "finetune"}), ("loss", {None, "cross-entropy"}), ("labelSmoothing", {None, 0}),
                           ("decodeResize", {None})):
        if training.get(field) not in allowed:
            refuse(f"training.{field}", training.get(field), " or ".join(json.dumps(a) for a in allowed))
    if spec["schedule"]["name"] not in ("cosine", "constant"):
        refuse("schedule.name", spec["schedule"]["name"], '"cosine" or "constant"')
    if spec["optimizer"]["name"] not in ("sgd", "adamw"):
        refuse("optimizer.name", spec["optimizer"]["name"], '"sgd" or "adamw"')
    return options


def make_optimizer(spec, model, run_dir):
    """torch.optim with the plugin's options; lr and weight decay default to the run's, as in xfer."""
    training, o = spec["training"], dict(spec["optimizer"].get("options", {}))
    lr, wd = o.pop("lr", training["lr"]), o.pop("weightDecay", training["weightDecay"])
    scope = o.pop("decayScope", "all")
    # decayScope "exclude-norm-bias": tinycnn's only such parameters are its biases (rank 1).
    groups = [{"params": [p for p in model.parameters() if scope == "all" or p.dim() > 1], "weight_decay": wd},
              {"params": [p for p in model.parameters() if scope != "all" and p.dim() <= 1], "weight_decay": 0.0}]
    name = spec["optimizer"]["name"]
    if name == "sgd":
        momentum, dampening, nesterov = o.pop("momentum", 0.9), o.pop("dampening", 0.0), o.pop("nesterov", True)
        opt = torch.optim.SGD(groups, lr=lr, momentum=momentum, dampening=dampening, nesterov=nesterov)
    else:
        if o.pop("decayConvention", "torch") != "torch":
            raise SpecError(f"{run_dir}/spec.json: optimizer.options.decayConvention; this mirror reproduces only \"torch\"")
        betas, eps = (o.pop("beta1", 0.9), o.pop("beta2", 0.999)), o.pop("eps", 1e-8)
        opt = torch.optim.AdamW(groups, lr=lr, betas=betas, eps=eps)
    if o:
        raise SpecError(f"{run_dir}/spec.json: optimizer.options {sorted(o)} are not mirrored")
    return opt, lr


def lr_at(spec, base, epoch, step, steps_per_epoch, run_dir):
    """plugins/schedules: torch's CosineAnnealingLR in closed form (per epoch or per step), or constant."""
    o = dict(spec["schedule"].get("options", {}))
    base = o.pop("baseLr", base)
    if spec["schedule"]["name"] == "constant":
        return base
    epochs, eta_min, per = o.pop("epochs", spec["training"]["epochs"]), o.pop("etaMin", 0.0), o.pop("per", "epoch")
    if o:
        raise SpecError(f"{run_dir}/spec.json: schedule.options {sorted(o)} are not mirrored")
    t, period = (epoch, epochs) if per == "epoch" else (epoch * steps_per_epoch + step, epochs * steps_per_epoch)
    return eta_min + (base - eta_min) * (1 + math.cos(math.pi * t / period)) / 2


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        correct = sum((model(x[i:i + 1000]).argmax(1) == y[i:i + 1000]).sum().item() for i in range(0, len(x), 1000))
    return correct / len(x)


def train(spec, run_dir, images, start=None):
    """One run as xfer's trainer runs it; `start` is a body state dict (fine-tuning). Returns (test, best state)."""
    arch = checked(spec, run_dir)
    ids = split_ids(run_dir)
    if ids["root"] != images.root:
        raise SpecError(f"{run_dir}: its data root is {ids['root']}, the other runs' {images.root}")
    if "test" not in ids["splits"]:
        raise SpecError(f"{run_dir}: its split has no test part; the mirror compares test accuracy")
    classes = len(ids["classNames"])
    data = {name: (images.tensor(part["ids"], arch["channels"]), torch.tensor(part["labels"], dtype=torch.int64))
            for name, part in ids["splits"].items()}
    torch.manual_seed(spec["seed"])
    model = TinyCnn(arch["channels"], arch["widths"], arch["hidden"], classes)
    if start is not None:
        # The upstream body; the head stays the fresh one just drawn, as xfer replaces the upstream head.
        model.load_state_dict({**model.state_dict(), **{k: v for k, v in start.items() if not k.startswith("head.")}})
    opt, base_lr = make_optimizer(spec, model, run_dir)
    training = spec["training"]
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = data["train"], data["val"], data["test"]
    batch, epochs, patience = training["batchSize"], training["epochs"], training.get("patience")
    steps = math.ceil(len(x_train) / batch)
    best, best_epoch, best_state = None, 0, None
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(x_train))
        for step in range(steps):
            for group in opt.param_groups:
                group["lr"] = lr_at(spec, base_lr, epoch, step, steps, run_dir)
            chosen = order[step * batch:(step + 1) * batch]
            loss = F.cross_entropy(model(x_train[chosen]), y_train[chosen])
            opt.zero_grad()
            loss.backward()
            opt.step()
        val = accuracy(model, x_val, y_val)
        if best is None or val > best:
            best, best_epoch = val, epoch + 1
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
        if patience is not None and epoch + 1 - best_epoch >= patience:
            break
    model.load_state_dict(best_state)
    return accuracy(model, x_test, y_test), best_state


def xfer_test_accuracy(run_dir):
    result = read_json(os.path.join(run_dir, "result.json"))
    if "accuracy" not in result.get("test", {}):
        raise SpecError(f"{run_dir}/result.json: no test accuracy; expected a run scored on a test split")
    return result["test"]["accuracy"]


def upstream_dir(run_dir, spec):
    ref = spec["upstream"]
    if not ref.get("run"):
        raise SpecError(f"{run_dir}/spec.json: upstream has no run identity; expected a run planned by xfer")
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(run_dir))), ref["recipe"], ref["run"])
    if not os.path.exists(os.path.join(path, "result.json")):
        raise SpecError(f"{run_dir}: its upstream run {path} has no result.json; run the recipe with xfer first")
    return path


def mirror(run_dir, images):
    spec = read_json(os.path.join(run_dir, "spec.json"))
    row = {"run": os.path.basename(os.path.normpath(run_dir)), "seed": spec["seed"]}
    started, start = time.time(), None
    if spec.get("upstream"):
        up = upstream_dir(run_dir, spec)
        up_spec = read_json(os.path.join(up, "spec.json"))
        if up_spec.get("upstream"):
            raise SpecError(f"{up}: an upstream run with its own upstream; this mirror goes one stage deep")
        row["xfer upstream"] = xfer_test_accuracy(up)
        row["torch upstream"], start = train(up_spec, up, images)
    row["xfer"] = xfer_test_accuracy(run_dir)
    row["torch"], _ = train(spec, run_dir, images, start)
    row["seconds"] = round(time.time() - started, 1)
    return row


def same_point(run_dirs):
    """The runs must be one grid point of one recipe over seeds, or their means would mix settings."""
    points = {}
    for run_dir in run_dirs:
        spec = read_json(os.path.join(run_dir, "spec.json"))
        points.setdefault(json.dumps([spec["recipe"], spec["point"]], sort_keys=True), []).append(run_dir)
    if len(points) > 1:
        listed = "; ".join(f"{key}: {', '.join(dirs)}" for key, dirs in points.items())
        raise SpecError(f"the runs are {len(points)} grid points ({listed}); give one point of one recipe, one run per seed")


def welch(a, b):
    """Welch's two-sample t-test (scipy, when installed); {} without scipy."""
    try:
        from scipy.stats import ttest_ind
    except ImportError:
        return {}
    test = ttest_ind(a, b, equal_var=False)
    return {"welch t": float(test.statistic), "p": float(test.pvalue)}


def summary(rows):
    """Per stage: xfer's and torch's mean test accuracy (%), their standard deviations and Welch's t-test."""
    out = {}
    for stage, keys in (("upstream", ("xfer upstream", "torch upstream")), ("downstream", ("xfer", "torch"))):
        if keys[0] not in rows[0]:
            continue
        a, b = ([100 * r[k] for r in rows] for k in keys)
        entry = {"xfer mean": statistics.mean(a), "torch mean": statistics.mean(b)}
        if len(rows) > 1:
            entry.update({"xfer sd": statistics.stdev(a), "torch sd": statistics.stdev(b)})
            if entry["xfer sd"] or entry["torch sd"]:  # without any spread the t statistic is undefined
                entry.update(welch(a, b))
        out[stage] = entry
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", help="xfer run folders of one grid point, one per seed (downstream runs for fine-tuning)")
    parser.add_argument("--json", help="write rows and summary to this file")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    try:
        roots = {read_json(os.path.join(r, "result.json")).get("data", {}).get("root") for r in args.runs}
        if len(roots) != 1 or None in roots:
            raise SpecError(f"the runs record data roots {sorted(map(str, roots))}; expected one shared root")
        images = Images(roots.pop())
        same_point(args.runs)
        rows = []
        for run_dir in args.runs:
            rows.append(mirror(run_dir, images))
            print(json.dumps(rows[-1]), flush=True)
    except SpecError as e:
        sys.exit(f"fashion_mnist_study.py: {e}")
    result = {"torch": torch.__version__, "rows": rows, "summary": summary(rows)}
    for stage, entry in result["summary"].items():
        print(f"{stage}: " + ", ".join(f"{k} {v:.3f}" for k, v in entry.items()))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
