"""PyTorch reference for `npm run bench -- vs-torch`: the whole training process on the same data as the engine.

Gated ABMIL (D -> D/2 -> attention 128, 2 classes), loss = CE + 0.1 * sum a log a, AdamW (lr 2e-4 with half-cosine
decay per iteration to 0, wd 1e-5), one bag per step with its loss read back (loss.item()), the training order
shuffled each epoch, then val and test evaluated after every epoch (forward under no_grad, probabilities and
attention to the host, AUROC). The bags are read from <dir>/raw/<slide>.f32 (float32 [n, d], written by the
bench next to the h5 files the engine reads) as listed in <dir>/manifest.json.

Usage: python3 torch_train.py --dir=DIR --epochs=E [--threads=N]
Prints one JSON line: {"engine": "torch-cpu", "epochs", "trainSeconds", "evalSeconds", "threads", "torch", "lastTestAuroc"}.
"""
import json
import math
import random
import sys
import time

import numpy as np
import torch

# The same model and argument reading as the step benchmark (run as a script, its folder is on sys.path).
from torch_step import GatedAbmil, arg


def auroc(labels, scores):
    pos = [s for l, s in zip(labels, scores) if l == 1]
    neg = [s for l, s in zip(labels, scores) if l == 0]
    if not pos or not neg:
        return None
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def main():
    started = time.perf_counter()
    folder = arg("dir", ".")
    epochs = int(arg("epochs", "5"))
    if arg("threads", None):
        torch.set_num_threads(int(arg("threads", "1")))
    torch.manual_seed(0)
    random.seed(0)
    manifest = json.load(open(f"{folder}/manifest.json"))
    d = manifest["d"]
    bags = {}
    for s in manifest["slides"]:
        bags[s["slideId"]] = torch.from_numpy(np.fromfile(f"{folder}/raw/{s['slideId']}.f32", dtype=np.float32).reshape(s["n"], d))
    split = {k: [s for s in manifest["slides"] if s["split"] == k] for k in ("train", "val", "test")}
    model = GatedAbmil(d, d // 2, 128, 2)
    lr = 2e-4
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-5)
    iters = len(split["train"])
    train_s = eval_s = 0.0
    last_auroc = None
    for epoch in range(epochs):
        t0 = time.perf_counter()
        order = list(range(iters))
        random.shuffle(order)
        model.train()
        for it, i in enumerate(order):
            s = split["train"][i]
            t = epoch + it / iters
            for g in opt.param_groups:
                g["lr"] = 0.5 * lr * (1 + math.cos(math.pi * t / epochs))
            logits, a, log_a = model(bags[s["slideId"]])
            loss = torch.nn.functional.cross_entropy(logits[None], torch.tensor([s["label"]])) + 0.1 * (a * log_a).sum()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            loss.item()
        t1 = time.perf_counter()
        train_s += t1 - t0
        model.eval()
        with torch.no_grad():
            for name in ("val", "test"):
                labels, scores = [], []
                for s in split[name]:
                    logits, a, log_a = model(bags[s["slideId"]])
                    p = torch.softmax(logits, 0).numpy()
                    a.numpy()
                    labels.append(s["label"])
                    scores.append(float(p[1]))
                if name == "test":
                    last_auroc = auroc(labels, scores)
        eval_s += time.perf_counter() - t1
    print(json.dumps({"engine": "torch-cpu", "epochs": epochs, "trainSeconds": train_s, "evalSeconds": eval_s,
                      "processSeconds": time.perf_counter() - started, "threads": torch.get_num_threads(),
                      "torch": torch.__version__, "lastTestAuroc": last_auroc}), flush=True)


if __name__ == "__main__":
    main()
