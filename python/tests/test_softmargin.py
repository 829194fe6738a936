"""The Python package against an independent numpy reference, np.logaddexp(0, -y x)."""

import os
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

import softmargin

REPO = pathlib.Path(__file__).resolve().parents[2]


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


def bf16_bits(values):
    """Finite values rounded to bfloat16 (to nearest, ties to even), as uint16 bits."""
    bits = np.asarray(values, np.float32).view(np.uint32).astype(np.uint64)
    return ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)


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
    with pytest.raises(TypeError, match="float16, float32, float64 or bfloat16"):
        softmargin.forward(x.astype(np.int32), y)
    with pytest.raises(TypeError, match="dtype"):
        softmargin.forward(x, y.astype(np.float64))
    with pytest.raises(ValueError, match="shape"):
        softmargin.forward(x, y[:4])
    with pytest.raises(ValueError, match="C-contiguous"):
        softmargin.forward(x, y, "none", out=np.zeros(16, np.float32)[::2])
    with pytest.raises(TypeError, match="numpy array"):
        softmargin.forward(x, y, "none", out=[0.0] * 8)
    with pytest.raises(ValueError, match="reduction"):
        softmargin.forward(x, y, "average")
    out = np.full(8, 7.0, np.float32)
    with pytest.raises(ValueError, match="shape"):
        softmargin.forward(x, y, "none", out=out[:4])
    with pytest.raises(TypeError):
        softmargin.forward(x, y, "none", out=out.astype(np.float64))
    with pytest.raises(ValueError, match="scalar"):
        softmargin.backward(np.ones(2, np.float32), x, y, "mean")
    # Not numbers: refused, never converted (None would become NaN).
    for bad in (None, "abc", True, [1.0, None], [True, False], b"12"):
        with pytest.raises(TypeError):
            softmargin.forward(bad, 1.0)
        with pytest.raises(TypeError):
            softmargin.forward(np.float32(1.0), bad)
        with pytest.raises(TypeError):
            softmargin.backward(bad, x, y, "sum")
    assert (out == 7.0).all()


def test_none_strings_bools_and_big_integers_raise():
    x, y = data(np.float32, 3)
    for call in (lambda: softmargin.forward(None, None),
                 lambda: softmargin.forward(x, [1, None, -1], "none"),
                 lambda: softmargin.forward("2.5", "1"),
                 lambda: softmargin.set_num_threads(True),
                 lambda: softmargin.set_num_threads(2.0),
                 lambda: softmargin.set_num_threads(None),
                 lambda: softmargin.set_num_threads("2"),
                 lambda: softmargin.forward_backward_shard(x, y, True, "mean"),
                 lambda: softmargin.forward_backward_shard(x, y, 20.0, "mean"),
                 lambda: softmargin.forward_backward_shard(x, y, "20", "mean"),
                 lambda: softmargin.merge_partials("not bytes")):
        with pytest.raises(TypeError):
            call()
    threads = softmargin.get_num_threads()
    for bad in (2**64 + 5, 2**64, -1):
        with pytest.raises(OverflowError, match="num_threads"):
            softmargin.set_num_threads(bad)
        with pytest.raises(OverflowError, match="total_len"):
            softmargin.forward_backward_shard(x, y, bad, "mean")
    assert softmargin.get_num_threads() == threads
    with pytest.raises(ValueError, match="total_len"):
        softmargin.forward_backward_shard(x, y, 2, "mean")


def test_numpy_integers_are_integers():
    x, y = data(np.float64, 20)
    part, grad = softmargin.forward_backward_shard(x, y, np.int64(40), "mean")
    want_part, want_grad = softmargin.forward_backward_shard(x, y, 40, "mean")
    assert part == want_part and grad.tobytes() == want_grad.tobytes()
    threads = softmargin.get_num_threads()
    softmargin.set_num_threads(np.uint8(2))
    assert softmargin.get_num_threads() == 2
    softmargin.set_num_threads(threads)


def test_buffer_protocol_inputs_keep_their_type():
    import array

    x, y = data(np.float32, 64)
    want = softmargin.forward(x, y, "none")
    for xs, ys in ((memoryview(x), memoryview(y)), (array.array("f", x), array.array("f", y))):
        got = softmargin.forward(xs, ys, "none")
        assert got.dtype == np.float32
        assert got.tobytes() == want.tobytes()
    assert softmargin.forward(array.array("d", x), y.astype(np.float64)).dtype == np.float64


def test_a_bfloat16_grad_output_is_converted_by_value():
    x, y = data(np.float32, 3)
    xb, yb = bf16_bits(x), bf16_bits(y)
    want = softmargin.backward(1.0, xb, yb, "sum", dtype="bfloat16")
    assert (want != 0).all() and (want != 0x8000).all()
    for g in (np.float32(1.0), np.float64(1.0), np.array([1.0], np.float32), np.int64(1),
              np.array(1.0)):
        got = softmargin.backward(g, xb, yb, "sum", dtype="bfloat16")
        assert got.tobytes() == want.tobytes(), g
    # A uint16 grad_output is bfloat16 bits, as every uint16 array is with dtype="bfloat16".
    got = softmargin.backward(np.uint16(0x3F80), xb, yb, "sum", dtype="bfloat16")
    assert got.tobytes() == want.tobytes()


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


class ArrayLike:
    """What a CPU torch tensor offers numpy: a dtype and __array__."""

    def __init__(self, array):
        self._array = array
        self.dtype = array.dtype

    def __array__(self, dtype=None, copy=None):
        return self._array if dtype is None else self._array.astype(dtype)


def test_lists_array_likes_and_strided_inputs():
    x, y = data(np.float32, 16, seed=4)
    expected = softmargin.forward(x, y, "none")
    # Lists take the other operand's dtype; two lists are float64.
    np.testing.assert_array_equal(softmargin.forward(x.tolist(), y, "none"), expected)
    np.testing.assert_array_equal(softmargin.forward(x, y.tolist(), "none"), expected)
    both = softmargin.forward(x.tolist(), y.tolist(), "none")
    assert both.dtype == np.float64
    np.testing.assert_allclose(both, reference_loss(x, y), rtol=1e-13)
    np.testing.assert_array_equal(
        softmargin.forward(ArrayLike(x), ArrayLike(y), "none"), expected)
    # A strided view is copied, and gives what the contiguous data gives.
    wide = np.zeros((16, 3), np.float32)
    wide[:, 1] = x
    np.testing.assert_array_equal(softmargin.forward(wide[:, 1], y, "none"), expected)
    grad = softmargin.backward(np.ones(32, np.float32)[::2], wide[:, 1], y[::-1][::-1], "none")
    np.testing.assert_array_equal(grad, softmargin.backward(np.ones(16, np.float32), x, y, "none"))


def test_torch_tensors_when_torch_is_installed():
    torch = pytest.importorskip("torch")
    x, y = data(np.float32, 16, seed=5)
    np.testing.assert_array_equal(
        softmargin.forward(torch.from_numpy(x), torch.from_numpy(y), "none"),
        softmargin.forward(x, y, "none"))


def test_the_object_api():
    x, y = data(np.float64, 100, seed=6)
    loss_fn = softmargin.SoftMarginLoss()
    assert loss_fn.reduction == "mean" and repr(loss_fn) == "SoftMarginLoss(reduction='mean')"
    with pytest.raises(AttributeError):
        loss_fn.reduction = "sum"
    with pytest.raises(ValueError, match="reduction"):
        softmargin.SoftMarginLoss("average")
    assert loss_fn(x, y) == loss_fn.forward(x, y) == softmargin.forward(x, y, "mean")
    for reduction in ("none", "mean", "sum"):
        fn = softmargin.SoftMarginLoss(reduction=reduction)
        np.testing.assert_array_equal(fn(x, y), softmargin.forward(x, y, reduction))
        g = np.full(x.shape, 0.5) if reduction == "none" else 0.5
        np.testing.assert_array_equal(fn.backward(g, x, y),
                                      softmargin.backward(g, x, y, reduction))
        loss, grad = fn.forward_backward(x, y)
        np.testing.assert_array_equal(loss, softmargin.forward(x, y, reduction))
        np.testing.assert_array_equal(grad, softmargin.backward(
            np.ones(x.shape) if reduction == "none" else 1.0, x, y, reduction))


def test_the_seed_example():
    # const loss_fn = new torch.nn.SoftMarginLoss({ reduction: 'mean' });
    # const loss = loss_fn.forward(scores, y);
    scores = np.array([0.8, -1.2, 2.5, -0.3, 40.0, -90.0], dtype=np.float32)
    y = np.array([1, -1, 1, 1, -1, 1], dtype=np.float32)
    loss_fn = softmargin.SoftMarginLoss(reduction="mean")
    loss = loss_fn.forward(scores, y)
    assert loss.dtype == np.float32
    assert loss == pytest.approx(reference_loss(scores, y).mean(), rel=2 * 2.0**-24)


def header_constants():
    text = (REPO / "include" / "softmargin.h").read_text()
    return {name: int(value) for name, value in
            re.findall(r"^#define SOFTMARGIN_((?:STATUS|REDUCTION)_[A-Z_]+) (\d+)$", text, re.M)}


def test_constants_match_the_header():
    header = header_constants()
    statuses = {k[len("STATUS_"):]: v for k, v in header.items() if k.startswith("STATUS_")}
    reductions = {k[len("REDUCTION_"):].lower(): v for k, v in header.items()
                  if k.startswith("REDUCTION_")}
    assert len(statuses) >= 8 and reductions == softmargin.REDUCTIONS
    python = {name[len("STATUS_"):]: getattr(softmargin, name)
              for name in dir(softmargin) if name.startswith("STATUS_")}
    assert python == statuses
    for status in statuses.values():
        assert softmargin._lib.softmargin_status_str(status)
    text = (REPO / "include" / "softmargin.h").read_text()
    assert re.search(rf"^#define SOFTMARGIN_BLOCK {softmargin.BLOCK}$", text, re.M)
    assert re.search(rf"^#define SOFTMARGIN_PARTIAL_SIZE {softmargin.PARTIAL_SIZE}$", text, re.M)
    struct = re.search(r"typedef struct \{(.*?)\} softmargin_partial;", text, re.S).group(1)
    assert re.search(r"uint8_t bytes\[SOFTMARGIN_PARTIAL_SIZE\];", struct)


def test_public_names():
    for name in ("ctypes", "cffi", "ffi", "np", "numpy", "operator", "os"):
        assert not hasattr(softmargin, name), name
    for name in softmargin.__all__:
        assert hasattr(softmargin, name), name


def test_version_is_the_library_s_and_cargo_s():
    cargo = re.search(r'^version = "([^"]+)"', (REPO / "Cargo.toml").read_text(), re.M)
    assert softmargin.__version__ == softmargin.version() == cargo.group(1)


def test_a_failed_load_says_what_was_tried():
    env = dict(os.environ, SOFTMARGIN_LIBRARY="/nonexistent/libsoftmargin.so")
    run = subprocess.run([sys.executable, "-c", "import softmargin"], env=env,
                         capture_output=True, text=True)
    assert run.returncode != 0
    assert "ImportError" in run.stderr
    assert "SOFTMARGIN_LIBRARY='/nonexistent/libsoftmargin.so'" in run.stderr


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork() here")
def test_a_forked_child_gets_the_parent_s_results():
    x, y = data(np.float32, 1 << 20, seed=7)
    parent = softmargin.forward_backward(x, y, "mean")  # starts the thread pool
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            loss, grad = softmargin.forward_backward(x, y, "mean")
            os.write(write, np.float32(loss).tobytes() + grad.tobytes()[:4096])
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        child = pipe.read()
    _, status = os.waitpid(pid, 0)
    assert status == 0
    assert child == np.float32(parent[0]).tobytes() + parent[1].tobytes()[:4096]


def test_the_training_example_learns():
    run = subprocess.run([sys.executable, str(REPO / "examples" / "train.py")],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    losses = [float(line.split()[3]) for line in run.stdout.splitlines()
              if line.startswith("epoch ")]
    assert len(losses) >= 10 and all(b < a for a, b in zip(losses, losses[1:])), run.stdout
    accuracy = float(run.stdout.split("accuracy ")[1].split()[0])
    assert accuracy >= 0.9, run.stdout


def test_float16_is_correctly_rounded_against_numpy():
    # Every finite float16 input with targets +1 and -1: numpy's float64 value rounded once.
    x = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16).view(np.float16)
    x = x[np.isfinite(x)]
    for target in (1.0, -1.0):
        y = np.full_like(x, target)
        loss, grad = softmargin.forward_backward(x, y, "none")
        assert loss.dtype == np.float16 and grad.dtype == np.float16
        np.testing.assert_array_equal(loss, reference_loss(x, y).astype(np.float16))
        np.testing.assert_array_equal(grad, reference_slope(x, y).astype(np.float16))
    # Where PyTorch's float16 gives inf and NaN.
    loss, grad = softmargin.SoftMarginLoss("none").forward_backward(
        np.array([-12.0], np.float16), np.array([1.0], np.float16))
    assert loss[0] == 12 and grad[0] == -1
    mean = softmargin.forward(x[:1000], np.ones(1000, np.float16))
    assert mean.dtype == np.float16
    assert mean == np.float16(reference_loss(x[:1000], np.ones(1000)).mean())


def test_bfloat16_as_bits():
    bits = lambda v: softmargin._bfloat16_bits(v)  # noqa: E731
    x, y = bits([-100.0, 0.0, 3.0]), bits([1.0, 1.0, -1.0])
    assert x.dtype == np.uint16 and list(x) == [0xC2C8, 0x0000, 0x4040]
    loss, grad = softmargin.forward_backward(x, y, "none", dtype="bfloat16")
    assert loss.dtype == np.uint16
    assert loss[0] == 0x42C8 and grad[0] == 0xBF80  # 100 and -1
    wide = lambda b: (b.astype(np.uint32) << 16).view(np.float32).astype(np.float64)  # noqa: E731
    want = reference_loss(wide(x), wide(y))
    np.testing.assert_array_equal(loss, bits(want.astype(np.float32)))
    # Lists of numbers are rounded to bfloat16 first; a scalar grad_output too.
    np.testing.assert_array_equal(
        softmargin.forward([-100.0, 0.0, 3.0], [1.0, 1.0, -1.0], "none", dtype="bfloat16"), loss)
    g = softmargin.backward(1.0, x, y, "sum", dtype="bfloat16")
    np.testing.assert_array_equal(g, grad)
    assert softmargin.check_target(bits([1.0, 0.5]), dtype="bfloat16") == 1
    with pytest.raises(TypeError, match="uint16"):
        softmargin.forward(np.zeros(3, np.float32), y, dtype="bfloat16")
    with pytest.raises(ValueError, match="dtype"):
        softmargin.forward(x, y, dtype="float8")


def test_ml_dtypes_bfloat16_when_installed():
    ml_dtypes = pytest.importorskip("ml_dtypes")
    x = np.array([-100.0, 0.0, 3.0]).astype(ml_dtypes.bfloat16)
    y = np.array([1.0, 1.0, -1.0]).astype(ml_dtypes.bfloat16)
    loss, grad = softmargin.forward_backward(x, y, "none")
    assert loss.dtype == x.dtype and float(loss[0]) == 100.0 and float(grad[0]) == -1.0
    bits = softmargin.forward(x.view(np.uint16), y.view(np.uint16), "none", dtype="bfloat16")
    np.testing.assert_array_equal(loss.view(np.uint16), bits)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gradient_hessian_against_numpy(dtype):
    x, y = data(dtype, seed=8)
    x[:4] = [1000, -1000, 30, -30]
    m = -(y.astype(np.float64) * x.astype(np.float64))
    # sigmoid(m) sigmoid(-m) = exp(-|m|) / (1 + exp(-|m|))^2, stable.
    e = np.exp(-np.abs(m))
    second = y.astype(np.float64) ** 2 * e / (1 + e) ** 2
    for reduction, c in (("none", 1.0), ("sum", 1.0), ("mean", 1.0 / x.size)):
        grad, hess = softmargin.gradient_hessian(x, y, reduction)
        assert grad.dtype == dtype and hess.dtype == dtype
        np.testing.assert_allclose(grad, reference_slope(x, y) * c, **tolerance(dtype))
        np.testing.assert_allclose(hess, second * c, **tolerance(dtype))
    grad, hess = softmargin.SoftMarginLoss("sum").gradient_hessian(x, y)
    np.testing.assert_allclose(grad, softmargin.backward(1.0, x, y, "sum"), **tolerance(dtype))
    with pytest.raises(TypeError, match="float16, float32, float64 or bfloat16"):
        softmargin.gradient_hessian(x.astype(np.int32), y.astype(np.int32))
    with pytest.raises(TypeError):
        softmargin.gradient_hessian(None, y)
    with pytest.raises(TypeError):
        softmargin.gradient_hessian("abc", y)


def test_half_types_gradient_hessian_and_shards():
    # float16: every finite input with targets +1 and -1, against numpy's float64 values
    # rounded once (to within one ulp: numpy's own value is not correctly rounded).
    x = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16).view(np.float16)
    x = x[np.isfinite(x)]
    for t in (1.0, -1.0):
        y = np.full(x.size, t, np.float16)
        grad, hess = softmargin.gradient_hessian(x, y, "none")
        assert grad.dtype == np.float16 and hess.dtype == np.float16
        m = -(y.astype(np.float64) * x.astype(np.float64))
        e = np.exp(-np.abs(m))
        want = (e / (1 + e) ** 2).astype(np.float16)
        ulp = np.spacing(np.abs(want)).astype(np.float64)
        assert np.all(np.abs(hess.astype(np.float64) - want.astype(np.float64)) <= ulp)
        np.testing.assert_array_equal(grad, softmargin.backward(1.0, x, y, "sum"))
    # bfloat16 bits: the gradient beside the second derivative is backward()'s.
    xb = softmargin._bfloat16_bits([-50.0, 0.0, 3.0])
    yb = softmargin._bfloat16_bits([1.0, 1.0, -1.0])
    grad, hess = softmargin.gradient_hessian(xb, yb, "sum", dtype="bfloat16")
    assert grad.dtype == np.uint16
    np.testing.assert_array_equal(grad, softmargin.backward(1.0, xb, yb, "sum", dtype="bfloat16"))
    assert hess[1] == softmargin._bfloat16_bits(0.25)
    # Shards of float16 data cut at a block boundary finish to the one call's MEAN, in float16.
    rng = np.random.default_rng(6)
    n = 2 * softmargin.BLOCK + 9
    x = rng.uniform(-20, 20, n).astype(np.float16)
    y = np.where(rng.random(n) < 0.5, -1.0, 1.0).astype(np.float16)
    mean, grad = softmargin.forward_backward(x, y, "mean")
    b = softmargin.BLOCK
    p1, g1 = softmargin.forward_backward_shard(x[:b], y[:b], n, "mean")
    p2, g2 = softmargin.forward_backward_shard(x[b:], y[b:], n, "mean")
    assert np.concatenate([g1, g2]).tobytes() == grad.tobytes()
    merged = softmargin.merge_partials(p2, p1)
    finished = softmargin.finish_partial(merged, "mean", np.float16)
    assert finished.dtype == np.float16 and finished.tobytes() == mean.tobytes()
    assert softmargin.forward_partial(x, y) == merged
    # bfloat16 bits: a partial finishes to bits.
    part = softmargin.forward_partial(xb, yb, dtype="bfloat16")
    total = softmargin.forward(xb, yb, "sum", dtype="bfloat16")
    assert softmargin.finish_partial(part, "sum", "bfloat16") == total
    with pytest.raises(TypeError):
        softmargin.finish_partial(part, "sum", np.uint16)
    with pytest.raises(TypeError):
        softmargin.finish_partial(part, "sum", "quarter")


def test_shards_merge_to_the_one_call():
    rng = np.random.default_rng(4)
    n = 3 * softmargin.BLOCK + 77
    x = rng.uniform(-30, 30, n).astype(np.float32)
    y = np.where(rng.random(n) < 0.5, -1.0, 1.0).astype(np.float32)
    mean, grad = softmargin.forward_backward(x, y, "mean")
    cuts = [0, softmargin.BLOCK, 3 * softmargin.BLOCK, n]
    parts, grads = [], []
    for a, b in zip(cuts, cuts[1:]):
        part, g = softmargin.forward_backward_shard(x[a:b], y[a:b], n, "mean")
        assert len(part) == softmargin.PARTIAL_SIZE
        parts.append(part)
        grads.append(g)
    assert np.concatenate(grads).tobytes() == grad.tobytes()
    merged = softmargin.merge_partials(*parts)
    assert merged == softmargin.merge_partials(*reversed(parts))
    assert merged == softmargin.forward_partial(x, y)
    assert softmargin.finish_partial(merged, "mean").tobytes() == mean.tobytes()
    total = softmargin.forward(x, y, "sum")
    assert softmargin.finish_partial(merged, "sum").tobytes() == total.tobytes()
    # As a torch.distributed or MPI buffer would carry it: uint8 arrays.
    as_arrays = [np.frombuffer(p, dtype=np.uint8) for p in parts]
    assert softmargin.merge_partials(*as_arrays) == merged
    with pytest.raises(ValueError):
        softmargin.merge_partials(b"short")
    with pytest.raises(ValueError):
        softmargin.forward_backward_shard(x, y, n - 1, "mean")
    with pytest.raises(ValueError):
        softmargin.finish_partial(merged, "none")
    empty = softmargin.merge_partials()
    assert empty == softmargin.forward_partial(x[:0], y[:0]) != bytes(softmargin.PARTIAL_SIZE)
    assert np.isnan(softmargin.finish_partial(empty, "mean"))
    # A partial damaged on its way, or zeroed bytes: refused by the merge and the finish.
    damaged = bytearray(merged)
    damaged[40] ^= 4
    for bad in (bytes(damaged), bytes(softmargin.PARTIAL_SIZE)):
        with pytest.raises(softmargin.SoftMarginError) as err:
            softmargin.merge_partials(parts[0], bad)
        assert err.value.status == softmargin.STATUS_INVALID_PARTIAL
        with pytest.raises(softmargin.SoftMarginError) as err:
            softmargin.finish_partial(bad, "sum")
        assert err.value.status == softmargin.STATUS_INVALID_PARTIAL
