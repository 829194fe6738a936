//! Error-free transforms: a sum or a product as its rounded value and its exact error, the
//! building blocks of the kernels' double-length arithmetic.

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
