"""softmargin for PyTorch: torch.nn.SoftMarginLoss's module and function, computed by the library.

    import softmargin.torch

    loss_fn = softmargin.torch.SoftMarginLoss()         # instead of torch.nn.SoftMarginLoss()
    loss = loss_fn(scores, y)
    loss.backward()

The loss is a torch.autograd.Function: its backward is the library's gradient, and the
backward is itself differentiable (through the library's second derivative), so that
torch.autograd.grad(..., create_graph=True) and Hessian-vector products work. Inputs are CPU
tensors of float32, float64, float16 or bfloat16, of any shape (input and target the same
shape and dtype); results are correctly rounded for float32 and the 16-bit types, and finite
where torch's overflow. The gradient with respect to the target is not implemented, as in
torch. A tensor on another device raises ValueError: the library computes on the CPU, and
copying behind the caller's back would hide that.
"""

from __future__ import annotations

from typing import Literal as _Literal

import torch as _torch

import softmargin as _sm

__all__ = ["SoftMarginLoss", "soft_margin_loss"]

# Each dtype's C suffix and pointer type: the library works on the tensors' own memory (the
# 16-bit types as their bits), with no numpy array between, which costs microseconds a call.
_TYPES = {_torch.float32: ("f32", "float *"), _torch.float64: ("f64", "double *"),
          _torch.float16: ("f16", "uint16_t *"), _torch.bfloat16: ("bf16", "uint16_t *")}


def _check(input, target, reduction):
    for name, t in (("input", input), ("target", target)):
        if not isinstance(t, _torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, not {type(t).__name__}")
        if t.device.type != "cpu":
            raise ValueError(f"{name} is on {t.device}: softmargin computes on CPU tensors; "
                             "move it with .cpu() or use torch.nn.SoftMarginLoss there")
        if t.dtype not in _TYPES:
            raise TypeError(f"{name} must be float32, float64, float16 or bfloat16, "
                            f"not {t.dtype}")
    if input.dtype != target.dtype:
        raise TypeError(f"input has dtype {input.dtype} and target {target.dtype}")
    if input.shape != target.shape:
        raise ValueError(f"input shape {tuple(input.shape)} and target shape "
                         f"{tuple(target.shape)} differ")
    _sm._reduction(reduction)
    if target.requires_grad:
        raise NotImplementedError("the gradient of the soft margin loss with respect to the "
                                  "target is not implemented (nor is it in torch)")


def _call(name, dtype, args):
    """Calls softmargin_<name>_<type> on `args`: tensors (contiguous, of `dtype`, on the CPU,
    kept alive by the caller) passed as pointers to their data, other values as they are; a
    refused call raises SoftMarginError."""
    kind, pointer = _TYPES[dtype]
    f = getattr(_sm._lib, f"softmargin_{name}_{kind}")
    cast = _sm._ffi.cast
    status = f(*[cast(pointer, a.data_ptr()) if isinstance(a, _torch.Tensor) else a
                 for a in args])
    if status:
        _sm._check(status)


def _contiguous(t):
    return t.detach().contiguous()


def _gradient(input, target, grad_output, reduction):
    """The library's gradient for `grad_output` (shaped like input for "none", one element
    else), a new tensor."""
    x, y = _contiguous(input), _contiguous(target)
    g = _contiguous(grad_output.to(x.dtype))
    if (g.shape != x.shape) if reduction == "none" else (g.numel() != 1):
        raise ValueError(f"grad_output has shape {tuple(g.shape)}, expected "
                         f"{tuple(x.shape) if reduction == 'none' else ()}")
    grad = _torch.empty(x.shape, dtype=x.dtype)
    _call("backward", x.dtype, (g, x, y, x.numel(), _sm.REDUCTIONS[reduction], grad))
    return grad


class _Loss(_torch.autograd.Function):
    """The loss; its backward is _Gradient, so that it can be differentiated again."""

    @staticmethod
    def forward(ctx, input, target, reduction):
        ctx.reduction = reduction
        ctx.save_for_backward(input, target)
        x, y = _contiguous(input), _contiguous(target)
        loss = _torch.empty(x.shape if reduction == "none" else (), dtype=x.dtype)
        _call("forward", x.dtype, (x, y, x.numel(), _sm.REDUCTIONS[reduction], loss))
        return loss

    @staticmethod
    def backward(ctx, grad_output):
        input, target = ctx.saved_tensors
        grad = None
        if ctx.needs_input_grad[0]:
            # With create_graph (grad mode on here) the gradient is differentiated again, so it
            # is a Function's output; otherwise the library's gradient alone.
            gradient = _Gradient.apply if _torch.is_grad_enabled() else _gradient
            grad = gradient(input, target, grad_output, ctx.reduction)
        return grad, None, None


class _Gradient(_torch.autograd.Function):
    """The loss's gradient with respect to the input, for a grad_output; differentiable once
    more, with respect to the input (through the second derivative) and to grad_output."""

    @staticmethod
    def forward(ctx, input, target, grad_output, reduction):
        ctx.reduction = reduction
        ctx.save_for_backward(input, target, grad_output)
        return _gradient(input, target, grad_output, reduction)

    @staticmethod
    @_torch.autograd.function.once_differentiable
    def backward(ctx, v):
        input, target, grad_output = ctx.saved_tensors
        x, y = _contiguous(input), _contiguous(target)
        # grad = grad_output * c * slope(x), c = 1/len for MEAN, 1 otherwise; the library's
        # gradient_hessian gives c * slope and c * slope' for the reduction.
        slope, second = (_torch.empty(x.shape, dtype=x.dtype) for _ in range(2))
        _call("gradient_hessian", x.dtype,
              (x, y, x.numel(), _sm.REDUCTIONS[ctx.reduction], slope, second))
        grad_input = grad_grad_output = None
        if ctx.needs_input_grad[0]:
            grad_input = v * grad_output * second
        if ctx.needs_input_grad[2]:
            grad_grad_output = v * slope
            if ctx.reduction != "none":
                grad_grad_output = grad_grad_output.sum().reshape(grad_output.shape)
        return grad_input, None, grad_grad_output, None


def soft_margin_loss(input: _torch.Tensor, target: _torch.Tensor,
                     reduction: _Literal["none", "mean", "sum"] = "mean") -> _torch.Tensor:
    """torch.nn.functional.soft_margin_loss, computed by the library (see the module's doc)."""
    _check(input, target, reduction)
    return _Loss.apply(input, target, reduction)


class SoftMarginLoss(_torch.nn.Module):
    """torch.nn.SoftMarginLoss, computed by the library: log(1 + exp(-target * input)), reduced
    by "none", "mean" (the default) or "sum"."""

    def __init__(self, reduction: _Literal["none", "mean", "sum"] = "mean") -> None:
        super().__init__()
        _sm._reduction(reduction)
        self.reduction = reduction

    def forward(self, input: _torch.Tensor, target: _torch.Tensor) -> _torch.Tensor:
        return soft_margin_loss(input, target, self.reduction)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"
