"""SoftMarginLoss, forward and backward, on numpy arrays, through the softmargin C library.

The shared library is found, in this order: the path in the environment variable
SOFTMARGIN_LIBRARY; a libsoftmargin.so inside this package's directory; the system loader
(ldconfig paths, LD_LIBRARY_PATH).

Arrays must be numpy arrays of float32 or float64, C-contiguous, with input and target of the
same shape and dtype; anything else raises TypeError or ValueError before the library is called.
Reductions are "none", "mean" and "sum", as in torch.nn.SoftMarginLoss.
"""

import ctypes
import ctypes.util
import os

import numpy as np

__all__ = [
    "SoftMarginError",
    "backward",
    "check_target",
    "forward",
    "forward_backward",
    "get_num_threads",
    "isa",
    "library_path",
    "set_num_threads",
    "version",
]

_REDUCTIONS = {"none": 0, "mean": 1, "sum": 2}
_STATUS_INVALID_TARGET = 4


class SoftMarginError(RuntimeError):
    """A nonzero status from the library; .status holds it."""

    def __init__(self, status, message):
        super().__init__(f"softmargin status {status}: {message}")
        self.status = status


def _find_library():
    explicit = os.environ.get("SOFTMARGIN_LIBRARY")
    if explicit:
        return explicit
    here = os.path.dirname(os.path.abspath(__file__))
    for name in sorted(os.listdir(here)):
        if name.startswith("libsoftmargin.so"):
            return os.path.join(here, name)
    return ctypes.util.find_library("softmargin") or "libsoftmargin.so"


library_path = _find_library()
_lib = ctypes.CDLL(library_path)

_size_t = ctypes.c_size_t
_i32 = ctypes.c_int32
_lib.softmargin_status_str.argtypes = [_i32]
_lib.softmargin_status_str.restype = ctypes.c_char_p
_lib.softmargin_isa.argtypes = []
_lib.softmargin_isa.restype = ctypes.c_char_p
_lib.softmargin_version.argtypes = []
_lib.softmargin_version.restype = ctypes.c_char_p
_lib.softmargin_set_num_threads.argtypes = [_size_t]
_lib.softmargin_set_num_threads.restype = _i32
_lib.softmargin_get_num_threads.argtypes = []
_lib.softmargin_get_num_threads.restype = _size_t

_FUNCTIONS = {}
for _suffix, _ctype in (("f32", ctypes.c_float), ("f64", ctypes.c_double)):
    _p = ctypes.POINTER(_ctype)
    _signatures = {
        "forward": [_p, _p, _size_t, _i32, _p],
        "backward": [_p, _p, _p, _size_t, _i32, _p],
        "forward_backward": [_p, _p, _size_t, _i32, _p, _p],
        "check_target": [_p, _size_t, ctypes.POINTER(_size_t)],
    }
    for _name, _args in _signatures.items():
        _f = getattr(_lib, f"softmargin_{_name}_{_suffix}")
        _f.argtypes = _args
        _f.restype = _i32
        _FUNCTIONS[(_name, np.dtype(_suffix.replace("f", "float")))] = (_f, _p)


def _check(status):
    if status != 0:
        raise SoftMarginError(status, _lib.softmargin_status_str(status).decode())


def _array(name, value, dtype=None):
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, not {type(value).__name__}")
    if value.dtype not in (np.float32, np.float64):
        raise TypeError(f"{name} must be float32 or float64, not {value.dtype}")
    if dtype is not None and value.dtype != dtype:
        raise TypeError(f"{name} has dtype {value.dtype}, expected {dtype}")
    if not value.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous (use numpy.ascontiguousarray)")
    return value


def _pair(input, target):
    input = _array("input", input)
    target = _array("target", target, input.dtype)
    if input.shape != target.shape:
        raise ValueError(f"input shape {input.shape} and target shape {target.shape} differ")
    return input, target


def _reduction(reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be 'none', 'mean' or 'sum', not {reduction!r}")
    return _REDUCTIONS[reduction]


def _output(name, out, shape, dtype):
    """`out` checked as a writable destination of `shape`, or a new array."""
    if out is None:
        return np.empty(shape, dtype=dtype)
    out = _array(name, out, dtype)
    if out.shape != tuple(shape):
        raise ValueError(f"{name} has shape {out.shape}, expected {tuple(shape)}")
    if not out.flags.writeable:
        raise ValueError(f"{name} is read-only")
    return out


def _ptr(array, pointer_type):
    return array.ctypes.data_as(pointer_type)


def forward(input, target, reduction="mean", *, out=None):
    """log(1 + exp(-target * input)), reduced: an array for "none", a scalar otherwise.

    For "none", `out` may receive the losses (it may be `input` or `target` itself); for "mean"
    and "sum", `out` may be a one-element array that receives the value.
    """
    input, target = _pair(input, target)
    r = _reduction(reduction)
    f, p = _FUNCTIONS[("forward", input.dtype)]
    shape = input.shape if r == 0 else (() if out is None else out.shape)
    if r != 0 and out is not None and out.size != 1:
        raise ValueError(f"out must hold one element for reduction {reduction!r}")
    dest = _output("out", out, shape, input.dtype)
    _check(f(_ptr(input, p), _ptr(target, p), input.size, r, _ptr(dest, p)))
    if r == 0:
        return dest
    return dest[()] if out is None else dest


def backward(grad_output, input, target, reduction="mean", *, out=None):
    """The gradient of the loss with respect to `input`, an array shaped like it.

    `grad_output` is an array shaped like `input` for "none" and a scalar (a number or a
    one-element array) for "mean" and "sum". `out` may receive the gradient (it may be an input).
    """
    input, target = _pair(input, target)
    r = _reduction(reduction)
    f, p = _FUNCTIONS[("backward", input.dtype)]
    if r == 0:
        g = _array("grad_output", grad_output, input.dtype)
        if g.shape != input.shape:
            raise ValueError(f"grad_output has shape {g.shape}, expected {input.shape}")
    else:
        g = np.asarray(grad_output, dtype=input.dtype).reshape(-1)
        if g.size != 1:
            raise ValueError(f"grad_output must be a scalar for reduction {reduction!r}")
        g = np.ascontiguousarray(g)
    dest = _output("out", out, input.shape, input.dtype)
    _check(f(_ptr(g, p), _ptr(input, p), _ptr(target, p), input.size, r, _ptr(dest, p)))
    return dest


def forward_backward(input, target, reduction="mean", *, out=None, grad_out=None):
    """(loss, gradient) in one pass: `forward` and `backward` with a grad_output of 1."""
    input, target = _pair(input, target)
    r = _reduction(reduction)
    f, p = _FUNCTIONS[("forward_backward", input.dtype)]
    if r != 0 and out is not None and out.size != 1:
        raise ValueError(f"out must hold one element for reduction {reduction!r}")
    loss = _output("out", out, input.shape if r == 0 else (() if out is None else out.shape),
                   input.dtype)
    grad = _output("grad_out", grad_out, input.shape, input.dtype)
    _check(f(_ptr(input, p), _ptr(target, p), input.size, r, _ptr(loss, p), _ptr(grad, p)))
    if r != 0 and out is None:
        return loss[()], grad
    return loss, grad


def check_target(target):
    """The index (in flattened order) of the first target that is not exactly -1 or +1, or None."""
    target = _array("target", target)
    f, p = _FUNCTIONS[("check_target", target.dtype)]
    first = _size_t(0)
    status = f(_ptr(target, p), target.size, ctypes.byref(first))
    if status == _STATUS_INVALID_TARGET:
        return first.value
    _check(status)
    return None


def set_num_threads(num_threads):
    """Threads for large calls; 0 restores the default."""
    _check(_lib.softmargin_set_num_threads(num_threads))


def get_num_threads():
    """Threads large calls use."""
    return _lib.softmargin_get_num_threads()


def isa():
    """The instruction-set path in use: "avx512", "avx2" or "portable"."""
    return _lib.softmargin_isa().decode()


def version():
    """The library's version, "MAJOR.MINOR.PATCH"."""
    return _lib.softmargin_version().decode()
