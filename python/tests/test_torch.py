"""softmargin.torch against torch.nn.functional.soft_margin_loss, and autograd's own checks.

Skipped where torch is not installed, unless SOFTMARGIN_REQUIRE_TORCH=1 (as in CI), which
makes a missing torch a failure.
"""

import os

import numpy as np
import pytest

if os.environ.get("SOFTMARGIN_REQUIRE_TORCH") == "1":
    import torch
else:
    torch = pytest.importorskip("torch")

import softmargin  # noqa: E402
import softmargin.torch as smt  # noqa: E402

F = torch.nn.functional
REDUCTIONS = ("none", "mean", "sum")


def data(dtype, shape=(3, 5, 7), seed=0):
    g = torch.Generator().manual_seed(seed)
    x = (torch.randn(shape, generator=g, dtype=torch.float64) * 4).to(dtype)
    y = (torch.randint(0, 2, shape, generator=g) * 2 - 1).to(dtype)
    return x, y


TYPES = (torch.float64, torch.float32, torch.float16, torch.bfloat16)


def close(ours, reference, dtype, ulps):
    """`ours` within `ulps` units of `dtype`'s precision of torch's float64 `reference`."""
    info = torch.finfo(dtype)
    assert ours.dtype == dtype and ours.shape == reference.shape
    torch.testing.assert_close(ours.double(), reference, rtol=ulps * info.eps, atol=info.tiny)


@pytest.mark.parametrize("dtype", TYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_values_and_gradients_match_torch_in_float64(dtype, reduction):
    # torch in float64 on the same inputs is the reference: in float16 torch's own kernel
    # overflows from margins of about 11 on.
    x, y = data(dtype)
    ours_x = x.clone().requires_grad_()
    ref_x = x.double().requires_grad_()
    ours = smt.SoftMarginLoss(reduction)(ours_x, y)
    ref = F.soft_margin_loss(ref_x, y.double(), reduction=reduction)
    # The library's results are correctly rounded for float32 and the 16-bit types (within
    # 1 ulp for float64, and for a reduced gradient's factor).
    close(ours.detach(), ref.detach(), dtype, 2)
    seed = torch.ones_like(ours) if reduction != "none" else torch.rand(ours.shape).to(dtype)
    ours.backward(seed)
    ref.backward(seed.double())
    close(ours_x.grad, ref_x.grad, dtype, 4)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gradcheck_and_gradgradcheck_in_float64(reduction):
    x, y = data(torch.float64, (4, 6), seed=1)
    x.requires_grad_()

    def loss(x):
        return smt.soft_margin_loss(x, y, reduction)

    assert torch.autograd.gradcheck(loss, (x,))
    assert torch.autograd.gradgradcheck(loss, (x,))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_double_backward_matches_torch(reduction):
    x, y = data(torch.float64, (50,), seed=2)
    results = []
    for f in (smt.soft_margin_loss, lambda x, y, r: F.soft_margin_loss(x, y, reduction=r)):
        xs = x.clone().requires_grad_()
        loss = f(xs, y, reduction)
        (g,) = torch.autograd.grad(loss.sum(), xs, create_graph=True)
        (h,) = torch.autograd.grad(g.sum(), xs)
        results.append((loss.detach(), g.detach(), h))
    for ours, theirs in zip(*results):
        torch.testing.assert_close(ours, theirs, rtol=1e-12, atol=1e-15)


def numpy_of(t):
    """A tensor as the numpy API takes it (bfloat16 as uint16 bits), with that API's dtype."""
    t = t.detach().contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().view(np.uint16), "bfloat16"
    return t.numpy(), None


def bits(a):
    """An array's or tensor's bytes, to compare results bit for bit (-0.0 and NaNs included)."""
    if isinstance(a, torch.Tensor):
        a = numpy_of(a)[0]
    return np.ascontiguousarray(a).tobytes()


@pytest.mark.parametrize("dtype", TYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_the_same_bits_as_the_numpy_functions(dtype, reduction):
    # The module calls the library on the tensors' memory; softmargin.forward, backward and
    # gradient_hessian on numpy copies are the reference, bit for bit. Inputs: a transposed
    # (non-contiguous) tensor with the extremes and zeros of either sign in it, and no elements.
    x, y = data(dtype, (6, 5), seed=3)
    x[0, :4] = torch.tensor([0.0, -0.0, 1e4, -1e4])
    for xs, ys in ((x.t(), y.t()), (x[:0], y[:0])):
        xn, kind = numpy_of(xs)
        yn, _ = numpy_of(ys)
        xg = xs.clone().requires_grad_()
        loss = smt.soft_margin_loss(xg, ys, reduction)
        assert bits(loss) == bits(softmargin.forward(xn, yn, reduction, dtype=kind))
        seed = torch.rand(loss.shape).to(dtype).t().contiguous().t()  # non-contiguous for "none"
        (g,) = torch.autograd.grad(loss, xg, seed, create_graph=True)
        seed_np = numpy_of(seed)[0] if reduction == "none" else seed.double().item()
        want = bits(softmargin.backward(seed_np, xn, yn, reduction, dtype=kind))
        assert bits(g) == want
        # Without create_graph the module computes the gradient outside autograd: the same bits.
        (g_plain,) = torch.autograd.grad(smt.soft_margin_loss(xg, ys, reduction), xg, seed)
        assert bits(g_plain) == want
        if xs.numel() and dtype == torch.float64:
            # Through the second derivative: d(sum(g))/dx = seed * c * slope'.
            (h,) = torch.autograd.grad(g.sum(), xg)
            _, second = softmargin.gradient_hessian(xn, yn, reduction, dtype=kind)
            torch.testing.assert_close(h, seed * torch.from_numpy(second), rtol=0, atol=0)


def test_finite_where_torch_overflows():
    x = torch.tensor([1000.0, -1000.0, 0.0])
    y = torch.tensor([-1.0, 1.0, 1.0])
    assert torch.isinf(F.soft_margin_loss(x, y, reduction="none")).any()
    ours = smt.soft_margin_loss(x, y, "none")
    assert torch.isfinite(ours).all()
    assert ours.tolist() == [1000.0, 1000.0, pytest.approx(np.log(2.0), rel=1e-7)]


def test_bad_tensors_raise():
    x, y = data(torch.float32, (4,))
    with pytest.raises(ValueError, match="CPU"):
        smt.soft_margin_loss(x.to("meta"), y.to("meta"))
    with pytest.raises(TypeError, match="float32, float64, float16 or bfloat16"):
        smt.soft_margin_loss(x.int(), y.int())
    with pytest.raises(TypeError, match="dtype"):
        smt.soft_margin_loss(x, y.double())
    with pytest.raises(ValueError, match="shape"):
        smt.soft_margin_loss(x, y[:3])
    with pytest.raises(TypeError, match="torch.Tensor"):
        smt.soft_margin_loss(x.numpy(), y)
    with pytest.raises(ValueError, match="reduction"):
        smt.SoftMarginLoss("average")
    with pytest.raises(RuntimeError, match="target"):
        smt.soft_margin_loss(x, y.clone().requires_grad_())


def test_a_training_loop_learns():
    torch.manual_seed(0)
    features = torch.randn(256, 8)
    y = torch.sign(features @ torch.randn(8))
    model = torch.nn.Linear(8, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    loss_fn = smt.SoftMarginLoss()
    assert repr(loss_fn) == "SoftMarginLoss(reduction='mean')"
    first = None
    for _ in range(100):
        opt.zero_grad()
        loss = loss_fn(model(features).squeeze(1), y)
        loss.backward()
        opt.step()
        first = loss.item() if first is None else first
    assert loss.item() < 0.25 * first
