//! The instruction-set paths' lane types: what the element loops are instantiated with.

use crate::simd::portable::{Scalar, Scalar32};
#[cfg(target_arch = "x86_64")]
use crate::simd::{avx2, avx512};
use crate::simd::{Vector, VectorF32};
use crate::sum::LANES;

/// A path's lane types, as the element loops take them: bundles of [`LANES`] lanes (pulp's
/// `Simd` in miniature). Only the dispatch names one, after detection.
pub(crate) trait Path {
    /// [`LANES`] `f64` lanes.
    type F64: Vector;
    /// [`LANES`] `f32` lanes, with their `f64` widening.
    type F32: VectorF32;
    /// Whether a leaf's last elements go as one padded group (vector paths) or one at a time.
    const PAD: bool;
    /// Whether the path has the F16C conversions between `f32` and binary16.
    const F16C: bool;
}

/// One element at a time.
pub(crate) struct Portable;

impl Path for Portable {
    type F64 = [Scalar; LANES];
    type F32 = [Scalar32; LANES];
    const PAD: bool = false;
    const F16C: bool = false;
}

/// Four `f64` or eight `f32` lanes per vector: four and two vectors in flight.
#[cfg(target_arch = "x86_64")]
pub(crate) struct Avx2;

#[cfg(target_arch = "x86_64")]
impl Path for Avx2 {
    type F64 = [avx2::Avx2; 4];
    type F32 = [avx2::Avx2F32; 2];
    const PAD: bool = true;
    const F16C: bool = true;
}

/// Eight `f64` or sixteen `f32` lanes per vector: two and one vectors in flight.
#[cfg(target_arch = "x86_64")]
pub(crate) struct Avx512;

#[cfg(target_arch = "x86_64")]
impl Path for Avx512 {
    type F64 = [avx512::Avx512; 2];
    type F32 = avx512::Avx512F32;
    const PAD: bool = true;
    const F16C: bool = true;
}
