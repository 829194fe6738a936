//! Shards of one data set: exact partial loss sums, a shard's pass, the merge and the finish,
//! for each element type.

// The doc comments here are the C header's documentation: each function's pointer requirements
// are spelled out for C readers there rather than under a Rust `# Safety` heading.
#![allow(clippy::missing_safety_doc)]

use super::calls;
use super::guard::guard;
use super::partial::PartialBytes;
use crate::{Bf16, F16};

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
/// 2 ulp of it. A `softmargin_partial` is bytes of a fixed size and format: it may be copied
/// and sent as it is to any process on any host. With `len` 0 it is the empty sum.
///
/// NULL: `input` and `target` may be NULL only when `len` is 0; `partial` never. Aliasing:
/// `partial` may not overlap an input.
///
/// Returns `SOFTMARGIN_STATUS_OK`, or, checked in this order, `_INVALID_ARGUMENT` (`len` too
/// large), `_NULL_POINTER`, `_MISALIGNED`, `_OVERLAP`; on any of these nothing has been written.
///
/// With MPI, the merge is a user-defined, commutative operation on a byte type. An operation
/// cannot return an error: a refused merge (a corrupted partial) zeroes the result, which the
/// finish then refuses, so that the damage cannot pass as a smaller sum:
///
/// ```c
/// static void merge(void *in, void *inout, int *n, MPI_Datatype *type) {
///     softmargin_partial *to = inout;
///     for (int i = 0; i < *n; i++)
///         if (softmargin_partial_merge(&to[i], (const softmargin_partial *)in + i) != 0)
///             memset(&to[i], 0, sizeof to[i]);
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
    partial: *mut PartialBytes,
) -> i32 {
    guard(|| unsafe { calls::forward_partial(input, target, len, partial) })
}

/// `softmargin_forward_partial_f32` for `double` data.
#[no_mangle]
pub unsafe extern "C" fn softmargin_forward_partial_f64(
    input: *const f64,
    target: *const f64,
    len: usize,
    partial: *mut PartialBytes,
) -> i32 {
    guard(|| unsafe { calls::forward_partial(input, target, len, partial) })
}

/// `softmargin_forward_partial_f32` for IEEE binary16 (`_Float16`, `half`) data held in `uint16_t`; `input` and `target` must be aligned to 2
/// bytes. The partial is the same `softmargin_partial`, exact, and merges with any other;
/// finished with `softmargin_partial_finish_f16`, shards that start at multiples of
/// `SOFTMARGIN_BLOCK` give bitwise `softmargin_forward_f16`'s MEAN or SUM over the whole.
#[no_mangle]
pub unsafe extern "C" fn softmargin_forward_partial_f16(
    input: *const u16,
    target: *const u16,
    len: usize,
    partial: *mut PartialBytes,
) -> i32 {
    guard(|| unsafe { calls::forward_partial(input.cast::<F16>(), target.cast(), len, partial) })
}

/// `softmargin_forward_partial_f32` for bfloat16 data held in `uint16_t`; `input` and `target` must be aligned to 2
/// bytes. The partial is the same `softmargin_partial`, exact, and merges with any other;
/// finished with `softmargin_partial_finish_bf16`, shards that start at multiples of
/// `SOFTMARGIN_BLOCK` give bitwise `softmargin_forward_bf16`'s MEAN or SUM over the whole.
#[no_mangle]
pub unsafe extern "C" fn softmargin_forward_partial_bf16(
    input: *const u16,
    target: *const u16,
    len: usize,
    partial: *mut PartialBytes,
) -> i32 {
    guard(|| unsafe { calls::forward_partial(input.cast::<Bf16>(), target.cast(), len, partial) })
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
    partial: *mut PartialBytes,
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
    partial: *mut PartialBytes,
    grad_input: *mut f64,
) -> i32 {
    guard(|| unsafe {
        calls::forward_backward_shard(
            input, target, len, total_len, reduction, partial, grad_input,
        )
    })
}

/// `softmargin_forward_backward_shard_f32` for IEEE binary16 (`_Float16`, `half`) data held in `uint16_t`, with every rule of it; the arrays
/// must be aligned to 2 bytes. The gradient is bitwise `softmargin_forward_backward_f16`'s over
/// the whole data set for these elements.
#[no_mangle]
pub unsafe extern "C" fn softmargin_forward_backward_shard_f16(
    input: *const u16,
    target: *const u16,
    len: usize,
    total_len: usize,
    reduction: i32,
    partial: *mut PartialBytes,
    grad_input: *mut u16,
) -> i32 {
    guard(|| unsafe {
        calls::forward_backward_shard(
            input.cast::<F16>(),
            target.cast(),
            len,
            total_len,
            reduction,
            partial,
            grad_input.cast(),
        )
    })
}

/// `softmargin_forward_backward_shard_f32` for bfloat16 data held in `uint16_t`, with every rule of it; the arrays
/// must be aligned to 2 bytes. The gradient is bitwise `softmargin_forward_backward_bf16`'s over
/// the whole data set for these elements.
#[no_mangle]
pub unsafe extern "C" fn softmargin_forward_backward_shard_bf16(
    input: *const u16,
    target: *const u16,
    len: usize,
    total_len: usize,
    reduction: i32,
    partial: *mut PartialBytes,
    grad_input: *mut u16,
) -> i32 {
    guard(|| unsafe {
        calls::forward_backward_shard(
            input.cast::<Bf16>(),
            target.cast(),
            len,
            total_len,
            reduction,
            partial,
            grad_input.cast(),
        )
    })
}

/// Adds the partial sum `*from` into `*into`, counts included. Exact, commutative and
/// associative: any order and grouping of merges gives the same bytes. `into` and `from` may be
/// the same partial (which then doubles); any other overlap between them is refused.
///
/// Returns `SOFTMARGIN_STATUS_OK`, or, checked in this order, `_NULL_POINTER`, `_OVERLAP`,
/// `_INVALID_PARTIAL` (either partial fails the checks of `softmargin_partial`, or the merged
/// count would pass UINT64_MAX); on these nothing has been written.
#[no_mangle]
pub unsafe extern "C" fn softmargin_partial_merge(
    into: *mut PartialBytes,
    from: *const PartialBytes,
) -> i32 {
    guard(|| unsafe { calls::partial_merge(into, from) })
}

/// Writes to `*output` the MEAN (the sum over the partial's count; NaN for a count of 0) or the
/// SUM of the losses in `*partial`, rounded once to `float`, as `softmargin_forward_f32`
/// rounds its reductions. For the bits of a single call over the whole data set, the partials
/// must come from `float` data.
///
/// Returns `SOFTMARGIN_STATUS_OK`, or, checked in this order, `_INVALID_REDUCTION` (anything but
/// MEAN and SUM), `_NULL_POINTER`, `_MISALIGNED` (`output`), `_OVERLAP`, `_INVALID_PARTIAL`
/// (the partial fails the checks of `softmargin_partial`); on these nothing has been written.
#[no_mangle]
pub unsafe extern "C" fn softmargin_partial_finish_f32(
    partial: *const PartialBytes,
    reduction: i32,
    output: *mut f32,
) -> i32 {
    guard(|| unsafe { calls::partial_finish(partial, reduction, output) })
}

/// `softmargin_partial_finish_f32` rounding to `double`, as `softmargin_forward_f64` does.
#[no_mangle]
pub unsafe extern "C" fn softmargin_partial_finish_f64(
    partial: *const PartialBytes,
    reduction: i32,
    output: *mut f64,
) -> i32 {
    guard(|| unsafe { calls::partial_finish(partial, reduction, output) })
}

/// `softmargin_partial_finish_f32` rounding once to IEEE binary16 (held in a `uint16_t`, aligned to 2
/// bytes), as `softmargin_forward_f16` rounds its reductions.
#[no_mangle]
pub unsafe extern "C" fn softmargin_partial_finish_f16(
    partial: *const PartialBytes,
    reduction: i32,
    output: *mut u16,
) -> i32 {
    guard(|| unsafe { calls::partial_finish(partial, reduction, output.cast::<F16>()) })
}

/// `softmargin_partial_finish_f32` rounding once to bfloat16 (held in a `uint16_t`, aligned to 2
/// bytes), as `softmargin_forward_bf16` rounds its reductions.
#[no_mangle]
pub unsafe extern "C" fn softmargin_partial_finish_bf16(
    partial: *const PartialBytes,
    reduction: i32,
    output: *mut u16,
) -> i32 {
    guard(|| unsafe { calls::partial_finish(partial, reduction, output.cast::<Bf16>()) })
}
