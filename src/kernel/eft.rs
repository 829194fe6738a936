//! Error-free transforms: a sum or a product as its rounded value and its exact error, the
//! building blocks of the kernels' double-length arithmetic; and the double-double products
//! built of them.

use crate::simd::{Simd, Vector};

/// `a + b` exactly, as a rounded sum and its error, when `|a| >= |b|` or `a` is 0 (Fast2Sum).
#[inline(always)]
pub(crate) fn fast_two_sum<V: Simd>(a: V, b: V) -> (V, V) {
    let s = a.add(b);
    (s, b.sub(s.sub(a)))
}

/// `a + b` exactly, as a rounded sum and its error, for any `a` and `b` (Knuth's TwoSum).
#[inline(always)]
pub(crate) fn two_sum<V: Simd>(a: V, b: V) -> (V, V) {
    let s = a.add(b);
    let bb = s.sub(a);
    (s, a.sub(s.sub(bb)).add(b.sub(bb)))
}

/// `a * b` exactly, as a rounded product and its error.
#[inline(always)]
pub(crate) fn two_prod<V: Vector>(a: V, b: V) -> (V, V) {
    let p = a.mul(b);
    (p, a.mul_add(b, V::splat(0.0).sub(p)))
}

/// `(a_hi + a_lo) (b_hi + b_lo)` as an unevaluated sum `hi + lo` (`hi` the rounded product of
/// the high parts, `lo` within a few of its ulps), to about 2^-104 relative, for operands with
/// `|lo|` within a few ulps of `hi` whose product neither overflows nor underflows.
#[inline(always)]
pub(crate) fn dd_mul<V: Vector>(a: (V, V), b: (V, V)) -> (V, V) {
    let (p, e) = two_prod(a.0, b.0);
    (p, a.0.mul_add(b.1, a.1.mul_add(b.0, e)))
}

/// `(a_hi + a_lo) b` as [`dd_mul`] gives it.
#[inline(always)]
pub(crate) fn dd_mul_f64<V: Vector>(a: (V, V), b: V) -> (V, V) {
    let (p, e) = two_prod(a.0, b);
    (p, a.1.mul_add(b, e))
}
