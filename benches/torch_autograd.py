"""softmargin against PyTorch's own soft margin loss, through autograd, in one process: forward,
backward and double backward (torch.autograd.grad with create_graph=True, twice), each timed
for softmargin.torch.soft_margin_loss and torch.nn.functional.soft_margin_loss taking turns,
sample after sample. Prints the medians in ns/element and torch's time over softmargin's.
(benches/torch_second.py times softmargin.gradient_hessian, without autograd, against the
double backward.)

    python3 benches/torch_autograd.py [SIZES] [THREADS] [DTYPES]

SIZES and DTYPES are comma-separated (defaults: 1024,65536,16777216 and float32,float64);
THREADS (default 2) is given to both libraries. Needs numpy, torch and the softmargin package.
"""
import statistics
import sys
import time

import numpy as np
import torch

import softmargin
import softmargin.torch as smt

F = torch.nn.functional
sizes = [int(s) for s in (sys.argv[1] if len(sys.argv) > 1 else "1024,65536,16777216").split(",")]
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
dtypes = (sys.argv[3] if len(sys.argv) > 3 else "float32,float64").split(",")
torch.set_num_threads(threads)
softmargin.set_num_threads(threads)


def timed(f, n):
    """Seconds of one call of f, timing enough back-to-back calls (about 1M elements' worth)
    that the clock's cost vanishes."""
    reps = max(1, (1 << 20) // n)
    t = time.perf_counter()
    for _ in range(reps):
        f()
    return (time.perf_counter() - t) / reps


def compare(label, ours, theirs, n, samples):
    ours(), theirs()  # warm up: page faults, thread pools
    times = ([], [])
    for _ in range(samples):
        times[0].append(timed(ours, n))
        times[1].append(timed(theirs, n))
    a, b = (statistics.median(t) / n * 1e9 for t in times)
    print(f"{label:<36} {a:9.2f} {b:9.2f}   {b / a:6.1f}x")


def passes(loss_fn, x, y):
    """The three passes through autograd, for one loss function."""

    def forward():
        with torch.no_grad():
            return loss_fn(x, y, reduction="mean")

    def backward():
        loss = loss_fn(x, y, reduction="mean")
        return torch.autograd.grad(loss, x)

    def double():
        loss = loss_fn(x, y, reduction="sum")
        (g,) = torch.autograd.grad(loss, x, create_graph=True)
        return torch.autograd.grad(g.sum(), x)

    return forward, backward, double


rng = np.random.default_rng(1)
print(f"{threads} threads; softmargin {softmargin.version()} on its {softmargin.isa()} path, "
      f"torch {torch.__version__}")
print(f"{'pass':<36} {'ours':>9} {'torch':>9}   (ns/elem; torch's time over ours)")
for name in dtypes:
    dtype = np.dtype(name)
    for n in sizes:
        x = rng.uniform(-10, 10, n).astype(dtype)
        y = np.where(rng.random(n) < 0.5, -1.0, 1.0).astype(dtype)
        tx = torch.from_numpy(x).requires_grad_(True)
        ty = torch.from_numpy(y)
        samples = 9 if n >= 1 << 22 else 21
        ours = passes(lambda a, b, reduction: smt.soft_margin_loss(a, b, reduction), tx, ty)
        theirs = passes(lambda a, b, reduction: F.soft_margin_loss(a, b, reduction=reduction),
                        tx, ty)
        # The same values first (torch's within its rounding, where it does not overflow).
        for f, g in zip(ours, theirs):
            a, b = f(), g()
            for a, b in zip(a if isinstance(a, tuple) else (a,), b if isinstance(b, tuple) else (b,)):
                np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-4,
                                           atol=1e-30)
        for label, f, g in zip(("forward MEAN", "backward MEAN", "double backward SUM"),
                               ours, theirs):
            compare(f"{label}, {name}, {n}", f, g, n, samples)
