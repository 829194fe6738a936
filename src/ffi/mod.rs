//! The C interface: `include/softmargin.h` is generated from this module by cbindgen.
//!
//! Every export is `#[no_mangle] extern "C"` and its body is one call to [`guard`], which catches
//! panics; `tests/exports.rs` checks both. The doc comments are the header's documentation and
//! are written for C programmers.

// The doc comments here are the C header's documentation: each function's pointer requirements
// are spelled out for C readers there rather than under a Rust `# Safety` heading.
#![allow(clippy::missing_safety_doc)]

mod args;
mod calls;
mod guard;
mod status;

use std::ffi::c_char;

use crate::{Bf16, Partial, F16};
use guard::guard;
pub use status::*;

/// Reduction: every element's loss is returned (`len` values).
pub const SOFTMARGIN_REDUCTION_NONE: i32 = 0;
/// Reduction: the mean of the losses (one value; NaN when `len` is 0).
pub const SOFTMARGIN_REDUCTION_MEAN: i32 = 1;
/// Reduction: the sum of the losses (one value; 0 when `len` is 0).
pub const SOFTMARGIN_REDUCTION_SUM: i32 = 2;

/// The largest thread count `softmargin_set_num_threads` accepts.
pub const SOFTMARGIN_MAX_THREADS: usize = 1024;

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
/// Accuracy: each loss is within 2 ulp of the correctly rounded value for every finite input,
/// including where `exp(-target * input)` would overflow; the loss is +inf only when the value
/// exceeds `FLT_MAX`. The mean and the sum are accumulated in double precision and are within
/// 2 ulp of the exact result, bitwise identical for any thread count.
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
/// Accuracy: with a `grad_output` of 1, each gradient is within 2 ulp of the correctly rounded
/// value; for any other finite `grad_output` (and its division by `len` for MEAN), within 2 ulp
/// of the exact product, also where the gradient for a factor of 1 would be subnormal or 0. No
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

/// `softmargin_forward_f32` for `double` data.
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

/// `softmargin_backward_f32` for `double` data.
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
/// where the `double` value falls exactly on a midpoint of two floats). `double` results come from
/// double-double with a second rounding and are within 2 ulp. Both are finite for every finite
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

/// Elements in a block of the library's reductions: sums are formed block by block from the
/// start of the buffer, and the blocks' sums are added exactly. Shards of a data set that
/// start at multiples of it (see `softmargin_forward_backward_shard_f32`) have the same blocks
/// as the whole, so their merged partial sums finish to the whole's result bit for bit.
pub const SOFTMARGIN_BLOCK: usize = 4096;

const _: () = assert!(SOFTMARGIN_BLOCK == crate::BLOCK);

/// Computes the exact partial sum of the losses of one shard of a data set, for a MEAN or SUM
/// over several shards (MPI ranks, say) that is the same as one call over all the data.
///
/// `*partial` receives the sum of the `len` elements' losses, held exactly, and the count
/// `len`. Partials are merged with `softmargin_partial_merge` (exact: any order and grouping
/// gives the same bits) and rounded once with `softmargin_partial_finish_f32`. When every shard
/// starts at a multiple of `SOFTMARGIN_BLOCK` elements of the whole data set, the finished
/// MEAN or SUM is bitwise `softmargin_forward_f32`'s over the whole; otherwise it is within
/// 2 ulp of it. A `softmargin_partial` is plain data of a fixed size: it may be copied and
/// sent as bytes between processes of the same byte order. All-zero bytes are the empty sum.
///
/// NULL: `input` and `target` may be NULL only when `len` is 0; `partial` never. Aliasing:
/// `partial` may not overlap an input.
///
/// Returns `SOFTMARGIN_STATUS_OK`, or, checked in this order, `_INVALID_ARGUMENT` (`len` too
/// large), `_NULL_POINTER`, `_MISALIGNED`, `_OVERLAP`; on any of these nothing has been written.
///
/// With MPI, the merge is a user-defined, commutative operation on a byte type:
///
/// ```c
/// static void merge(void *in, void *inout, int *n, MPI_Datatype *type) {
///     for (int i = 0; i < *n; i++)
///         softmargin_partial_merge((softmargin_partial *)inout + i,
///                                  (const softmargin_partial *)in + i);
/// }
/// MPI_Datatype type; MPI_Op op;
/// MPI_Type_contiguous(sizeof(softmargin_partial), MPI_BYTE, &type); MPI_Type_commit(&type);
/// MPI_Op_create(merge, 1, &op);
/// softmargin_forward_partial_f32(x, y, shard_len, &mine);
/// MPI_Allreduce(&mine, &all, 1, type, op, MPI_COMM_WORLD);
/// softmargin_partial_finish_f32(&all, SOFTMARGIN_REDUCTION_MEAN, &mean);
/// ```
#[no_mangle]
pub unsafe extern "C" fn softmargin_forward_partial_f32(
    input: *const f32,
    target: *const f32,
    len: usize,
    partial: *mut Partial,
) -> i32 {
    guard(|| unsafe { calls::forward_partial(input, target, len, partial) })
}

/// `softmargin_forward_partial_f32` for `double` data.
#[no_mangle]
pub unsafe extern "C" fn softmargin_forward_partial_f64(
    input: *const f64,
    target: *const f64,
    len: usize,
    partial: *mut Partial,
) -> i32 {
    guard(|| unsafe { calls::forward_partial(input, target, len, partial) })
}

/// One shard's part of `softmargin_forward_backward_f32` over a data set of `total_len`
/// elements, of which this shard holds `len` (`input`, `target`).
///
/// `grad_input` receives the gradient of the MEAN over all `total_len` elements (factor
/// `1 / total_len`) or of the SUM, with respect to this shard's inputs: bitwise what the one
/// call over the whole data set writes for these elements, wherever the shard starts.
/// `*partial` receives the shard's partial loss sum, as `softmargin_forward_partial_f32`
/// computes it; merged over the shards and finished, it is the loss.
///
/// NULL: the arrays may be NULL only when `len` is 0; `partial` never. Aliasing: `grad_input`
/// may be exactly `input` or `target`; `partial` may not overlap any array.
///
/// Returns `SOFTMARGIN_STATUS_OK`, or, checked in this order, `_INVALID_REDUCTION` (anything
/// but MEAN and SUM), `_INVALID_ARGUMENT` (`len` too large), `_NULL_POINTER`, `_MISALIGNED`,
/// `_INVALID_ARGUMENT` (`total_len` below `len`), `_OVERLAP`; on any of these nothing has been
/// written.
#[no_mangle]
pub unsafe extern "C" fn softmargin_forward_backward_shard_f32(
    input: *const f32,
    target: *const f32,
    len: usize,
    total_len: usize,
    reduction: i32,
    partial: *mut Partial,
    grad_input: *mut f32,
) -> i32 {
    guard(|| unsafe {
        calls::forward_backward_shard(
            input, target, len, total_len, reduction, partial, grad_input,
        )
    })
}

/// `softmargin_forward_backward_shard_f32` for `double` data.
#[no_mangle]
pub unsafe extern "C" fn softmargin_forward_backward_shard_f64(
    input: *const f64,
    target: *const f64,
    len: usize,
    total_len: usize,
    reduction: i32,
    partial: *mut Partial,
    grad_input: *mut f64,
) -> i32 {
    guard(|| unsafe {
        calls::forward_backward_shard(
            input, target, len, total_len, reduction, partial, grad_input,
        )
    })
}

/// Adds the partial sum `*from` into `*into`, counts included. Exact, commutative and
/// associative: any order and grouping of merges gives the same bytes. `into` and `from` may be
/// the same.
///
/// Returns `SOFTMARGIN_STATUS_OK`, or `_NULL_POINTER`, `_MISALIGNED`; on these nothing has been
/// written.
#[no_mangle]
pub unsafe extern "C" fn softmargin_partial_merge(into: *mut Partial, from: *const Partial) -> i32 {
    guard(|| unsafe { calls::partial_merge(into, from) })
}

/// Writes to `*output` the MEAN (the sum over the partial's count; NaN for a count of 0) or the
/// SUM of the losses in `*partial`, rounded once to `float`, as `softmargin_forward_f32`
/// rounds its reductions. For the bits of a single call over the whole data set, the partials
/// must come from `float` data.
///
/// Returns `SOFTMARGIN_STATUS_OK`, or, checked in this order, `_INVALID_REDUCTION` (anything but
/// MEAN and SUM), `_NULL_POINTER`, `_MISALIGNED`, `_OVERLAP`; on these nothing has been
/// written.
#[no_mangle]
pub unsafe extern "C" fn softmargin_partial_finish_f32(
    partial: *const Partial,
    reduction: i32,
    output: *mut f32,
) -> i32 {
    guard(|| unsafe { calls::partial_finish(partial, reduction, output) })
}

/// `softmargin_partial_finish_f32` rounding to `double`, as `softmargin_forward_f64` does.
#[no_mangle]
pub unsafe extern "C" fn softmargin_partial_finish_f64(
    partial: *const Partial,
    reduction: i32,
    output: *mut f64,
) -> i32 {
    guard(|| unsafe { calls::partial_finish(partial, reduction, output) })
}

/// Describes a status in English. Takes any integer; an unknown value gives "unknown status".
///
/// Returns a static, NUL-terminated string that must not be freed; never NULL.
#[no_mangle]
pub extern "C" fn softmargin_status_str(status: i32) -> *const c_char {
    guard(|| status::status_str(status).as_ptr())
}

/// The library's version as "MAJOR.MINOR.PATCH", the same as `SOFTMARGIN_VERSION_STRING` in
/// the header it was built with. A static string; never NULL.
#[no_mangle]
pub extern "C" fn softmargin_version() -> *const c_char {
    guard(|| VERSION.as_ptr())
}

/// The name of the instruction-set path the kernels use, for logs: "avx512" (AVX-512 F, VL, DQ
/// and BW, on x86-64 CPUs that have them), "avx2" (AVX2, FMA and F16C) or "portable" (plain code,
/// everywhere). The path is the best the CPU
/// supports, capped by the environment variable `SOFTMARGIN_ISA` when it names one of these
/// (read once, at first use, by the rule of `SOFTMARGIN_NUM_THREADS`: surrounding whitespace
/// and case ignored; any other value is ignored). Results are bitwise the same on every path;
/// only speed differs.
///
/// A static, NUL-terminated string that must not be freed; never NULL. May be called from any
/// thread at any time.
#[no_mangle]
pub extern "C" fn softmargin_isa() -> *const c_char {
    guard(|| crate::isa().c_name().as_ptr())
}

static VERSION: &std::ffi::CStr = match std::ffi::CStr::from_bytes_with_nul(
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes(),
) {
    Ok(v) => v,
    Err(_) => panic!("the package version contains a NUL byte"),
};

/// Sets the number of threads used by calls on large buffers; 0 restores the default, which is
/// the value of the environment variable `SOFTMARGIN_NUM_THREADS` when it holds a count from 1
/// to `SOFTMARGIN_MAX_THREADS` (decimal digits, surrounding whitespace ignored, taken as given
/// also above the CPU count), and otherwise the number of CPUs available to the process. A
/// count above the CPU count is accepted here too.
///
/// With `n` threads, a call on a large buffer runs on the calling thread and on `n - 1` worker
/// threads that the library creates on first use; a calling thread that has finished its part
/// waits busily (for at most 0.2 ms) for the workers' last parts before it sleeps. Calls on
/// small buffers (fewer than 32768 elements) always run on the calling thread alone. Results are
/// bitwise the same for every thread count. Calls already running finish with the threads they
/// started with. May be called from any thread at any time.
///
/// Returns `SOFTMARGIN_STATUS_OK`, or `SOFTMARGIN_STATUS_INVALID_ARGUMENT` (nothing changed)
/// when `num_threads` exceeds `SOFTMARGIN_MAX_THREADS`.
#[no_mangle]
pub extern "C" fn softmargin_set_num_threads(num_threads: usize) -> i32 {
    guard(|| match crate::set_num_threads(num_threads) {
        Ok(()) => SOFTMARGIN_STATUS_OK,
        Err(crate::TooManyThreads) => SOFTMARGIN_STATUS_INVALID_ARGUMENT,
    })
}

/// The number of threads calls on large buffers use (at least 1).
#[no_mangle]
pub extern "C" fn softmargin_get_num_threads() -> usize {
    guard(crate::num_threads)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_constants_match_the_core() {
        assert_eq!(SOFTMARGIN_MAX_THREADS, crate::MAX_THREADS);
        assert_eq!(
            crate::tree::PARALLEL_MIN,
            32768,
            "update the set_num_threads docs"
        );
    }
}
