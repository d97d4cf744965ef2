"""PyTorch reference for `npm run bench -- gpu`: the same training step as the engine's benchmark.

Gated ABMIL (h = ReLU(x W), score = w(tanh(V h) * sigmoid(U h)), a = softmax over the bag,
z = sum a h, logits = classifier(z)), loss = CE + 0.1 * sum a log a, AdamW (lr 2e-4, wd 1e-5),
D 1024 -> 512 -> attention 128, 2 classes, float32 (no TF32), the bag resident on the device, and the
loss read back every step (loss.item()), as the engine's bench reads its loss.

Usage: python3 torch_step.py --device=cpu|cuda --sizes=500,2000 [--threads=N]
Prints one JSON line per size: {"engine": "torch-<device>", "n", "medianMs", "minMs", "steps", "torch", "threads"}.
"""
import json
import sys
import time

import torch

D, L, A, C = 1024, 512, 128, 2


class GatedAbmil(torch.nn.Module):
    def __init__(self, d=D, hidden=L, attention=A, classes=C):
        super().__init__()
        self.embed = torch.nn.Linear(d, hidden)
        self.v = torch.nn.Linear(hidden, attention)
        self.u = torch.nn.Linear(hidden, attention)
        self.w = torch.nn.Linear(attention, 1)
        self.head = torch.nn.Linear(hidden, classes)

    def forward(self, x):
        h = torch.relu(self.embed(x))
        score = self.w(torch.tanh(self.v(h)) * torch.sigmoid(self.u(h))).squeeze(-1)
        log_a = torch.log_softmax(score, dim=0)
        a = log_a.exp()
        return self.head(a @ h), a, log_a


def arg(name, default):
    for a in sys.argv[1:]:
        if a.startswith(f"--{name}="):
            return a.split("=", 1)[1]
    return default


def main():
    device = arg("device", "cpu")
    sizes = [int(s) for s in arg("sizes", "2000").split(",")]
    if arg("threads", None):
        torch.set_num_threads(int(arg("threads", "1")))
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.manual_seed(0)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    for n in sizes:
        model = GatedAbmil().to(device)
        opt = torch.optim.AdamW(model.parameters(), lr=2e-4, weight_decay=1e-5)
        x = torch.rand(n, D, device=device) * 2 - 1
        y = torch.tensor([1], device=device)

        def step():
            logits, a, log_a = model(x)
            loss = torch.nn.functional.cross_entropy(logits[None], y) + 0.1 * (a * log_a).sum()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            return loss.item()

        for _ in range(3):
            step()
        times = []
        started = time.perf_counter()
        while len(times) < 5 or (len(times) < 50 and time.perf_counter() - started < 10):
            sync()
            t0 = time.perf_counter()
            step()
            times.append((time.perf_counter() - t0) * 1e3)
        times.sort()
        print(json.dumps({"engine": f"torch-{device}", "n": n, "medianMs": times[len(times) // 2], "minMs": times[0],
                          "steps": len(times), "torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)


if __name__ == "__main__":
    main()
