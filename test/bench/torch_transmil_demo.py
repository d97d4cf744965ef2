"""PyTorch reference for TransMIL's learning case (issue 12): does TransMIL learn the demo preset at all?

Trains on the very files the engine trains on (the synthetic dataset it writes: h5_files/<slide>.h5,
dataset.csv, splits_0.csv) with the engine's recipe: one bag per step, AdamW (wd 1e-5) or the TransMIL
authors' RAdam + Lookahead (k 5, alpha 0.5), lr with half-cosine decay per iteration (or constant), the
training order shuffled each epoch, val and test after every epoch, the best epoch by val AUROC + val
macro F1. Models:
- transmil: TransMIL as in its authors' models/TransMIL.py with lucidrains' Nystrom attention (fc1 + ReLU,
  square padding by repeating the first rows, cls token, layer 1, PPEG 7/5/3, layer 2, LayerNorm, fc2 on the
  cls row; Nystrom: zeros padded in front to a multiple of the landmarks, segment-mean landmarks, 6
  Moore-Penrose iterations, a 33-tap depthwise residual conv over v, dropout on the output projection).
  --exact uses full softmax attention instead of Nystrom; --no-ppeg and --no-residual drop those parts.
- meanpool: fc1 + ReLU, the mean over the bag, LayerNorm, fc2 (what a cls token that never focuses reads).
- abmil: gated ABMIL (torch_step.GatedAbmil, hidden = D/2, attention 128): the check that this harness learns.
The reported entropy is that of TransMIL's layer-2 cls query over the instances' keys (exact softmax,
mean over heads), as the engine reports it, or ABMIL's attention; log N is its maximum.

Usage: python3 torch_transmil_demo.py --dir=DATASET [--arch=transmil|meanpool|abmil] [--epochs=20]
  [--lr=1e-3] [--schedule=cosine|constant] [--optimizer=adamw|radam-lookahead] [--width=32] [--heads=2]
  [--landmarks=16] [--dropout=0] [--seed=0] [--threads=N] [--exact] [--no-ppeg] [--no-residual]
DATASET is the engine's synthetic dataset folder, e.g. <experiment folder>/datasets/demo-c2-s0 after any
run on { "format": "synthetic", "synthetic": { "preset": "demo" } }.
Prints one line per epoch, then one JSON line: {"arch", "bestEpoch", "bestTestAuroc", "bestValAuroc",
"bestTestEntropy", "meanTestLogN", "finalTrainLoss", "settings"}.
"""
import csv
import json
import math
import random
import sys

import h5py
import numpy as np
import torch
import torch.nn.functional as F
from sklearn.metrics import f1_score, roc_auc_score

from torch_step import GatedAbmil, arg


def flag(name):
    return f"--{name}" in sys.argv[1:]


def moore_penrose(x, iterations=6):
    z = x.transpose(-1, -2) / (x.abs().sum(-1).max() * x.abs().sum(-2).max())
    eye = torch.eye(x.shape[-1])
    for _ in range(iterations):
        xz = x @ z
        z = 0.25 * z @ (13 * eye - xz @ (15 * eye - xz @ (7 * eye - xz)))
    return z


class NystromAttention(torch.nn.Module):
    def __init__(self, dim, heads, landmarks, dropout, exact, residual):
        super().__init__()
        self.heads, self.head_dim, self.landmarks = heads, dim // heads, landmarks
        self.exact, self.residual = exact, residual
        self.qkv = torch.nn.Linear(dim, 3 * dim, bias=False)
        self.out = torch.nn.Sequential(torch.nn.Linear(dim, dim), torch.nn.Dropout(dropout))
        self.res_conv = torch.nn.Conv2d(heads, heads, (33, 1), padding=(16, 0), groups=heads, bias=False)

    def split_heads(self, t):
        return t.reshape(t.shape[0], -1, self.heads, self.head_dim).transpose(1, 2)

    def forward(self, x):
        n, m = x.shape[1], self.landmarks
        if n % m:
            x = F.pad(x, (0, 0, m - n % m, 0))
        q, k, v = (self.split_heads(t) for t in self.qkv(x).chunk(3, -1))
        q = q * self.head_dim ** -0.5
        if self.exact:
            out = (q @ k.transpose(-1, -2)).softmax(-1) @ v
        else:
            seg = math.ceil(n / m)
            q_land = q.reshape(*q.shape[:2], -1, seg, self.head_dim).mean(3)
            k_land = k.reshape(*k.shape[:2], -1, seg, self.head_dim).mean(3)
            a1 = (q @ k_land.transpose(-1, -2)).softmax(-1)
            a2 = (q_land @ k_land.transpose(-1, -2)).softmax(-1)
            a3 = (q_land @ k.transpose(-1, -2)).softmax(-1)
            out = (a1 @ moore_penrose(a2)) @ (a3 @ v)
        if self.residual:
            out = out + self.res_conv(v)
        out = out.transpose(1, 2).reshape(x.shape[0], -1, self.heads * self.head_dim)
        return self.out(out)[:, -n:]


class TransLayer(torch.nn.Module):
    def __init__(self, dim, heads, landmarks, dropout, exact, residual):
        super().__init__()
        self.norm = torch.nn.LayerNorm(dim)
        self.attn = NystromAttention(dim, heads, landmarks, dropout, exact, residual)

    def forward(self, x):
        return x + self.attn(self.norm(x))


class Ppeg(torch.nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.convs = torch.nn.ModuleList([torch.nn.Conv2d(dim, dim, k, 1, k // 2, groups=dim) for k in (7, 5, 3)])

    def forward(self, x, side):
        cls, feat = x[:, :1], x[:, 1:]
        grid = feat.transpose(1, 2).reshape(x.shape[0], x.shape[2], side, side)
        grid = grid + sum(conv(grid) for conv in self.convs)
        return torch.cat([cls, grid.flatten(2).transpose(1, 2)], 1)


class TransMil(torch.nn.Module):
    def __init__(self, d, width, heads, landmarks, dropout, exact, residual, ppeg):
        super().__init__()
        self.heads = heads
        self.fc1 = torch.nn.Linear(d, width)
        self.cls = torch.nn.Parameter(torch.randn(1, 1, width))
        self.layer1 = TransLayer(width, heads, landmarks, dropout, exact, residual)
        self.ppeg = Ppeg(width) if ppeg else None
        self.layer2 = TransLayer(width, heads, landmarks, dropout, exact, residual)
        self.norm = torch.nn.LayerNorm(width)
        self.fc2 = torch.nn.Linear(width, 2)

    def forward(self, x):
        h = torch.relu(self.fc1(x))[None]
        n = h.shape[1]
        side = math.ceil(math.sqrt(n))
        h = torch.cat([self.cls, h, h[:, : side * side - n]], 1)
        h = self.layer1(h)
        if self.ppeg is not None:
            h = self.ppeg(h, side)
        # Layer 2's exact cls attention over the n real instances, mean over heads (the engine's reported attention).
        normed = self.layer2.norm(h)
        q, k, _ = self.layer2.attn.qkv(normed).chunk(3, -1)
        head_dim = q.shape[-1] // self.heads
        scores = (q[0, 0].reshape(self.heads, head_dim)[:, None, :] * k[0, 1 : n + 1].reshape(n, self.heads, head_dim).transpose(0, 1)).sum(-1)
        attention = (scores * head_dim ** -0.5).softmax(-1)
        h = self.layer2(h)
        return self.fc2(self.norm(h[:, 0]))[0], attention


class MeanPool(torch.nn.Module):
    def __init__(self, d, width):
        super().__init__()
        self.fc1, self.norm, self.fc2 = torch.nn.Linear(d, width), torch.nn.LayerNorm(width), torch.nn.Linear(width, 2)

    def forward(self, x):
        h = torch.relu(self.fc1(x))
        return self.fc2(self.norm(h.mean(0))), torch.full((1, x.shape[0]), 1 / x.shape[0])


class Abmil(torch.nn.Module):
    def __init__(self, d):
        super().__init__()
        self.inner = GatedAbmil(d, d // 2, 128, 2)

    def forward(self, x):
        logits, a, _ = self.inner(x)
        return logits, a[None]


def lookahead(optimizer, params, k=5, alpha=0.5):
    """Lookahead (Zhang et al. 2019) around an optimizer, as TransMIL's authors train: every k steps the slow
    weights move alpha of the way to the fast ones and the fast weights restart from them."""
    slow = [p.detach().clone() for p in params]
    inner_step, count = optimizer.step, [0]

    def step():
        inner_step()
        count[0] += 1
        if count[0] % k == 0:
            with torch.no_grad():
                for p, s in zip(params, slow):
                    s.add_(p - s, alpha=alpha)
                    p.copy_(s)

    optimizer.step = step
    return optimizer


def main():
    folder = arg("dir", None)
    if folder is None:
        sys.exit("usage: python3 torch_transmil_demo.py --dir=DATASET [options]: see the docstring")
    arch = arg("arch", "transmil")
    epochs, lr, seed = int(arg("epochs", "20")), float(arg("lr", "1e-3")), int(arg("seed", "0"))
    width, heads, landmarks = int(arg("width", "32")), int(arg("heads", "2")), int(arg("landmarks", "16"))
    dropout, schedule, optimizer_name = float(arg("dropout", "0")), arg("schedule", "cosine"), arg("optimizer", "adamw")
    if arg("threads", None):
        torch.set_num_threads(int(arg("threads", "1")))
    torch.manual_seed(seed)
    random.seed(seed)

    labels = {r["slide_id"]: r["label"] for r in csv.DictReader(open(f"{folder}/dataset.csv"))}
    classes = sorted(set(labels.values()), key=lambda name: name != "normal")
    split = {"train": [], "val": [], "test": []}
    for row in csv.DictReader(open(f"{folder}/splits_0.csv")):
        for name, slides in split.items():
            if row[name]:
                slides.append(row[name])
    bags = {}
    for slide in (s for slides in split.values() for s in slides):
        with h5py.File(f"{folder}/h5_files/{slide}.h5", "r") as f:
            bags[slide] = torch.from_numpy(np.asarray(f["features"], dtype=np.float32))
    target = {s: classes.index(labels[s]) for s in bags}
    d = next(iter(bags.values())).shape[1]

    if arch == "transmil":
        model = TransMil(d, width, heads, landmarks, dropout, flag("exact"), not flag("no-residual"), not flag("no-ppeg"))
    elif arch == "meanpool":
        model = MeanPool(d, width)
    elif arch == "abmil":
        model = Abmil(d)
    else:
        sys.exit(f"--arch must be transmil, meanpool or abmil, not {arch}")
    params = list(model.parameters())
    if optimizer_name == "adamw":
        optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=1e-5)
    elif optimizer_name == "radam-lookahead":
        optimizer = lookahead(torch.optim.RAdam(params, lr=lr, weight_decay=1e-5), params)
    else:
        sys.exit(f"--optimizer must be adamw or radam-lookahead, not {optimizer_name}")

    def evaluate(slides):
        model.eval()
        probabilities, entropies, log_ns = [], [], []
        with torch.no_grad():
            for s in slides:
                logits, attention = model(bags[s])
                probabilities.append(logits.softmax(-1)[1].item())
                entropies.append(-(attention * attention.clamp_min(1e-30).log()).sum(-1).mean().item())
                log_ns.append(math.log(bags[s].shape[0]))
        y = [target[s] for s in slides]
        p = np.array(probabilities)
        return roc_auc_score(y, p), f1_score(y, p > 0.5, average="macro"), float(np.mean(entropies)), float(np.mean(log_ns))

    steps, iteration = epochs * len(split["train"]), 0
    best = None
    train_loss = float("nan")
    for epoch in range(1, epochs + 1):
        model.train()
        order = list(range(len(split["train"])))
        random.shuffle(order)
        total = 0.0
        for i in order:
            slide = split["train"][i]
            if schedule == "cosine":
                for group in optimizer.param_groups:
                    group["lr"] = 0.5 * lr * (1 + math.cos(math.pi * iteration / steps))
            iteration += 1
            logits, _ = model(bags[slide])
            loss = F.cross_entropy(logits[None], torch.tensor([target[slide]]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
        train_loss = total / len(order)
        val_auroc, val_f1, _, _ = evaluate(split["val"])
        test_auroc, _, test_entropy, log_n = evaluate(split["test"])
        print(f"epoch {epoch}: train loss {train_loss:.4f}  val AUROC {val_auroc:.3f} F1 {val_f1:.3f}  test AUROC {test_auroc:.3f}  test entropy {test_entropy:.3f} (log N {log_n:.3f})", flush=True)
        if best is None or val_auroc + val_f1 > best["score"]:
            best = {"score": val_auroc + val_f1, "epoch": epoch, "test": test_auroc, "val": val_auroc, "entropy": test_entropy, "logN": log_n}
    settings = {"epochs": epochs, "lr": lr, "schedule": schedule, "optimizer": optimizer_name, "seed": seed}
    if arch == "transmil":
        settings.update(width=width, heads=heads, landmarks=landmarks, dropout=dropout, exact=flag("exact"), residual=not flag("no-residual"), ppeg=not flag("no-ppeg"))
    elif arch == "meanpool":
        settings.update(width=width)
    print(json.dumps({
        "arch": arch, "bestEpoch": best["epoch"], "bestTestAuroc": round(best["test"], 4), "bestValAuroc": round(best["val"], 4),
        "bestTestEntropy": round(best["entropy"], 4), "meanTestLogN": round(best["logN"], 4), "finalTrainLoss": round(train_loss, 5), "settings": settings,
    }), flush=True)


if __name__ == "__main__":
    main()
