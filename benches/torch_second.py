"""The second derivative of the soft margin loss: softmargin.gradient_hessian against PyTorch's
double backward (torch.autograd.grad with create_graph=True, twice), in one process, taking
turns sample after sample; prints the median of each and the ratio.

    python3 benches/torch_second.py [N] [THREADS] [SAMPLES]

Needs numpy, torch and the softmargin package (or SOFTMARGIN_LIBRARY naming a build of
libsoftmargin.so). Defaults: 4M float64 elements, 2 threads, 9 samples.
"""
import statistics
import sys
import time

import numpy as np
import torch

import softmargin

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1 << 22
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
samples = int(sys.argv[3]) if len(sys.argv) > 3 else 9
torch.set_num_threads(threads)
softmargin.set_num_threads(threads)

rng = np.random.default_rng(1)
for dtype, tdtype in ((np.float64, torch.float64), (np.float32, torch.float32)):
    x = rng.uniform(-10, 10, n).astype(dtype)
    y = np.where(rng.random(n) < 0.5, -1.0, 1.0).astype(dtype)
    tx = torch.from_numpy(x).requires_grad_(True)
    ty = torch.from_numpy(y)
    grad = np.empty_like(x)
    hess = np.empty_like(x)

    def ours():
        softmargin.gradient_hessian(x, y, "sum", out=grad, hess_out=hess)

    def theirs():
        loss = torch.nn.functional.soft_margin_loss(tx, ty, reduction="sum")
        (g,) = torch.autograd.grad(loss, tx, create_graph=True)
        (h,) = torch.autograd.grad(g.sum(), tx)
        return g, h

    # Both compute the same derivatives (PyTorch's within its own rounding, where it does not
    # overflow).
    ours()
    g, h = theirs()
    np.testing.assert_allclose(grad, g.detach().numpy(), rtol=1e-5, atol=1e-30)
    np.testing.assert_allclose(hess, h.numpy(), rtol=1e-4, atol=1e-30)
    times = {"softmargin": [], "torch": []}
    for _ in range(samples):
        for name, f in (("softmargin", ours), ("torch", theirs)):
            t = time.perf_counter()
            f()
            times[name].append(time.perf_counter() - t)
    a = statistics.median(times["softmargin"]) / n * 1e9
    b = statistics.median(times["torch"]) / n * 1e9
    print(f"{np.dtype(dtype).name} {n} elements, {threads} threads: softmargin.gradient_hessian "
          f"{a:.2f} ns/elem, torch double backward {b:.2f} ns/elem: {b / a:.1f}x faster")
