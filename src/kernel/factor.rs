//! The gradient's factor ([`Factor`]): `grad_output`, or `grad_output / len` for MEAN, and how
//! it enters each kernel's gradient with one rounding and no overflow of an intermediate
//! product: as `hi + lo` in the fast kernel, times the wide kernel's slope, and split into a
//! significand and a power of two ([`Split`]) in the exact one.

use super::fast::{MAX_FACTOR_F32, MAX_FACTOR_F64};
use super::second_dd::DOUBLE_DATA_FACTORS;
use crate::simd::portable::Scalar;
use crate::simd::{Simd, Vector};

/// The factor each gradient is multiplied by: each element's own (the `grad_output` of a NONE
/// backward pass, held beside the inputs), or one for all elements: `g` (SUM, and the passes
/// without a `grad_output`, where it is 1) or `g / n` (MEAN over `n` elements).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Factor {
    Each,
    Times(f64),
    Over(f64, f64),
}

impl Factor {
    /// The factor as `hi + lo` in `f32`, when both are within the range of the fast kernel in
    /// `f32` lanes (a normal `hi` up to [`MAX_FACTOR_F32`]); per-element factors are checked
    /// lane by lane, and stand here as 1. `None`: every element goes through the wide kernel.
    pub(crate) fn fast_f32(self) -> Option<(f32, f32)> {
        let c = match self {
            Factor::Each => return Some((1.0, 0.0)),
            Factor::Times(g) => g,
            Factor::Over(g, n) => g / n,
        };
        let hi = c as f32;
        (hi.is_normal() && hi.abs() <= MAX_FACTOR_F32).then(|| (hi, (c - f64::from(hi)) as f32))
    }

    /// The factor as `hi + lo` (see [`mean_factor`]), when within the range of the fast kernel
    /// in `f64` lanes (a normal `hi` up to [`MAX_FACTOR_F64`]); per-element factors stand as 1.
    /// `None`: every element goes through the exact kernel.
    pub(crate) fn fast_f64(self) -> Option<(f64, f64)> {
        let factor = match self {
            Factor::Each => Some((1.0, 0.0)),
            Factor::Times(g) => g.is_normal().then_some((g, 0.0)),
            Factor::Over(g, n) => mean_factor(g, n),
        };
        factor.filter(|(hi, _)| hi.abs() <= MAX_FACTOR_F64)
    }

    /// The factor as `hi + lo` for the double-double second derivative of `f64` data, when
    /// within the factors its analysis covers ([`DOUBLE_DATA_FACTORS`]); `None` for the
    /// others, whose elements go to the exact kernel.
    pub(crate) fn second_f64(self) -> Option<(f64, f64)> {
        let factor = match self {
            Factor::Each => None,
            Factor::Times(g) => Some((g, 0.0)),
            Factor::Over(g, n) => mean_factor(g, n),
        };
        factor.filter(|(hi, _)| DOUBLE_DATA_FACTORS.contains(hi))
    }

    /// A factor for all elements, split for the exact kernel; `each` for [`Factor::Each`].
    #[inline(always)]
    pub(crate) fn split(self, each: f64) -> Split<Scalar> {
        match self {
            Factor::Each => Split::of(Scalar(each)),
            Factor::Times(g) => Split::of(Scalar(g)),
            Factor::Over(g, n) => Split::quotient(g, n),
        }
    }

    /// The gradient of `f32` data in `f64` lanes (the wide kernel's): `slope` times the factor,
    /// in `f64`, where it cannot overflow (both are below 2^128 in size); `each` gives the
    /// lanes' own factors, and is only called for [`Factor::Each`]. A NaN result is the
    /// canonical quiet NaN ([`canonical_nan`]).
    #[inline(always)]
    pub(crate) fn times_wide<V: Vector>(self, slope: V, each: impl FnOnce() -> V) -> V {
        let v = match self {
            Factor::Each => slope.mul(each()),
            Factor::Times(g) => slope.mul(V::splat(g)),
            Factor::Over(g, n) => match mean_factor(g, n) {
                Some((c_hi, c_lo)) => product(slope, V::splat(0.0), V::splat(c_hi), V::splat(c_lo)),
                None => slope.mul(V::splat(g)).div(V::splat(n)),
            },
        };
        canonical_nan(v)
    }
}

/// A gradient factor `(hi + lo) 2^e` with `1 <= |hi| < 2` (or a zero, an infinity or NaN
/// with `e = 0`), so that a product with it neither overflows nor underflows before its scaling.
#[derive(Clone, Copy, Debug)]
pub struct Split<V> {
    pub(super) hi: V,
    pub(super) lo: V,
    pub(super) e: V,
}

impl<V: Vector> Split<V> {
    /// The factor `g`.
    #[inline(always)]
    pub(crate) fn of(g: V) -> Self {
        let (hi, e) = g.frexp();
        Split {
            hi,
            lo: V::splat(0.0),
            e,
        }
    }

    /// The factor of one.
    #[cfg(test)]
    #[inline(always)]
    pub(crate) fn one() -> Self {
        Split {
            hi: V::splat(1.0),
            lo: V::splat(0.0),
            e: V::splat(0.0),
        }
    }

    /// A factor held once for many lanes.
    #[inline(always)]
    pub(crate) fn splat(f: Split<Scalar>) -> Self {
        Split {
            hi: V::splat(f.hi.0),
            lo: V::splat(f.lo.0),
            e: V::splat(f.e.0),
        }
    }
}

impl Split<Scalar> {
    /// Whether the factor is finite.
    pub(crate) fn is_finite(self) -> bool {
        self.hi.0.is_finite()
    }

    /// The factor `g / n` (MEAN), the quotient of `g`'s significand to about 2^-106.
    pub(crate) fn quotient(g: f64, n: f64) -> Self {
        let Split { hi: f, e: eg, .. } = Split::of(Scalar(g));
        let q = f.0 / n;
        if !(q.is_finite() && q != 0.0) {
            return Split::of(Scalar(q));
        }
        let rest = (-q).mul_add(n, f.0) / n;
        let (hi, e) = Scalar(q).frexp();
        Split {
            hi,
            // 2^-e <= 2^64 (q >= 2^-64 for counts below 2^64): exact.
            lo: Scalar(rest).mul(Scalar(0.0).sub(e).exp2_int()),
            e: e.add(eg),
        }
    }
}

/// `v` with every NaN lane the canonical quiet NaN: where a NaN slope meets a NaN factor with
/// another payload, the product's payload is the first NaN operand's, and which operand is
/// first is the compiler's choice, different in each path's code.
#[inline(always)]
pub(crate) fn canonical_nan<V: Vector>(v: V) -> V {
    V::select(v.is_nan(), V::splat(f64::NAN), v)
}

/// `g / n` as `hi + lo`, the rounded quotient and the rest (to about 2^-106 relative), for a
/// finite `g` of at least 2^-900 in size, where both parts are normal numbers; `None` for the
/// others. The MEAN gradient is then the slope times this, with no division per element and no
/// overflow where `slope * g` alone would overflow; below 2^-900 (where `slope * g` cannot
/// overflow) it is `(slope * g) / n`.
pub(crate) fn mean_factor(g: f64, n: f64) -> Option<(f64, f64)> {
    if !(g.is_finite() && g.abs() >= 2f64.powi(-900)) {
        return None;
    }
    let hi = g / n;
    Some((hi, (-hi).mul_add(n, g) / n))
}

/// `(hi + lo) (c_hi + c_lo)` with one final rounding, for any factor. The small products
/// overflow only where `hi c_hi` is far beyond the largest `f64`, and then with either sign:
/// there they are dropped, and the result is the infinity of `hi c_hi`.
#[inline(always)]
pub(crate) fn product<V: Vector>(hi: V, lo: V, c_hi: V, c_lo: V) -> V {
    let small = hi.mul_add(c_lo, lo.mul(c_hi));
    let small = V::select(V::splat(f64::MAX).ge(small.abs()), small, V::splat(0.0));
    hi.mul_add(c_hi, small)
}

/// [`product`] for factors up to [`MAX_FACTOR_F64`] (in `f32` lanes, [`MAX_FACTOR_F32`]),
/// whose small products cannot overflow.
#[inline(always)]
pub(crate) fn product_in_range<V: Simd>(hi: V, lo: V, c_hi: V, c_lo: V) -> V {
    hi.mul_add(c_hi, hi.mul_add(c_lo, lo.mul(c_hi)))
}
