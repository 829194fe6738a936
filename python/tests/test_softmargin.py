"""The Python package against an independent numpy reference, np.logaddexp(0, -y x)."""

import numpy as np
import pytest

import softmargin


def reference_loss(x, y):
    m = -(y.astype(np.float64) * x.astype(np.float64))
    return np.logaddexp(0.0, m)


def reference_slope(x, y):
    m = -(y.astype(np.float64) * x.astype(np.float64))
    # -y sigmoid(m), with sigmoid(m) = exp(m - logaddexp(0, m)): no overflow.
    return -y.astype(np.float64) * np.exp(m - np.logaddexp(0.0, m))


def data(dtype, n=1000, seed=0):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(n) * 20).astype(dtype)
    y = rng.choice(np.array([-1.0, 1.0], dtype=dtype), n)
    return x, y


def tolerance(dtype):
    """float32 results against the float64 reference: 2 float32 ulp (and 2 subnormal steps).
    float64 results: bounded by the reference's own error (numpy's logaddexp and exp), not by
    the library's."""
    if dtype == np.float32:
        return {"rtol": 2 * np.finfo(np.float32).eps, "atol": 2 * 2.0**-149}
    return {"rtol": 1e-13, "atol": 1e-300}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_forward_matches_numpy(dtype):
    x, y = data(dtype)
    loss = softmargin.forward(x, y, "none")
    assert loss.dtype == dtype and loss.shape == x.shape
    np.testing.assert_allclose(loss, reference_loss(x, y), **tolerance(dtype))
    ref = reference_loss(x, y)
    assert softmargin.forward(x, y, "sum") == pytest.approx(ref.sum(), rel=1e-6)
    mean = softmargin.forward(x, y)  # "mean" is the default
    assert isinstance(mean, np.floating) and mean.dtype == dtype
    assert mean == pytest.approx(ref.mean(), rel=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_backward_and_fused_match_numpy(dtype):
    x, y = data(dtype, seed=1)
    g = np.linspace(-2, 2, x.size).astype(dtype)
    grad = softmargin.backward(g, x, y, "none")
    np.testing.assert_allclose(grad, reference_slope(x, y) * g, **tolerance(dtype))
    grad = softmargin.backward(0.5, x, y, "mean")
    np.testing.assert_allclose(grad, reference_slope(x, y) * 0.5 / x.size, **tolerance(dtype))
    loss, grad = softmargin.forward_backward(x, y, "sum")
    assert loss == softmargin.forward(x, y, "sum")
    np.testing.assert_array_equal(grad, softmargin.backward(1.0, x, y, "sum"))


def test_the_pytorch_overflow_case():
    loss, grad = softmargin.forward_backward(
        np.array([-100.0], dtype=np.float32), np.array([1.0], dtype=np.float32), "none")
    assert loss[0] == 100.0 and grad[0] == -1.0


def test_out_parameters_and_in_place():
    x, y = data(np.float64, 64, seed=2)
    out = np.empty_like(x)
    assert softmargin.forward(x, y, "none", out=out) is out
    buf = x.copy()
    softmargin.forward(buf, y, "none", out=buf)
    np.testing.assert_array_equal(buf, out)
    grad = np.empty_like(x)
    scalar = np.empty(1)
    loss, g = softmargin.forward_backward(x, y, "mean", out=scalar, grad_out=grad)
    assert loss is scalar and g is grad and scalar[0] == softmargin.forward(x, y)


def test_shapes_are_kept():
    x, y = data(np.float32, 24, seed=3)
    x, y = x.reshape(2, 3, 4), y.reshape(2, 3, 4)
    assert softmargin.forward(x, y, "none").shape == (2, 3, 4)
    assert softmargin.backward(np.ones_like(x), x, y, "none").shape == (2, 3, 4)


def test_bad_arguments_raise_before_any_call():
    x, y = data(np.float32, 8)
    with pytest.raises(TypeError, match="numpy array"):
        softmargin.forward([1.0, 2.0], y)
    with pytest.raises(TypeError, match="float32 or float64"):
        softmargin.forward(x.astype(np.int32), y)
    with pytest.raises(TypeError, match="dtype"):
        softmargin.forward(x, y.astype(np.float64))
    with pytest.raises(ValueError, match="shape"):
        softmargin.forward(x, y[:4])
    with pytest.raises(ValueError, match="C-contiguous"):
        softmargin.forward(np.zeros((4, 4), np.float32)[:, 0], np.zeros(4, np.float32))
    with pytest.raises(ValueError, match="reduction"):
        softmargin.forward(x, y, "average")
    out = np.full(8, 7.0, np.float32)
    with pytest.raises(ValueError, match="shape"):
        softmargin.forward(x, y, "none", out=out[:4])
    with pytest.raises(TypeError):
        softmargin.forward(x, y, "none", out=out.astype(np.float64))
    with pytest.raises(ValueError, match="scalar"):
        softmargin.backward(np.ones(2, np.float32), x, y, "mean")
    assert (out == 7.0).all()


def test_library_errors_carry_the_status():
    x = np.arange(8, dtype=np.float64)
    y = np.ones(8)
    # The output overlapping the input by one element: refused by the library.
    with pytest.raises(softmargin.SoftMarginError) as err:
        softmargin.forward(x[:7], y[:7], "none", out=x[1:])
    assert err.value.status == 3
    assert (x == np.arange(8)).all()


def test_check_target_and_threads():
    assert softmargin.check_target(np.array([1.0, -1.0], np.float32)) is None
    assert softmargin.check_target(np.array([1.0, 0.0, 1.0])) == 1
    softmargin.set_num_threads(2)
    assert softmargin.get_num_threads() == 2
    softmargin.set_num_threads(0)
    with pytest.raises(softmargin.SoftMarginError):
        softmargin.set_num_threads(10**6)
    assert softmargin.version().count(".") == 2


def test_isa_names_a_path():
    assert softmargin.isa() in ("avx512", "avx2", "portable")
