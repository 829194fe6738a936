//! The `f64` kernel for the inputs that cover nearly all real data: the design of
//! [`super::single`] in `f64` lanes.
//!
//! The values that decide the result are carried as unevaluated sums `hi + lo` of two `f64`s
//! (the margin exactly by FMA, `e = exp(-|m|)`, the `log1p` argument and the sigmoid with their
//! division remainders, the loss up to its last addition); every result is one rounding of a
//! value within about 2^-56 relative of the exact one. The polynomials are the Taylor series of
//! [`super::exact`], by Estrin's scheme.
//!
//! The kernel covers margins with `|y x| <= 64` and, for gradients, targets with `|y| >= 2^-8`;
//! it reports the lanes outside in masks, and the caller computes those with
//! [`super::exact::point`], which handles every input.

use super::eft::{fast_two_sum, two_sum};
use super::poly::{estrin, ATANH_COEFFS, EXP_COEFFS, LN2_HI, LN2_LO};
use crate::simd::Vector;

/// Margins up to this size are in the kernel's range.
const MAX_MARGIN: f64 = 64.0;

/// Targets at least this large (in size) are in the kernel's range for gradients.
const MIN_TARGET: f64 = 1.0 / 256.0;

/// Gradient factors up to this size are in the kernel's range: the slope's low part is below
/// 2^-51 of the slope, so that times a factor up to 2^40 it stays below the largest `f64` (see
/// [`super::single::MAX_FACTOR`]).
pub(crate) const MAX_FACTOR: f64 = 1_099_511_627_776.0;

/// What the kernel computes for a vector of elements: `loss` (as a rounded value and its
/// rounding error) only with `LOSS` and in the lanes of `ok`, `slope_*` only with `GRAD` and in
/// the lanes of `ok_grad`. The losses do not depend on `GRAD`.
pub(crate) struct Double<V: Vector> {
    pub loss: V,
    pub loss_err: V,
    /// The slope `-y sigmoid(-y x)` is `slope_hi + slope_lo`.
    pub slope_hi: V,
    pub slope_lo: V,
    pub ok: V::Mask,
    pub ok_grad: V::Mask,
}

/// The loss `log(1 + exp(-y x))` and the slope `-y sigmoid(-y x)` of `f64` inputs, as
/// described in the module documentation.
#[inline(always)]
pub(crate) fn fast_f64<V: Vector, const LOSS: bool, const GRAD: bool>(x: V, y: V) -> Double<V> {
    let zero = V::splat(0.0);
    let one = V::splat(1.0);
    let neg_y = zero.sub(y);
    // m + m_lo = -y x exactly (the kernel's range is far from underflow where it matters).
    let m = neg_y.mul(x);
    let m_lo = neg_y.mul_add(x, zero.sub(m));
    let size = m.abs();
    let ok = V::splat(MAX_MARGIN).ge(size);
    let ok_grad = V::and(ok, y.abs().ge(V::splat(MIN_TARGET)));
    let positive = m.ge(zero);
    // e = exp(a + a_lo) with a + a_lo = -|m + m_lo|.
    let a = zero.sub(size);
    let a_lo = V::select(positive, zero.sub(m_lo), m_lo);
    let k = a.mul(V::splat(std::f64::consts::LOG2_E)).round();
    // k LN2_HI is exact and so is a - k LN2_HI (|k| <= 93); k LN2_LO (up to 2^-26) is too
    // large to enter to first order only, so the reduced argument is summed to r + r_lo with
    // r_lo below half an ulp of r.
    let r_hi = a.sub(k.mul(V::splat(LN2_HI)));
    let (r, r_lo) = two_sum(r_hi, k.mul_add(V::splat(-LN2_LO), a_lo));
    let r2 = r.mul(r);
    let p = estrin(r, r2, &EXP_COEFFS);
    // exp(r + r_lo) = exp(r) (1 + r_lo), exp(r) = fl(1 + r) + rest; renormalised.
    let one_r = one.add(r);
    let rest = r2.mul_add(p, r.sub(one_r.sub(one)));
    let t = r_lo.mul_add(one_r, rest.mul_add(r_lo, rest));
    let (e_hi, e_lo) = fast_two_sum(one_r, t);
    let scale = k.exp2_int();
    let (e_hi, e_lo) = (e_hi.mul(scale), e_lo.mul(scale));

    let mut loss = zero;
    let mut loss_err = zero;
    if LOSS {
        // w = e / (2 + e) as w_hi + w_lo: the remainder of the quotient, by FMA.
        let two = V::splat(2.0);
        let d2 = two.add(e_hi);
        let inv2 = one.div(d2);
        let d2_lo = e_hi.sub(d2.sub(two)).add(e_lo);
        let w_hi = e_hi.mul(inv2);
        let rem = zero.sub(w_hi).mul_add(d2, e_hi).add(e_lo);
        let w_lo = zero.sub(w_hi).mul_add(d2_lo, rem).mul(inv2);
        // log1p(e) = 2 w + 2 w^3 t(w^2) at w = w_hi, the low part through 2 / (1 - w^2).
        let w2 = w_hi.mul(w_hi);
        let t = estrin(w2, w2.mul(w2), &ATANH_COEFFS);
        let two_w = w_hi.add(w_hi);
        let two_w_lo = w_lo.add(w_lo);
        let tail = two_w.mul(w2).mul_add(t, two_w_lo.mul_add(w2, two_w_lo));
        // loss = max(m, 0) + log1p(e), with m's own low part where m > 0.
        let (s, err) = two_sum(m.max(zero), two_w);
        let lo = err.add(V::select(positive, m_lo, zero)).add(tail);
        (loss, loss_err) = fast_two_sum(s, lo);
    }

    let mut slope_hi = zero;
    let mut slope_lo = zero;
    if GRAD {
        // sigmoid(m) = n / (1 + e), n = 1 for m >= 0 and e below; remainder by FMA.
        let d1 = one.add(e_hi);
        let inv1 = one.div(d1);
        let d1_lo = e_hi.sub(d1.sub(one)).add(e_lo);
        let n_hi = V::select(positive, one, e_hi);
        let n_lo = V::select(positive, zero, e_lo);
        let s_hi = n_hi.mul(inv1);
        let rem = zero.sub(s_hi).mul_add(d1, n_hi).add(n_lo);
        let s_lo = zero.sub(s_hi).mul_add(d1_lo, rem).mul(inv1);
        slope_hi = neg_y.mul(s_hi);
        slope_lo = neg_y.mul_add(s_lo, neg_y.mul_add(s_hi, zero.sub(slope_hi)));
    }
    Double {
        loss,
        loss_err,
        slope_hi,
        slope_lo,
        ok,
        ok_grad,
    }
}
