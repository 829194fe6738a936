//! The fast kernel: the loss and the slope of the inputs that cover nearly all real data, in
//! `f64` lanes for `f64` data and in `f32` lanes for the 16-bit types, written once. As Highway writes `Exp` and `Log`,
//! the steps are here and what differs per type is in [`FastImpl`]: the range reduction of
//! `exp` with its power of two, the two polynomials, and the range limits.
//!
//! Arithmetic in the element's own precision alone loses too much on the way (the margin `y x`,
//! `1 + e`, `e / (2 + e)` are each rounded), so the values that decide the result are carried as
//! unevaluated sums `hi + lo` of two values: the margin exactly (by FMA), `e = exp(-|m|)`, the
//! `log1p` argument and the sigmoid with their division remainders (by FMA), and the loss up to
//! its last addition. Every result is one rounding of a value within about 2^-27 (`f32`) or
//! 2^-56 (`f64`) relative of the exact one.
//!
//! The kernel covers the lanes where all of that stays in the normal range: margins with
//! `|y x| <= 64` (`e >= 2^-93`) and, for gradients, targets with `|y| >= 2^-8` (and, for
//! per-element factors, factors of normal size up to [`MAX_FACTOR_F32`] or [`MAX_FACTOR_F64`]). It reports the
//! lanes outside in masks; the element loops compute those with the kernels for every input
//! ([`super::wide`], [`super::exact`]).

use super::eft::{fast_two_sum, two_sum};
use super::poly::{estrin, estrin5, ATANH_COEFFS, ATANH_F32, EXP_COEFFS, EXP_F32, LN2_HI, LN2_LO};
use crate::simd::{Simd, Vector, VectorF32};

/// Gradient factors up to these sizes are in the kernel's range: the slope's low part is below
/// an ulp of the slope (2^-23 in `f32`, 2^-51 in `f64`), which is at most `|y|`, so that times
/// such a factor the small products of [`super::factor::product_in_range`] stay below the
/// largest finite value. Beyond that they could overflow, with either sign, where the gradient
/// is an infinity of the other.
pub(crate) const MAX_FACTOR_F32: f32 = 1_048_576.0;
pub(crate) const MAX_FACTOR_F64: f64 = 1_099_511_627_776.0;

/// What differs between the element types in the fast kernel, for lanes `V` of the type.
pub(crate) trait FastImpl<V: Simd<Elem = Self>>: Copy {
    const ZERO: Self;
    const ONE: Self;
    const TWO: Self;
    /// Margins up to this size are in the kernel's range.
    const MAX_MARGIN: Self;
    /// Targets at least this large (in size) are in the kernel's range for gradients.
    const MIN_TARGET: Self;
    /// The smallest normal value: smaller per-element factors are outside the kernel's range.
    const MIN_NORMAL: Self;
    /// [`MAX_FACTOR_F32`] or [`MAX_FACTOR_F64`].
    const MAX_FACTOR: Self;

    /// `a + a_lo = k ln 2 + (r + r_lo)` with `k` integral and `|r| <= ln2 / 2` (about): `(r,
    /// r_lo, 2^k)`, for `-64 <= a <= 0`.
    fn reduce(a: V, a_lo: V) -> (V, V, V);
    /// `p(r)` with `exp(r) = 1 + r + r^2 p(r)`, given `r^2`.
    fn exp_poly(r: V, r2: V) -> V;
    /// `t(w2)` with `log1p(e) = 2w + 2w^3 t(w^2)`, `w = e / (2 + e)`.
    fn atanh_poly(w2: V) -> V;
}

impl<V: VectorF32> FastImpl<V> for f32 {
    const ZERO: f32 = 0.0;
    const ONE: f32 = 1.0;
    const TWO: f32 = 2.0;
    const MAX_MARGIN: f32 = 64.0;
    const MIN_TARGET: f32 = 1.0 / 256.0;
    const MIN_NORMAL: f32 = f32::MIN_POSITIVE;
    const MAX_FACTOR: f32 = MAX_FACTOR_F32;

    #[inline(always)]
    fn reduce(a: V, a_lo: V) -> (V, V, V) {
        // `ln 2` rounded to `f32`, and the rest.
        const LN2_HI_F32: f32 = std::f32::consts::LN_2;
        const LN2_LO_F32: f32 = (std::f64::consts::LN_2 - LN2_HI_F32 as f64) as f32;
        // `1.5 * 2^23 + 127`: adding it to a value below 2^22 in size rounds that to an integer
        // `k` (ties to even) and leaves `k + 127` in the low bits, which shifted into the
        // exponent field give `2^k`.
        const ROUNDER: f32 = 12_582_912.0 + 127.0;
        let biased = a.mul_add(V::splat(std::f32::consts::LOG2_E), V::splat(ROUNDER));
        let k = biased.sub(V::splat(ROUNDER));
        // Exact: |k| <= 93 and the result is a multiple of ulp(a) or 2^-25 below 1/2.
        let r = k.mul_add(V::splat(-LN2_HI_F32), a);
        let r_lo = k.mul_add(V::splat(-LN2_LO_F32), a_lo);
        (r, r_lo, biased.exp2_biased())
    }
    #[inline(always)]
    fn exp_poly(r: V, r2: V) -> V {
        estrin5(r, r2, &EXP_F32)
    }
    #[inline(always)]
    fn atanh_poly(w2: V) -> V {
        estrin5(w2, w2.mul(w2), &ATANH_F32)
    }
}

impl<V: Vector> FastImpl<V> for f64 {
    const ZERO: f64 = 0.0;
    const ONE: f64 = 1.0;
    const TWO: f64 = 2.0;
    const MAX_MARGIN: f64 = 64.0;
    const MIN_TARGET: f64 = 1.0 / 256.0;
    const MIN_NORMAL: f64 = f64::MIN_POSITIVE;
    const MAX_FACTOR: f64 = MAX_FACTOR_F64;

    #[inline(always)]
    fn reduce(a: V, a_lo: V) -> (V, V, V) {
        let k = a.mul(V::splat(std::f64::consts::LOG2_E)).round();
        // k LN2_HI is exact and so is a - k LN2_HI (|k| <= 93); k LN2_LO (up to 2^-26) is too
        // large to enter to first order only, so the reduced argument is summed to r + r_lo with
        // r_lo below half an ulp of r.
        let r_hi = a.sub(k.mul(V::splat(LN2_HI)));
        let (r, r_lo) = two_sum(r_hi, k.mul_add(V::splat(-LN2_LO), a_lo));
        (r, r_lo, k.exp2_int())
    }
    #[inline(always)]
    fn exp_poly(r: V, r2: V) -> V {
        estrin(r, r2, &EXP_COEFFS)
    }
    #[inline(always)]
    fn atanh_poly(w2: V) -> V {
        estrin(w2, w2.mul(w2), &ATANH_COEFFS)
    }
}

/// What the kernel computes for a vector of elements: the loss only with `LOSS` and in the
/// lanes of `ok`, the slope only with `GRAD` and in the lanes of `ok_grad`. The losses do not
/// depend on `GRAD`, so a fused pass gives the same bits as a forward pass.
pub(crate) struct Fast<V: Simd> {
    /// The loss is `loss_hi + loss_lo` (not renormalised).
    pub loss_hi: V,
    pub loss_lo: V,
    /// The slope `-y sigmoid(-y x)` (the gradient before its factor) is `slope_hi + slope_lo`.
    pub slope_hi: V,
    pub slope_lo: V,
    /// The lanes whose loss the kernel covers.
    pub ok: V::Mask,
    /// The lanes whose slope the kernel covers (some of `ok`).
    pub ok_grad: V::Mask,
}

/// The loss `log(1 + exp(-y x))` and the slope `-y sigmoid(-y x)` of inputs in the kernel's
/// range, as described in the module documentation.
#[inline(always)]
pub(crate) fn fast<V: Simd, const LOSS: bool, const GRAD: bool>(x: V, y: V) -> Fast<V>
where
    V::Elem: FastImpl<V>,
{
    let zero = V::splat(V::Elem::ZERO);
    let one = V::splat(V::Elem::ONE);
    let two = V::splat(V::Elem::TWO);
    let neg_y = y.neg();
    // m + m_lo = -y x exactly (the kernel's range is far from underflow where it matters).
    let m = neg_y.mul(x);
    let m_lo = neg_y.mul_add(x, m.neg());
    let size = m.abs();
    let ok = V::splat(V::Elem::MAX_MARGIN).ge(size);
    let ok_grad = V::and(ok, y.abs().ge(V::splat(V::Elem::MIN_TARGET)));
    let positive = m.ge(zero);
    // e = exp(a + a_lo) with a + a_lo = -|m + m_lo|.
    let a = size.neg();
    let a_lo = V::select(positive, m_lo.neg(), m_lo);
    let (r, r_lo, scale) = V::Elem::reduce(a, a_lo);
    let r2 = r.mul(r);
    let p = V::Elem::exp_poly(r, r2);
    // exp(r + r_lo) = exp(r) (1 + r_lo) to far below an ulp, with exp(r) = 1 + r + r^2 p(r)
    // taken as fl(1 + r) + rest: everything but fl(1 + r) goes into t, then renormalised so
    // that e_lo is below half an ulp of e_hi.
    let one_r = one.add(r);
    let rest = r2.mul_add(p, r.sub(one_r.sub(one)));
    let t = r_lo.mul_add(one_r, rest.mul_add(r_lo, rest));
    let (e_hi, e_lo) = fast_two_sum(one_r, t);
    let (e_hi, e_lo) = (e_hi.mul(scale), e_lo.mul(scale));

    let mut loss_hi = zero;
    let mut loss_lo = zero;
    if LOSS {
        // w = e / (2 + e) as w_hi + w_lo: the remainder of the quotient, by FMA.
        let d2 = two.add(e_hi);
        let inv2 = one.div(d2);
        let d2_lo = e_hi.sub(d2.sub(two)).add(e_lo);
        let w_hi = e_hi.mul(inv2);
        let rem = w_hi.neg().mul_add(d2, e_hi).add(e_lo);
        let w_lo = w_hi.neg().mul_add(d2_lo, rem).mul(inv2);
        // log1p(e) = 2 w + 2 w^3 t(w^2) at w = w_hi; the second term is below 1/27 of the
        // first.
        let w2 = w_hi.mul(w_hi);
        let t = V::Elem::atanh_poly(w2);
        let two_w = w_hi.add(w_hi);
        // With w = w_hi + w_lo, the low part enters through the derivative 2 / (1 - w^2),
        // taken as 2 (1 + w^2): the rest is below w^4 w_lo.
        let two_w_lo = w_lo.add(w_lo);
        let tail = two_w.mul(w2).mul_add(t, two_w_lo.mul_add(w2, two_w_lo));
        // loss = max(m, 0) + log1p(e), with m's own low part where m > 0.
        let (s, err) = two_sum(m.max(zero), two_w);
        loss_hi = s;
        loss_lo = err.add(V::select(positive, m_lo, zero)).add(tail);
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
        let rem = s_hi.neg().mul_add(d1, n_hi).add(n_lo);
        let s_lo = s_hi.neg().mul_add(d1_lo, rem).mul(inv1);
        // -y s exactly enough: the product's rounding error by FMA.
        slope_hi = neg_y.mul(s_hi);
        slope_lo = neg_y.mul_add(s_lo, neg_y.mul_add(s_hi, slope_hi.neg()));
    }
    Fast {
        loss_hi,
        loss_lo,
        slope_hi,
        slope_lo,
        ok,
        ok_grad,
    }
}
