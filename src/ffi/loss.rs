//! The loss and its gradient, for each element type: forward, backward, both in one pass, and
//! the check of the targets.

// The doc comments here are the C header's documentation: each function's pointer requirements
// are spelled out for C readers there rather than under a Rust `# Safety` heading.
#![allow(clippy::missing_safety_doc)]

use super::calls;
use super::guard::guard;
use crate::{Bf16, F16};

/// Computes the soft margin loss `log(1 + exp(-target[i] * input[i]))` of `len` elements and
/// reduces it.
///
/// `input` and `target` hold `len` values each; targets are normally -1 or +1 (see
/// `softmargin_check_target_f32`), but any value gives the same formula's value.
/// With `SOFTMARGIN_REDUCTION_NONE`, `output` receives `len` losses; with `_MEAN` or `_SUM`, it
/// receives one value.
///
/// NULL: `input`, `target` and (for NONE) `output` may be NULL only when `len` is 0. The
/// MEAN/SUM `output` must never be NULL.
///
/// Aliasing: `output` may be exactly `input` or `target` (same address, same length), for
/// in-place use; any other overlap between `output` and an input is refused. `input` and
/// `target` may overlap each other freely.
///
/// Returns `SOFTMARGIN_STATUS_OK`, or, checked in this order, `_INVALID_REDUCTION`,
/// `_INVALID_ARGUMENT` (`len` too large), `_NULL_POINTER`, `_MISALIGNED`, `_OVERLAP`; on any of
/// these nothing has been written.
///
/// Accuracy: each loss is the correctly rounded value of the exact loss (round to nearest, ties
/// to even) for every finite input, including where `exp(-target * input)` would overflow; the
/// loss is +inf only when the exact value rounds to it. The mean and the sum add the losses
/// (each known to 2^-46 before its rounding) in double precision and are within 2 ulp of the
/// exact result, bitwise identical for any thread count and on every instruction-set path.
#[no_mangle]
pub unsafe extern "C" fn softmargin_forward_f32(
    input: *const f32,
    target: *const f32,
    len: usize,
    reduction: i32,
    output: *mut f32,
) -> i32 {
    guard(|| unsafe { calls::forward(input, target, len, reduction, output) })
}

/// Computes the gradient of the soft margin loss with respect to `input`.
///
/// For `SOFTMARGIN_REDUCTION_NONE`, `grad_output` holds `len` values and
/// `grad_input[i] = -target[i] * sigmoid(-target[i] * input[i]) * grad_output[i]`.
/// For `_SUM`, `grad_output` points to one value `g` and the factor is `g`; for `_MEAN` it is
/// `g / len`. `grad_input` receives `len` values.
///
/// NULL: the arrays may be NULL only when `len` is 0; the MEAN/SUM `grad_output` must never be
/// NULL.
///
/// Aliasing: `grad_input` may be exactly `grad_output` (NONE), `input` or `target` (same
/// address, same length); any other overlap between `grad_input` and an input is refused.
///
/// Returns `SOFTMARGIN_STATUS_OK`, or, checked in this order, `_INVALID_REDUCTION`,
/// `_INVALID_ARGUMENT`, `_NULL_POINTER`, `_MISALIGNED`, `_OVERLAP`; on any of these nothing has
/// been written.
///
/// Accuracy: each gradient is the correctly rounded value of the exact product
/// `-target sigmoid(-target input) grad_output` (divided by `len` for MEAN) for every finite
/// `grad_output`, also where the gradient for a factor of 1 would be subnormal or 0. No
/// intermediate product overflows: a gradient is finite wherever its exact value is (a huge
/// `grad_output` with targets far from 1 included), and an infinity of the exact value's sign
/// where that overflows. An infinite `grad_output` gives the infinity of the exact product's
/// sign wherever the exact gradient is nonzero, and NaN where it is exactly 0 (`target` 0, or
/// an infinite `input` on the side where the limit is 0). An infinite input gives the limit: 0
/// or `-target`.
#[no_mangle]
pub unsafe extern "C" fn softmargin_backward_f32(
    grad_output: *const f32,
    input: *const f32,
    target: *const f32,
    len: usize,
    reduction: i32,
    grad_input: *mut f32,
) -> i32 {
    guard(|| unsafe { calls::backward(grad_output, input, target, len, reduction, grad_input) })
}

/// Computes the loss and its gradient in one pass over the data, as
/// `softmargin_forward_f32` followed by `softmargin_backward_f32` with a `grad_output` of 1
/// (ones for NONE).
///
/// `output` receives `len` losses for `SOFTMARGIN_REDUCTION_NONE`, one value for `_MEAN` and
/// `_SUM`; `grad_input` receives `len` values: the gradient of `output` (of its sum, for NONE)
/// with respect to `input`.
///
/// NULL: the arrays may be NULL only when `len` is 0; the MEAN/SUM `output` must never be NULL.
///
/// Aliasing: each output may be exactly `input` or `target` (same address, same length), for
/// in-place use; the two outputs must not overlap each other, and any other overlap between an
/// output and an input is refused.
///
/// Returns `SOFTMARGIN_STATUS_OK`, or, checked in this order, `_INVALID_REDUCTION`,
/// `_INVALID_ARGUMENT`, `_NULL_POINTER`, `_MISALIGNED`, `_OVERLAP`; on any of these nothing has
/// been written. Accuracy as for the two separate functions, with bitwise the same results.
#[no_mangle]
pub unsafe extern "C" fn softmargin_forward_backward_f32(
    input: *const f32,
    target: *const f32,
    len: usize,
    reduction: i32,
    output: *mut f32,
    grad_input: *mut f32,
) -> i32 {
    guard(|| unsafe { calls::forward_backward(input, target, len, reduction, output, grad_input) })
}

/// Checks that every one of the `len` targets is exactly -1 or +1, catching 0/1 labels.
///
/// Returns `SOFTMARGIN_STATUS_OK` when they all are, and then stores `len` in `*first_invalid`;
/// returns `SOFTMARGIN_STATUS_INVALID_TARGET` otherwise, and stores the index of the first other
/// value (NaN included) in `*first_invalid`. `first_invalid` may be NULL when the index is not
/// wanted.
///
/// NULL: `target` may be NULL only when `len` is 0.
///
/// Errors, checked in this order: `_INVALID_ARGUMENT` (`len` too large), `_NULL_POINTER`,
/// `_MISALIGNED` (either pointer), `_OVERLAP` (`first_invalid` inside the targets); on these
/// `*first_invalid` is not written.
#[no_mangle]
pub unsafe extern "C" fn softmargin_check_target_f32(
    target: *const f32,
    len: usize,
    first_invalid: *mut usize,
) -> i32 {
    guard(|| unsafe { calls::check_target(target, len, first_invalid) })
}

/// `softmargin_forward_f32` for `double` data, each loss within 2 ulp of the correctly rounded
/// value.
///
/// The losses are summed in compensated double precision (about 106 bits), so the mean and the
/// sum are within 2 ulp of the exact values. Losses beyond 2^900 (margins that large) are summed
/// apart, scaled down, so that the mean is finite wherever it is, also when the sum of the
/// losses exceeds `DBL_MAX` or a single loss does (its margin overflows); the sum is then +inf.
#[no_mangle]
pub unsafe extern "C" fn softmargin_forward_f64(
    input: *const f64,
    target: *const f64,
    len: usize,
    reduction: i32,
    output: *mut f64,
) -> i32 {
    guard(|| unsafe { calls::forward(input, target, len, reduction, output) })
}

/// `softmargin_backward_f32` for `double` data, each gradient within 2 ulp of the exact product.
#[no_mangle]
pub unsafe extern "C" fn softmargin_backward_f64(
    grad_output: *const f64,
    input: *const f64,
    target: *const f64,
    len: usize,
    reduction: i32,
    grad_input: *mut f64,
) -> i32 {
    guard(|| unsafe { calls::backward(grad_output, input, target, len, reduction, grad_input) })
}

/// `softmargin_forward_backward_f32` for `double` data.
#[no_mangle]
pub unsafe extern "C" fn softmargin_forward_backward_f64(
    input: *const f64,
    target: *const f64,
    len: usize,
    reduction: i32,
    output: *mut f64,
    grad_input: *mut f64,
) -> i32 {
    guard(|| unsafe { calls::forward_backward(input, target, len, reduction, output, grad_input) })
}

/// `softmargin_check_target_f32` for `double` data.
#[no_mangle]
pub unsafe extern "C" fn softmargin_check_target_f64(
    target: *const f64,
    len: usize,
    first_invalid: *mut usize,
) -> i32 {
    guard(|| unsafe { calls::check_target(target, len, first_invalid) })
}

/// `softmargin_forward_f32` for IEEE binary16 (`_Float16`, `half`) data, each value held in a
/// `uint16_t` by its bits; the outputs are of the same type.
///
/// Every rule of `softmargin_forward_f32` holds (NULL, aliasing, the order of the checks,
/// nothing written on error, the same results for any thread count and path); the buffers must
/// be aligned to 2 bytes.
///
/// Accuracy: each loss is the correctly rounded value of the exact loss (round to nearest, ties to
/// even), computed wider and rounded once; x = -12, y = 1 gives 12 and -1, where PyTorch's float16
/// gives inf and NaN. The mean and the sum are accumulated in double precision and rounded once.
#[no_mangle]
pub unsafe extern "C" fn softmargin_forward_f16(
    input: *const u16,
    target: *const u16,
    len: usize,
    reduction: i32,
    output: *mut u16,
) -> i32 {
    guard(|| unsafe {
        calls::forward(
            input.cast::<F16>(),
            target.cast(),
            len,
            reduction,
            output.cast(),
        )
    })
}

/// `softmargin_backward_f32` for IEEE binary16 (`_Float16`, `half`) data held in `uint16_t`, with
/// every rule of it; the buffers must be aligned to 2 bytes.
///
/// Accuracy: with a `grad_output` of 1 (SUM; NONE with ones), each gradient is the correctly
/// rounded value of the exact one; for other factors (MEAN's `1/len` included), within 1 ulp of
/// the exact product.
#[no_mangle]
pub unsafe extern "C" fn softmargin_backward_f16(
    grad_output: *const u16,
    input: *const u16,
    target: *const u16,
    len: usize,
    reduction: i32,
    grad_input: *mut u16,
) -> i32 {
    guard(|| unsafe {
        calls::backward(
            grad_output.cast::<F16>(),
            input.cast(),
            target.cast(),
            len,
            reduction,
            grad_input.cast(),
        )
    })
}

/// `softmargin_forward_backward_f32` for IEEE binary16 (`_Float16`, `half`) data held in
/// `uint16_t`, with every rule of it; the buffers must be aligned to 2 bytes. Accuracy as for the
/// two separate functions, with bitwise the same results.
#[no_mangle]
pub unsafe extern "C" fn softmargin_forward_backward_f16(
    input: *const u16,
    target: *const u16,
    len: usize,
    reduction: i32,
    output: *mut u16,
    grad_input: *mut u16,
) -> i32 {
    guard(|| unsafe {
        calls::forward_backward(
            input.cast::<F16>(),
            target.cast(),
            len,
            reduction,
            output.cast(),
            grad_input.cast(),
        )
    })
}

/// `softmargin_check_target_f32` for IEEE binary16 (`_Float16`, `half`) data held in `uint16_t`;
/// `target` must be aligned to 2 bytes.
#[no_mangle]
pub unsafe extern "C" fn softmargin_check_target_f16(
    target: *const u16,
    len: usize,
    first_invalid: *mut usize,
) -> i32 {
    guard(|| unsafe { calls::check_target(target.cast::<F16>(), len, first_invalid) })
}

/// `softmargin_forward_f32` for bfloat16 (the upper 16 bits of an IEEE binary32, as OpenBLAS and
/// oneDNN take it) data, each value held in a `uint16_t` by its bits; the outputs are of the same
/// type.
///
/// Every rule of `softmargin_forward_f32` holds (NULL, aliasing, the order of the checks,
/// nothing written on error, the same results for any thread count and path); the buffers must
/// be aligned to 2 bytes.
///
/// Accuracy: each loss is the correctly rounded value of the exact loss (round to nearest, ties to
/// even), computed wider and rounded once; x = -100, y = 1 gives 100 and -1, where PyTorch's
/// bfloat16 gives inf and NaN. The mean and the sum are accumulated in double precision and rounded
/// once.
#[no_mangle]
pub unsafe extern "C" fn softmargin_forward_bf16(
    input: *const u16,
    target: *const u16,
    len: usize,
    reduction: i32,
    output: *mut u16,
) -> i32 {
    guard(|| unsafe {
        calls::forward(
            input.cast::<Bf16>(),
            target.cast(),
            len,
            reduction,
            output.cast(),
        )
    })
}

/// `softmargin_backward_f32` for bfloat16 (the upper 16 bits of an IEEE binary32, as OpenBLAS and
/// oneDNN take it) data held in `uint16_t`, with every rule of it; the buffers must be aligned to 2
/// bytes.
///
/// Accuracy: with a `grad_output` of 1 (SUM; NONE with ones), each gradient is the correctly
/// rounded value of the exact one; for other factors (MEAN's `1/len` included), within 1 ulp of
/// the exact product.
#[no_mangle]
pub unsafe extern "C" fn softmargin_backward_bf16(
    grad_output: *const u16,
    input: *const u16,
    target: *const u16,
    len: usize,
    reduction: i32,
    grad_input: *mut u16,
) -> i32 {
    guard(|| unsafe {
        calls::backward(
            grad_output.cast::<Bf16>(),
            input.cast(),
            target.cast(),
            len,
            reduction,
            grad_input.cast(),
        )
    })
}

/// `softmargin_forward_backward_f32` for bfloat16 (the upper 16 bits of an IEEE binary32, as
/// OpenBLAS and oneDNN take it) data held in `uint16_t`, with every rule of it; the buffers must be
/// aligned to 2 bytes. Accuracy as for the two separate functions, with bitwise the same results.
#[no_mangle]
pub unsafe extern "C" fn softmargin_forward_backward_bf16(
    input: *const u16,
    target: *const u16,
    len: usize,
    reduction: i32,
    output: *mut u16,
    grad_input: *mut u16,
) -> i32 {
    guard(|| unsafe {
        calls::forward_backward(
            input.cast::<Bf16>(),
            target.cast(),
            len,
            reduction,
            output.cast(),
            grad_input.cast(),
        )
    })
}

/// `softmargin_check_target_f32` for bfloat16 (the upper 16 bits of an IEEE binary32, as OpenBLAS
/// and oneDNN take it) data held in `uint16_t`; `target` must be aligned to 2 bytes.
#[no_mangle]
pub unsafe extern "C" fn softmargin_check_target_bf16(
    target: *const u16,
    len: usize,
    first_invalid: *mut usize,
) -> i32 {
    guard(|| unsafe { calls::check_target(target.cast::<Bf16>(), len, first_invalid) })
}
