//! Kernel math: the loss and its derivatives for lanes of elements, written once against the
//! lane traits of [`crate::simd`] for every instruction-set path. Every kernel is branch-free,
//! so each lane gets the same IEEE operations on every path: results are bitwise the same on
//! all.
//!
//! A reader finds each concept in its own file:
//!
//! - [`fast`]: the fast kernel, for the inputs that cover nearly all real data (margins up to
//!   64 in size), with double-length arithmetic in `f64` lanes (`f64` data) and `f32` lanes
//!   (the 16-bit types), written once for both.
//! - [`bounded`]: the loss and slope of `f32` data in `f64` lanes with a proven error bound,
//!   for correct rounding; [`precise`]: the same to about 2^-100, one element at a time, for
//!   the few results the bound leaves open.
//! - [`wide`]: the kernel for every input of 24 bits or fewer, in `f64` lanes, to about 2^-32:
//!   the fallback of the 16-bit types' fast kernel.
//! - [`exact`]: the kernel for every `f64` input, in double-double, and the exact fallback of
//!   every result whose rounding the others leave open.
//! - [`second`]: the first and second derivatives together, for data of 24 bits or fewer in
//!   `f64` lanes and through the exact kernel; [`second_dd`]: for `f64` data in double-double
//!   lanes.
//! - [`factor`]: the gradient's factor, and how it enters each kernel with one rounding.
//! - [`round`]: rounding a double-double value once: to odd, for a second, correct rounding,
//!   and to the nearest `f32`.
//! - [`poly`] and [`eft`]: the polynomials and the error-free transforms they are built of.

pub(crate) mod bounded;
pub(crate) mod eft;
pub(crate) mod exact;
pub(crate) mod factor;
pub(crate) mod fast;
#[cfg(test)]
pub(crate) mod mix;
pub(crate) mod poly;
pub(crate) mod precise;
pub(crate) mod round;
pub(crate) mod second;
pub(crate) mod second_dd;
pub(crate) mod wide;
