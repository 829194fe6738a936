//! PyTorch's `SoftMarginLoss`, forward and backward, over `f32` and `f64` buffers.
//!
//! For an input (raw score) `x` and a target `y`, normally -1 or +1, the loss of one element is
//! `log(1 + exp(-y x))`, reduced over the buffer by nothing, the mean or the sum. Its derivative
//! with respect to `x` is `-y sigmoid(-y x)`.
//!
//! Every element's loss, and its derivative, is within 2 ulp of the correctly rounded value
//! over the whole floating-point range: the stable form `max(m, 0) + log1p(exp(-|m|))` never
//! overflows where `log1p(exp(m))` does (at `x = -100, y = 1` in `f32`, PyTorch returns an
//! infinite loss and a NaN gradient; this crate returns 100 and -1). Sums accumulate in `f64`
//! for `f32` data and in compensated `f64` for `f64` data within each block of 4096 elements;
//! the blocks' sums are added exactly and rounded once, so reduced values are bitwise identical
//! for any number of threads, and shards of a data set merge to the same bits ([`Partial`]).
//!
//! Large buffers are processed on the crate's own rayon pool ([`set_num_threads`]); small ones on
//! the calling thread.
//!
//! Every input argument takes a slice, a `&Vec`, an array reference or an [`Operand`] (which
//! also names an output buffer holding the input, for in-place use).
//!
//! ```
//! use softmargin::{forward_backward_reduced, forward_none, forward_reduced, Operand, Reduced};
//!
//! let x = vec![0.5f32, -2.0, 3.1, -0.2];
//! let y = [1.0f32, -1.0, 1.0, -1.0];
//! let mut loss = [0.0f32; 4];
//! forward_none(&x, &y, &mut loss)?;
//! assert!((loss[0] - 0.474_077_3).abs() < 1e-6);
//!
//! let mut grad = [0.0f32; 4];
//! let mean = forward_backward_reduced(&x, &y, Reduced::Mean, &mut grad)?;
//! assert_eq!(mean, forward_reduced(&x, &y, Reduced::Mean)?);
//! assert!((mean - 0.310_802).abs() < 1e-6);
//! assert_eq!(grad[1], 0.119_202_92 / 4.0); // -y sigmoid(-y x) / len at x = -2, y = -1
//!
//! // In place: the gradient buffer holds the input on entry.
//! let mut buf = x.clone();
//! forward_backward_reduced(Operand::Grad, &y, Reduced::Mean, &mut buf)?;
//! assert_eq!(buf, grad);
//! # Ok::<(), softmargin::Error>(())
//! ```
//!
//! The C interface is declared in `include/softmargin.h`; its Rust side (the `ffi` module) is
//! not part of this crate's Rust API.

#![deny(unsafe_op_in_unsafe_fn)]

mod env;
#[doc(hidden)]
pub mod ffi;
mod float;
mod half;
mod hessian;
mod kernel;
mod ops;
mod parallel;
mod partial;
mod pass;
mod simd;
mod sum;

pub use float::Float;
pub use half::{Bf16, F16};
pub use hessian::gradient_hessian;
pub use ops::{
    backward_none, backward_reduced, first_invalid_target, forward_backward_none,
    forward_backward_reduced, forward_backward_shard, forward_none, forward_partial,
    forward_reduced, Error, Reduced,
};
pub use parallel::{
    default_num_threads, num_threads, set_num_threads, TooManyThreads, BLOCK, MAX_THREADS,
    NUM_THREADS_ENV,
};
pub use partial::Partial;
pub use pass::Operand;
pub use simd::{isa, set_isa, Isa, UnsupportedIsa, ISA_ENV};
