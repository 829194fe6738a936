//! PyTorch's `SoftMarginLoss`, forward and backward, over `f32`, `f64`, binary16 ([`F16`]) and
//! bfloat16 ([`Bf16`]) buffers.
//!
//! For an input (raw score) `x` and a target `y`, normally -1 or +1, the loss of one element is
//! `log(1 + exp(-y x))`, reduced over the buffer by nothing, the mean or the sum. Its derivative
//! with respect to `x` is `-y sigmoid(-y x)`.
//!
//! Every element's loss, and its derivative, is the correctly rounded value in `f32` and the
//! 16-bit types, and within 2 ulp of it in `f64`, over the whole floating-point range: the stable
//! form `max(m, 0) + log1p(exp(-|m|))` never overflows where `log1p(exp(m))` does (at
//! `x = -100, y = 1` in `f32`, PyTorch returns an infinite loss and a NaN gradient; this crate
//! returns 100 and -1). [`gradient_hessian`] gives the second derivative too. Sums accumulate
//! in `f64` for data computed through `f32` and in compensated `f64` for `f64` data within each
//! block of 4096 elements; the blocks' sums are added exactly and rounded once, so reduced
//! values are bitwise identical for any number of threads, and shards of a data set merge to
//! the same bits ([`Partial`]).
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
//! approx::assert_abs_diff_eq!(loss[0], 0.474_077_3, epsilon = 1e-6);
//!
//! let mut grad = [0.0f32; 4];
//! let mean = forward_backward_reduced(&x, &y, Reduced::Mean, &mut grad)?;
//! assert_eq!(mean, forward_reduced(&x, &y, Reduced::Mean)?);
//! approx::assert_abs_diff_eq!(mean, 0.310_802, epsilon = 1e-6);
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

//! # Layers
//!
//! The crate is built in layers, bottom to top; a file imports only from its own layer or the
//! ones below (`tests/layers.rs` holds every `use crate::` path to this, and to no circle
//! between files):
//!
//! 1. Vocabulary: [`Reduced`] (`reduction`), [`Error`] (`error`), the 16-bit types (`half`),
//!    the environment variables (`env`).
//! 2. Lanes: vectors of each instruction set, and the one dispatch that picks a path (`simd`).
//! 3. Kernel math: the fast, wide and exact kernels, the second derivatives, the factor, the
//!    polynomials (`kernel`).
//! 4. Reductions: the exact fixed-point sum (`partial`), the lane sums (`sum`), a pass's sum
//!    over its blocks (`total`).
//! 5. The element loop: one loop for every type, output and path (`loops`).
//! 6. The engine: the pass description (`pass`), the one leaf driver (`leaf`), the blocks
//!    (`tree`) and the pool (`pool`).
//! 7. The element types: a row of the engine's tables for each (`element`).
//! 8. The public operations (`ops`).
//! 9. The C door (`ffi`).

#![deny(unsafe_op_in_unsafe_fn)]

// The README's Rust example runs with the doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

// 1. Vocabulary.
mod env;
mod error;
mod half;
mod reduction;
// 2. Lanes.
mod simd;
// 3. Kernel math.
mod kernel;
// 4. Reductions.
mod partial;
mod sum;
mod total;
// 5. The element loop.
mod loops;
// 6. The engine.
mod leaf;
mod pass;
mod pool;
mod tree;
// 7. The element types.
mod element;
// 8. The public operations.
mod ops;
// 9. The C door.
#[doc(hidden)]
pub mod ffi;

pub use element::Float;
pub use error::Error;
pub use half::{Bf16, F16};
pub use ops::{
    backward_none, backward_reduced, first_invalid_target, forward_backward_none,
    forward_backward_reduced, forward_backward_shard, forward_none, forward_partial,
    forward_reduced, gradient_hessian,
};
pub use partial::Partial;
pub use pass::Operand;
pub use pool::{
    default_num_threads, num_threads, set_num_threads, TooManyThreads, MAX_THREADS, NUM_THREADS_ENV,
};
pub use reduction::Reduced;
pub use simd::{isa, set_isa, Isa, UnsupportedIsa, ISA_ENV};
pub use tree::BLOCK;
