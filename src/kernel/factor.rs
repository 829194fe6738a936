//! The gradient's factor: `grad_output`, or `grad_output / len` for MEAN, and how it enters the
//! gradient with one rounding and no overflow of an intermediate product.

use crate::simd::portable::Scalar;
use crate::simd::{Simd, Vector};

/// A gradient factor `(f_hi + f_lo) 2^e` with `1 <= |f_hi| < 2` (or a zero, an infinity or NaN
/// with `e = 0`), so that a product with it neither overflows nor underflows before its scaling.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Factor<V> {
    pub(super) hi: V,
    pub(super) lo: V,
    pub(super) e: V,
}

impl<V: Vector> Factor<V> {
    /// The factor `g`.
    #[inline(always)]
    pub(crate) fn of(g: V) -> Self {
        let (hi, e) = g.frexp();
        Factor {
            hi,
            lo: V::splat(0.0),
            e,
        }
    }

    /// The factor of one.
    #[cfg(test)]
    #[inline(always)]
    pub(crate) fn one() -> Self {
        Factor {
            hi: V::splat(1.0),
            lo: V::splat(0.0),
            e: V::splat(0.0),
        }
    }

    /// A factor held once for many lanes.
    #[inline(always)]
    pub(crate) fn splat(f: Factor<Scalar>) -> Self {
        Factor {
            hi: V::splat(f.hi.0),
            lo: V::splat(f.lo.0),
            e: V::splat(f.e.0),
        }
    }
}

impl Factor<Scalar> {
    /// The factor `g / n` (MEAN), the quotient of `g`'s significand to about 2^-106.
    pub(crate) fn quotient(g: f64, n: f64) -> Self {
        let Factor { hi: f, e: eg, .. } = Factor::of(Scalar(g));
        let q = f.0 / n;
        if !(q.is_finite() && q != 0.0) {
            return Factor::of(Scalar(q));
        }
        let rest = (-q).mul_add(n, f.0) / n;
        let (hi, e) = Scalar(q).frexp();
        Factor {
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

/// [`product`] for factors up to [`super::fast::MAX_FACTOR_F64`] (in `f32` lanes,
/// [`super::fast::MAX_FACTOR_F32`]), whose small products cannot overflow.
#[inline(always)]
pub(crate) fn product_in_range<V: Simd>(hi: V, lo: V, c_hi: V, c_lo: V) -> V {
    hi.mul_add(c_hi, hi.mul_add(c_lo, lo.mul(c_hi)))
}
