//! Both derivatives in one pass, for each element type.

// The doc comments here are the C header's documentation: each function's pointer requirements
// are spelled out for C readers there rather than under a Rust `# Safety` heading.
#![allow(clippy::missing_safety_doc)]

use super::calls;
use super::guard::guard;
use crate::{Bf16, F16};

/// Computes the first and the second derivative of the soft margin loss with respect to each
/// input, in one pass: what Newton and IRLS solvers and the custom objectives of gradient
/// boosting libraries (XGBoost, LightGBM) take.
///
/// With `m = -target[i] * input[i]`: `grad_input[i] = c * (-target[i] * sigmoid(m))` and
/// `hessian[i] = c * target[i]^2 * sigmoid(m) * sigmoid(-m)`, where `c` is 1 for
/// `SOFTMARGIN_REDUCTION_NONE` and `_SUM` and `1 / len` for `_MEAN`: the derivatives of the
/// reduced loss (of each element's own loss, for NONE). Both outputs receive `len` values.
///
/// NULL: the arrays may be NULL only when `len` is 0. Aliasing: no output may overlap an input
/// or the other output (no in-place use).
///
/// Returns `SOFTMARGIN_STATUS_OK`, or, checked in this order, `_INVALID_REDUCTION`,
/// `_INVALID_ARGUMENT` (`len` too large), `_NULL_POINTER`, `_MISALIGNED`, `_OVERLAP`; on any of
/// these nothing has been written.
///
/// Accuracy: `float` results are within 1 ulp and nearly always correctly rounded. They are
/// computed in `double` with a proven error bound, which settles the rounding for all but a few
/// elements in a million; those, and margins beyond 300 in size, are computed in double-double
/// and rounded to `double`, then to `float` (a double rounding, which can miss the correct one
/// where the `double` value falls exactly on a midpoint of two floats). `double` results are
/// within 1 ulp and nearly always correctly rounded: computed in double-double with a proven
/// bound of 2^-66, correctly rounded wherever both ends of that interval round alike; the
/// rest, and margins beyond 300 in size, come from a 2^-95 double-double kernel rounded once.
/// Both are finite for every finite
/// input where the exact value is, and never NaN for finite inputs; the second derivative of a
/// large margin (`|m|` of 1000, say) is the tiny value it is, 0 only where that underflows.
/// Bitwise the same for any thread count and path.
#[no_mangle]
pub unsafe extern "C" fn softmargin_gradient_hessian_f32(
    input: *const f32,
    target: *const f32,
    len: usize,
    reduction: i32,
    grad_input: *mut f32,
    hessian: *mut f32,
) -> i32 {
    guard(|| unsafe { calls::gradient_hessian(input, target, len, reduction, grad_input, hessian) })
}

/// `softmargin_gradient_hessian_f32` for `double` data.
#[no_mangle]
pub unsafe extern "C" fn softmargin_gradient_hessian_f64(
    input: *const f64,
    target: *const f64,
    len: usize,
    reduction: i32,
    grad_input: *mut f64,
    hessian: *mut f64,
) -> i32 {
    guard(|| unsafe { calls::gradient_hessian(input, target, len, reduction, grad_input, hessian) })
}

/// `softmargin_gradient_hessian_f32` for IEEE binary16 (`_Float16`, `half`) data held in `uint16_t`, with every rule of it; the buffers must
/// be aligned to 2 bytes.
///
/// Accuracy: both derivatives are computed in `float` and `double` from the widened data and
/// rounded once: each is the correctly rounded value of the exact one for a factor of 1 (NONE,
/// SUM), and within 1 ulp of the exact product for MEAN's `1/len`. Bitwise the same for any thread
/// count and path.
#[no_mangle]
pub unsafe extern "C" fn softmargin_gradient_hessian_f16(
    input: *const u16,
    target: *const u16,
    len: usize,
    reduction: i32,
    grad_input: *mut u16,
    hessian: *mut u16,
) -> i32 {
    guard(|| unsafe {
        calls::gradient_hessian(
            input.cast::<F16>(),
            target.cast(),
            len,
            reduction,
            grad_input.cast(),
            hessian.cast(),
        )
    })
}

/// `softmargin_gradient_hessian_f32` for bfloat16 data held in `uint16_t`, with every rule of it; the buffers must
/// be aligned to 2 bytes.
///
/// Accuracy: both derivatives are computed in `float` and `double` from the widened data and
/// rounded once: each is the correctly rounded value of the exact one for a factor of 1 (NONE,
/// SUM), and within 1 ulp of the exact product for MEAN's `1/len`. Bitwise the same for any thread
/// count and path.
#[no_mangle]
pub unsafe extern "C" fn softmargin_gradient_hessian_bf16(
    input: *const u16,
    target: *const u16,
    len: usize,
    reduction: i32,
    grad_input: *mut u16,
    hessian: *mut u16,
) -> i32 {
    guard(|| unsafe {
        calls::gradient_hessian(
            input.cast::<Bf16>(),
            target.cast(),
            len,
            reduction,
            grad_input.cast(),
            hessian.cast(),
        )
    })
}
