"""SoftMarginLoss, forward and backward, on numpy arrays, through the softmargin C library.

    loss_fn = softmargin.SoftMarginLoss(reduction="mean")
    loss = loss_fn(scores, y)                   # or loss_fn.forward(scores, y)
    grad = loss_fn.backward(1.0, scores, y)

The functions forward, backward and forward_backward do the same with the reduction as an
argument. Reductions are "none", "mean" and "sum", as in torch.nn.SoftMarginLoss.

Inputs are float16, float32, float64 or bfloat16 arrays of one dtype and shape (bfloat16 as
ml_dtypes.bfloat16 arrays, or as uint16 arrays of its bits with dtype="bfloat16"; results come
back in the input's type, the float32 and 16-bit ones correctly rounded): numpy arrays, anything
numpy.asarray converts without copying a dtype (CPU torch tensors, for instance), or Python
lists and numbers, which take the other operand's dtype (float64 if neither has one). A
non-contiguous input is copied to a contiguous one first. Output arrays (out=, grad_out=) are
written in place, so they must be C-contiguous numpy arrays of the right dtype and shape. Bad
arguments raise TypeError or ValueError before the library is called.

Arguments are checked before the library is called: None, bool and str are never numbers,
integers out of a C argument's range raise OverflowError, and NumPy integers are taken wherever
Python ints are.

The package calls the library through cffi. It loads the library built into the package; the
environment variable SOFTMARGIN_LIBRARY, if set, names another build of libsoftmargin.so to load
instead.
"""

from __future__ import annotations

import operator as _operator
import os as _os
from typing import Literal as _Literal
from typing import Optional as _Optional
from typing import Tuple as _Tuple
from typing import Union as _Union

import numpy as _np
import numpy.typing as _npt

from ._native.ffi import ffi as _ffi

__version__ = "0.1.0"

__all__ = [
    "BLOCK",
    "PARTIAL_SIZE",
    "REDUCTIONS",
    "STATUS_INVALID_ARGUMENT",
    "STATUS_INVALID_PARTIAL",
    "STATUS_INVALID_REDUCTION",
    "STATUS_INVALID_TARGET",
    "STATUS_MISALIGNED",
    "STATUS_NULL_POINTER",
    "STATUS_OK",
    "STATUS_OVERLAP",
    "STATUS_PANIC",
    "SoftMarginError",
    "SoftMarginLoss",
    "backward",
    "check_target",
    "finish_partial",
    "forward",
    "forward_backward",
    "forward_backward_shard",
    "forward_partial",
    "get_num_threads",
    "gradient_hessian",
    "isa",
    "library_path",
    "merge_partials",
    "set_num_threads",
    "version",
]


def _load():
    """The library's path and cffi handle: SOFTMARGIN_LIBRARY's, else the package's own."""
    explicit = _os.environ.get("SOFTMARGIN_LIBRARY")
    if explicit:
        try:
            return explicit, _ffi.dlopen(explicit)
        except OSError as err:
            raise ImportError(f"softmargin could not load SOFTMARGIN_LIBRARY={explicit!r}: "
                              f"{err}") from None
    from . import _native

    here = _os.path.dirname(_os.path.abspath(_native.__file__))
    names = [name for name in sorted(_os.listdir(here)) if name.endswith((".so", ".dylib", ".dll"))]
    return _os.path.join(here, names[0]), _native.lib


library_path, _lib = _load()

#: The C reductions (SOFTMARGIN_REDUCTION_* in softmargin.h), by their Python names.
REDUCTIONS = {"none": _lib.SOFTMARGIN_REDUCTION_NONE, "mean": _lib.SOFTMARGIN_REDUCTION_MEAN,
              "sum": _lib.SOFTMARGIN_REDUCTION_SUM}

# The statuses of softmargin.h (SOFTMARGIN_STATUS_*), carried by SoftMarginError.status.
STATUS_OK = _lib.SOFTMARGIN_STATUS_OK
STATUS_NULL_POINTER = _lib.SOFTMARGIN_STATUS_NULL_POINTER
STATUS_INVALID_REDUCTION = _lib.SOFTMARGIN_STATUS_INVALID_REDUCTION
STATUS_OVERLAP = _lib.SOFTMARGIN_STATUS_OVERLAP
STATUS_INVALID_TARGET = _lib.SOFTMARGIN_STATUS_INVALID_TARGET
STATUS_INVALID_ARGUMENT = _lib.SOFTMARGIN_STATUS_INVALID_ARGUMENT
STATUS_PANIC = _lib.SOFTMARGIN_STATUS_PANIC
STATUS_MISALIGNED = _lib.SOFTMARGIN_STATUS_MISALIGNED
STATUS_INVALID_PARTIAL = _lib.SOFTMARGIN_STATUS_INVALID_PARTIAL

#: The size in bytes of a partial sum (softmargin_partial): bytes in one format on every host,
#: with a checksum, to send between processes and machines.
PARTIAL_SIZE = _ffi.sizeof("softmargin_partial")

#: Elements in a block of the reductions (SOFTMARGIN_BLOCK): shards that start at multiples of
#: it merge to the one call's MEAN and SUM bit for bit.
BLOCK = _lib.SOFTMARGIN_BLOCK

#: The largest value of a size_t argument.
_SIZE_MAX = 2 ** (8 * _ffi.sizeof("size_t")) - 1


class SoftMarginError(RuntimeError):
    """A nonzero status from the library; .status holds it."""

    def __init__(self, status, message):
        super().__init__(f"softmargin status {status}: {message}")
        self.status = status


#: The C element type of each suffix (the 16-bit types as their bits).
_CTYPES = {"f32": "float", "f64": "double", "f16": "uint16_t", "bf16": "uint16_t"}


#: The types of the public signatures.
_Reduction = _Literal["none", "mean", "sum"]
_Bits = _Optional[_Literal["bfloat16"]]
_Out = _Optional[_np.ndarray]
_Loss = _Union[_np.ndarray, _np.generic]
_BytesLike = _Union[bytes, bytearray, memoryview]


def _function(name, kind):
    return getattr(_lib, f"softmargin_{name}_{kind}")


def _bfloat16_bits(value):
    """Numbers rounded to bfloat16 (to nearest, ties to even), as uint16 bits."""
    bits = _np.asarray(value, dtype=_np.float32).view(_np.uint32).astype(_np.uint64)
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(_np.uint16)
    nan = _np.isnan(_np.asarray(value, dtype=_np.float32))
    return _np.where(nan, _np.uint16(0x7FC0), rounded)


# The C suffix of each numpy dtype the library takes (bfloat16's, a dtype of ml_dtypes, by name).
_KINDS = {_np.dtype(_np.float32): "f32", _np.dtype(_np.float64): "f64",
          _np.dtype(_np.float16): "f16"}


def _kind(name, array, dtype):
    """The C suffix for `array`'s data: f32, f64, f16 or bf16 (`dtype` "bfloat16": uint16 bits)."""
    if dtype == "bfloat16":
        if array.dtype != _np.uint16 and array.dtype.name != "bfloat16":
            raise TypeError(f"{name} must hold bfloat16 bits as uint16 for dtype='bfloat16', "
                            f"not {array.dtype}")
        return "bf16"
    if dtype is not None:
        raise ValueError(f"dtype must be None or 'bfloat16', not {dtype!r}")
    kind = _KINDS.get(array.dtype)
    if kind is not None:
        return kind
    if array.dtype.name == "bfloat16" and array.dtype.itemsize == 2:  # ml_dtypes.bfloat16
        return "bf16"
    raise TypeError(f"{name} must be float16, float32, float64 or bfloat16, not {array.dtype}")


def _check(status):
    if status != 0:
        raise SoftMarginError(status, _ffi.string(_lib.softmargin_status_str(status)).decode())


def _typed(value):
    """Whether `value` carries its own element type: a numpy array or scalar, or an object of
    the buffer protocol (memoryview, array.array), which keeps its type."""
    if hasattr(value, "dtype"):
        return True
    try:
        memoryview(value)
    except TypeError:
        return False
    return True


def _integer(name, value):
    """`value` as a Python int: an int or a NumPy integer (never a bool, a float or a str), in
    the range of size_t, else OverflowError."""
    if isinstance(value, (bool, _np.bool_)):
        raise TypeError(f"{name} must be an integer, not bool")
    try:
        value = _operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer, not {type(value).__name__}") from None
    if not 0 <= value <= _SIZE_MAX:
        raise OverflowError(f"{name} must be in 0..{_SIZE_MAX}, not {value}")
    return value


def _numbers(name, value):
    """Refuses what is not a number or a (nested) list of numbers: None, str, bool and other
    objects raise TypeError rather than be converted (None to NaN, say)."""
    kind = _np.asarray(value).dtype.kind
    if kind not in "fiu":
        raise TypeError(f"{name} must be numbers, not {type(value).__name__}"
                        + ("" if kind == "O" else f" of {_np.asarray(value).dtype}"))


def _array(name, value, like=None, bits=False):
    """`value` as a C-contiguous numpy array of a supported type (`like`'s dtype, if given).

    With `bits` (dtype="bfloat16"), numbers and lists are rounded to bfloat16 bits first.
    """
    if not _typed(value):
        _numbers(name, value)
    if _typed(value):
        value = _np.asarray(value)
    elif bits and (like is None or like.dtype == _np.uint16):
        value = _bfloat16_bits(value)
    else:
        value = _np.asarray(value, dtype=_np.float64 if like is None else like.dtype)
    kind = _kind(name, value, "bfloat16" if bits else None)
    if like is not None and value.dtype != like.dtype:
        raise TypeError(f"{name} has dtype {value.dtype}, expected {like.dtype}")
    return _np.ascontiguousarray(value), kind


def _pair(input, target, dtype=None):
    # A list or a number takes the dtype of the other operand when that one has one.
    bits = dtype == "bfloat16"
    if dtype not in (None, "bfloat16"):
        raise ValueError(f"dtype must be None or 'bfloat16', not {dtype!r}")
    if _typed(input) or not _typed(target):
        input, kind = _array("input", input, bits=bits)
        target, _ = _array("target", target, input, bits)
    else:
        target, kind = _array("target", target, bits=bits)
        input, _ = _array("input", input, target, bits)
    if input.shape != target.shape:
        raise ValueError(f"input shape {input.shape} and target shape {target.shape} differ")
    return input, target, kind


def _scalar(name, value, dtype, reduction):
    """A number, or a one-element array of numbers, as a one-element array of `dtype`, converted
    by value (to bfloat16 bits when `dtype` is uint16, the bits of dtype="bfloat16")."""
    if not _typed(value):
        _numbers(name, value)
    value = _np.asarray(value)
    if value.dtype.kind not in "fiu" and value.dtype.name != "bfloat16":
        raise TypeError(f"{name} must be a number, not {value.dtype}")
    if value.size != 1:
        raise ValueError(f"{name} must be a scalar for reduction {reduction!r}")
    value = value.reshape(-1)
    if dtype == _np.uint16 and value.dtype == _np.uint16:
        return _np.ascontiguousarray(value)  # bfloat16 bits already
    if dtype == _np.uint16:
        return _bfloat16_bits(value.astype(_np.float32)).reshape(-1)
    return _np.ascontiguousarray(value.astype(dtype))


def _reduction(reduction):
    if not isinstance(reduction, str) or reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be 'none', 'mean' or 'sum', not {reduction!r}")
    return REDUCTIONS[reduction]


def _output(name, out, shape, dtype):
    """`out` checked as a writable destination of `shape`, or a new array."""
    if out is None:
        return _np.empty(shape, dtype=dtype)
    if not isinstance(out, _np.ndarray):
        raise TypeError(f"{name} must be a numpy array, not {type(out).__name__}")
    if out.dtype != dtype:
        raise TypeError(f"{name} has dtype {out.dtype}, expected {dtype}")
    if not out.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous: results are written into it")
    if out.shape != tuple(shape):
        raise ValueError(f"{name} has shape {out.shape}, expected {tuple(shape)}")
    if not out.flags.writeable:
        raise ValueError(f"{name} is read-only")
    return out


def _ptr(array, kind):
    """A pointer to `array`'s data (C-contiguous, of `kind`'s type) for the call."""
    return _ffi.from_buffer(_CTYPES[kind] + "[]", array)


def forward(input: _npt.ArrayLike, target: _npt.ArrayLike, reduction: _Reduction = "mean", *,
            out: _Out = None, dtype: _Bits = None) -> _Loss:
    """log(1 + exp(-target * input)), reduced: an array for "none", a scalar otherwise.

    For "none", `out` may receive the losses (it may be `input` or `target` itself); for "mean"
    and "sum", `out` may be a one-element array that receives the value.
    """
    input, target, kind = _pair(input, target, dtype)
    r = _reduction(reduction)
    f = _function("forward", kind)
    shape = input.shape if r == 0 else (() if out is None else out.shape)
    if r != 0 and out is not None and out.size != 1:
        raise ValueError(f"out must hold one element for reduction {reduction!r}")
    dest = _output("out", out, shape, input.dtype)
    _check(f(_ptr(input, kind), _ptr(target, kind), input.size, r, _ptr(dest, kind)))
    if r == 0:
        return dest
    return dest[()] if out is None else dest


def backward(grad_output: _npt.ArrayLike, input: _npt.ArrayLike, target: _npt.ArrayLike,
             reduction: _Reduction = "mean", *, out: _Out = None,
             dtype: _Bits = None) -> _np.ndarray:
    """The gradient of the loss with respect to `input`, an array shaped like it.

    `grad_output` is an array shaped like `input` for "none" and a scalar (a number or a
    one-element array) for "mean" and "sum". `out` may receive the gradient (it may be an input).
    """
    input, target, kind = _pair(input, target, dtype)
    r = _reduction(reduction)
    f = _function("backward", kind)
    if r == 0:
        g, _ = _array("grad_output", grad_output, input, dtype == "bfloat16")
        if g.shape != input.shape:
            raise ValueError(f"grad_output has shape {g.shape}, expected {input.shape}")
    else:
        g = _scalar("grad_output", grad_output, input.dtype, reduction)
    dest = _output("out", out, input.shape, input.dtype)
    _check(f(_ptr(g, kind), _ptr(input, kind), _ptr(target, kind), input.size, r, _ptr(dest, kind)))
    return dest


def forward_backward(input: _npt.ArrayLike, target: _npt.ArrayLike,
                     reduction: _Reduction = "mean", *, out: _Out = None, grad_out: _Out = None,
                     dtype: _Bits = None) -> _Tuple[_Loss, _np.ndarray]:
    """(loss, gradient) in one pass: `forward` and `backward` with a grad_output of 1."""
    input, target, kind = _pair(input, target, dtype)
    r = _reduction(reduction)
    f = _function("forward_backward", kind)
    if r != 0 and out is not None and out.size != 1:
        raise ValueError(f"out must hold one element for reduction {reduction!r}")
    loss = _output("out", out, input.shape if r == 0 else (() if out is None else out.shape),
                   input.dtype)
    grad = _output("grad_out", grad_out, input.shape, input.dtype)
    _check(f(_ptr(input, kind), _ptr(target, kind), input.size, r, _ptr(loss, kind), _ptr(grad, kind)))
    if r != 0 and out is None:
        return loss[()], grad
    return loss, grad


def gradient_hessian(input: _npt.ArrayLike, target: _npt.ArrayLike,
                     reduction: _Reduction = "mean", *, out: _Out = None, hess_out: _Out = None,
                     dtype: _Bits = None) -> _Tuple[_np.ndarray, _np.ndarray]:
    """(gradient, second derivative) of the reduced loss with respect to each input, in one pass.

    gradient[i] = c * -y sigmoid(m) and second[i] = c * y**2 sigmoid(m) sigmoid(-m), with
    m = -y x and c = 1 ("none", "sum") or 1/len ("mean"): what Newton solvers and the custom
    objectives of XGBoost and LightGBM take. Any of the four types; `out` and `hess_out` may
    receive the two arrays (neither may be an input).
    """
    input, target, kind = _pair(input, target, dtype)
    r = _reduction(reduction)
    f = _function("gradient_hessian", kind)
    grad = _output("out", out, input.shape, input.dtype)
    hess = _output("hess_out", hess_out, input.shape, input.dtype)
    _check(f(_ptr(input, kind), _ptr(target, kind), input.size, r, _ptr(grad, kind), _ptr(hess, kind)))
    return grad, hess


def _partial(value):
    """A bytes-like partial sum as the C struct (a copy)."""
    try:
        data = bytes(memoryview(value).cast("B"))
    except TypeError:
        raise TypeError(f"a partial sum is bytes-like, not {type(value).__name__}") from None
    if len(data) != PARTIAL_SIZE:
        raise ValueError(f"a partial sum is {PARTIAL_SIZE} bytes, not {len(data)}")
    part = _ffi.new("softmargin_partial *")
    _ffi.memmove(part, data, PARTIAL_SIZE)
    return part


def forward_partial(input: _npt.ArrayLike, target: _npt.ArrayLike, *,
                    dtype: _Bits = None) -> bytes:
    """The exact partial sum of the losses of one shard of a data set, as PARTIAL_SIZE bytes.

    Merge the shards' partials with merge_partials (in any order: the merge is exact) and
    finish_partial for the MEAN or SUM over all of them, which is forward()'s over the whole
    data set bit for bit when every shard starts at a multiple of BLOCK elements of it, and
    within 2 ulp otherwise. The bytes can travel between processes and hosts (their format is
    the same on every host), in a uint8 tensor of torch.distributed, Horovod or MPI; the merge
    and the finish refuse damaged ones (SoftMarginError with STATUS_INVALID_PARTIAL).
    """
    input, target, kind = _pair(input, target, dtype)
    f = _function("forward_partial", kind)
    part = _ffi.new("softmargin_partial *")
    _check(f(_ptr(input, kind), _ptr(target, kind), input.size, part))
    return bytes(_ffi.buffer(part))


def forward_backward_shard(input: _npt.ArrayLike, target: _npt.ArrayLike, total_len: int,
                           reduction: _Reduction = "mean", *, grad_out: _Out = None,
                           dtype: _Bits = None) -> _Tuple[bytes, _np.ndarray]:
    """(partial, gradient) for one shard of a data set of `total_len` elements.

    The gradient is that of the MEAN over all `total_len` elements (or of the SUM) with respect
    to this shard's inputs: bitwise what forward_backward() over the whole data set gives for
    them, wherever the shard starts. The partial is forward_partial()'s.
    """
    input, target, kind = _pair(input, target, dtype)
    g = _function("forward_backward_shard", kind)
    r = _reduction(reduction)
    if r == 0:
        raise ValueError("a shard's reduction is 'mean' or 'sum'")
    total_len = _integer("total_len", total_len)
    if total_len < input.size:
        raise ValueError(f"total_len must be at least the shard's {input.size}, not {total_len}")
    grad = _output("grad_out", grad_out, input.shape, input.dtype)
    part = _ffi.new("softmargin_partial *")
    _check(g(_ptr(input, kind), _ptr(target, kind), input.size, total_len, r, part, _ptr(grad, kind)))
    return bytes(_ffi.buffer(part)), grad


def merge_partials(*partials: _BytesLike) -> bytes:
    """The exact sum of partial sums (bytes-like objects of PARTIAL_SIZE), as bytes; of none,
    the empty sum. Raises SoftMarginError (STATUS_INVALID_PARTIAL) for a damaged partial."""
    parts = [_partial(value) for value in partials]
    total = _ffi.new("softmargin_partial *")
    _check(_lib.softmargin_forward_partial_f32(_ffi.NULL, _ffi.NULL, 0, total))
    for one in parts:
        _check(_lib.softmargin_partial_merge(total, one))
    return bytes(_ffi.buffer(total))


def finish_partial(partial: _BytesLike, reduction: _Reduction = "mean",
                   dtype: _Union[_npt.DTypeLike, _Literal["bfloat16"]] = _np.float32
                   ) -> _np.generic:
    """The MEAN (over the elements the partial covers) or SUM of a partial sum, rounded once to
    `dtype`: float16, float32, float64, ml_dtypes.bfloat16, or "bfloat16" for its bits as a
    uint16 scalar (for the one call's bits, the type the shards computed on)."""
    r = _reduction(reduction)
    if r == 0:
        raise ValueError("a partial sum finishes to 'mean' or 'sum'")
    if isinstance(dtype, str) and dtype == "bfloat16":
        dtype, kind = _np.dtype(_np.uint16), "bf16"
    else:
        try:
            dtype = _np.dtype(dtype)
        except TypeError:
            raise TypeError(f"dtype must be a float type or 'bfloat16', not {dtype!r}") from None
        kind = _kind("dtype", _np.empty(0, dtype=dtype), None)
    f = _function("partial_finish", kind)
    out = _np.empty((), dtype=dtype)
    _check(f(_partial(partial), r, _ptr(out, kind)))
    return out[()]


def check_target(target: _npt.ArrayLike, *, dtype: _Bits = None) -> _Optional[int]:
    """The index (in flattened order) of the first target that is not exactly -1 or +1, or None."""
    target, kind = _array("target", target, bits=dtype == "bfloat16")
    if dtype not in (None, "bfloat16"):
        raise ValueError(f"dtype must be None or 'bfloat16', not {dtype!r}")
    f = _function("check_target", kind)
    first = _ffi.new("size_t *")
    status = f(_ptr(target, kind), target.size, first)
    if status == STATUS_INVALID_TARGET:
        return first[0]
    _check(status)
    return None


def set_num_threads(num_threads: int) -> None:
    """Threads for large calls; 0 restores the default."""
    _check(_lib.softmargin_set_num_threads(_integer("num_threads", num_threads)))


def get_num_threads() -> int:
    """Threads large calls use."""
    return _lib.softmargin_get_num_threads()


def isa() -> str:
    """The instruction-set path in use: "avx512", "avx2" or "portable"."""
    return _ffi.string(_lib.softmargin_isa()).decode()


def version() -> str:
    """The library's version, "MAJOR.MINOR.PATCH"."""
    return _ffi.string(_lib.softmargin_version()).decode()


class SoftMarginLoss:
    """torch.nn.SoftMarginLoss's shape: the reduction fixed at construction.

        loss_fn = SoftMarginLoss(reduction="mean")
        loss = loss_fn(scores, y)           # the same as loss_fn.forward(scores, y)
        grad = loss_fn.backward(1.0, scores, y)
        loss, grad = loss_fn.forward_backward(scores, y)

    Each method is the function of the same name with this object's reduction; see those.
    """

    __slots__ = ("_reduction",)

    def __init__(self, reduction: _Reduction = "mean") -> None:
        _reduction(reduction)
        self._reduction = reduction

    @property
    def reduction(self) -> str:
        """ "none", "mean" or "sum"."""
        return self._reduction

    def forward(self, input: _npt.ArrayLike, target: _npt.ArrayLike, *, out: _Out = None,
                dtype: _Bits = None) -> _Loss:
        """The loss: an array for "none", a scalar otherwise (see `forward`)."""
        return forward(input, target, self._reduction, out=out, dtype=dtype)

    __call__ = forward

    def backward(self, grad_output: _npt.ArrayLike, input: _npt.ArrayLike,
                 target: _npt.ArrayLike, *, out: _Out = None,
                 dtype: _Bits = None) -> _np.ndarray:
        """The gradient with respect to `input` (see `backward`)."""
        return backward(grad_output, input, target, self._reduction, out=out, dtype=dtype)

    def forward_backward(self, input: _npt.ArrayLike, target: _npt.ArrayLike, *,
                         out: _Out = None, grad_out: _Out = None,
                         dtype: _Bits = None) -> _Tuple[_Loss, _np.ndarray]:
        """(loss, gradient) in one pass (see `forward_backward`)."""
        return forward_backward(input, target, self._reduction, out=out, grad_out=grad_out,
                                dtype=dtype)

    def gradient_hessian(self, input: _npt.ArrayLike, target: _npt.ArrayLike, *,
                         out: _Out = None, hess_out: _Out = None,
                         dtype: _Bits = None) -> _Tuple[_np.ndarray, _np.ndarray]:
        """(gradient, second derivative) in one pass (see `gradient_hessian`)."""
        return gradient_hessian(input, target, self._reduction, out=out, hess_out=hess_out,
                                dtype=dtype)

    def __repr__(self) -> str:
        return f"SoftMarginLoss(reduction={self._reduction!r})"
