//! The exact kernel: the loss and its derivative for every input, in double-double lanes, in
//! the stable form.
//!
//! With the margin `m = -y x`, the loss is `softplus(m) = log(1 + exp(m))` and its derivative
//! with respect to `x` is `-y sigmoid(m)`. Both come from one `e = exp(-|m|)`, which lies in
//! `[0, 1]` and so never overflows:
//!
//! - `softplus(m) = max(m, 0) + log1p(e)`
//! - `sigmoid(m) = 1 / (1 + e)` for `m >= 0`, `e / (1 + e)` for `m < 0`
//!
//! This is the kernel for every `f64` input: the element loops send it the lanes outside the
//! range of the fast kernel ([`super::fast`]), and every gradient whose factor is outside
//! that kernel's range; and the results of the 16-bit types and of the second derivatives
//! whose rounding the faster kernels leave open. Everything is evaluated in double-double (`f64` pairs
//! `hi + lo`) with the crate's own polynomial `exp` and `log1p`, to a relative error near 2^-55,
//! and rounded once at the end (`tests/accuracy.rs` measures at most 0.78 ulp). The margin is
//! carried exactly: the rounding error of the product `-y x` is recovered with a fused
//! multiply-add, so targets other than +/-1 are as accurate as +/-1. No libm function is called.
//!
//! The kernel is branch-free and written against [`Vector`], so the portable path and every
//! vector path compute each lane with the same operations and give the same bits.

use super::eft::{fast_two_sum, two_prod, two_sum};
use super::factor::Split;
use super::poly::{estrin, ATANH_COEFFS, EXP_COEFFS, LN2_HI, LN2_LO};
use crate::simd::Vector;

/// The loss and its derivative with respect to the input, for the lanes of `V`.
#[derive(Clone, Copy, Debug)]
pub struct Point<V> {
    /// `log(1 + exp(-y x))`, rounded to `f64`.
    pub loss: V,
    /// The rounding error of `loss` (what remains of the double-double value).
    pub loss_err: V,
    /// `-y sigmoid(-y x)`, the derivative of the loss with respect to `x`, before any factor
    /// and before rounding.
    pub slope: Slope<V>,
}

/// Lanes that are neither infinite nor NaN.
#[inline(always)]
fn is_finite<V: Vector>(v: V) -> V::Mask {
    v.sub(v).eq(V::splat(0.0))
}

/// `2^k` for integral `k <= 0`, subnormal powers included (0 below 2^-1074): a normal
/// power times 2^-200, which is exact.
#[inline(always)]
fn pow2_any<V: Vector>(k: V) -> V {
    k.add(V::splat(200.0))
        .max(V::splat(-1022.0))
        .exp2_int()
        .mul(V::splat(f64::from_bits(0x3370_0000_0000_0000)))
}

/// `v * 2^k` for integral `k <= 0`: exact where the result is normal and `|v| >=
/// 2^-22`, one rounding (of an exact product) where it is subnormal.
#[inline(always)]
fn ldexp<V: Vector>(v: V, k: V) -> V {
    let k1 = k.max(V::splat(-1000.0));
    v.mul(k1.exp2_int()).mul(pow2_any(k.sub(k1)))
}

/// `exp(a_hi + a_lo)` as a double-double times a power of two, `(e_hi, e_lo, k)` with `e_hi`
/// in about [0.7, 1.42] and `k` integral, for `-2300 <= a_hi <= 0`; relative error about 2^-55.
#[inline(always)]
fn exp_neg<V: Vector>(a_hi: V, a_lo: V) -> (V, V, V) {
    // a = k ln2 + r, |r| <= ln2 / 2; k ln2_hi is exact and a_hi - k ln2_hi exact (Sterbenz).
    let k = a_hi.mul(V::splat(std::f64::consts::LOG2_E)).round();
    let r_hi = a_hi.sub(k.mul(V::splat(LN2_HI)));
    let r_lo = a_lo.sub(k.mul(V::splat(LN2_LO)));
    let (r, r_err) = fast_two_sum(r_hi, r_lo);
    // exp(r) = 1 + r + r^2 p(r); the error of p is scaled by r^2 / 2 < 0.061.
    let r2 = r.mul(r);
    let p = estrin(r, r2, &EXP_COEFFS);
    let one = V::splat(1.0);
    let (one_r, one_r_err) = fast_two_sum(one, r);
    let tail = one_r_err.add(r2.mul_add(p, r_err.mul(one.add(r))));
    let (e_hi, e_lo) = fast_two_sum(one_r, tail);
    (e_hi, e_lo, k)
}

/// The value of `(e_hi + e_lo) 2^k` as a double-double; below the normal range, the high part
/// rounded once and no low part.
#[inline(always)]
fn scaled<V: Vector>(e_hi: V, e_lo: V, k: V) -> (V, V) {
    let scale = k.max(V::splat(-1021.0)).exp2_int();
    let small = k.lt(V::splat(-1021.0));
    (
        V::select(small, ldexp(e_hi, k), e_hi.mul(scale)),
        V::select(small, V::splat(0.0), e_lo.mul(scale)),
    )
}

/// `log1p(e_hi + e_lo)` as a double-double, for `0 <= e_hi <= 1`; relative error about 2^-55.
#[inline(always)]
fn log1p_unit<V: Vector>(e_hi: V, e_lo: V) -> (V, V) {
    let two = V::splat(2.0);
    // log1p(e) = 2 atanh(u), u = e / (2 + e) <= 1/3.
    let (d, d_err) = fast_two_sum(two, e_hi);
    let u = e_hi.div(d);
    // u_err = (e - u (2 + e)) / (2 + e), the division's residual computed exactly by the FMA.
    let neg_u = V::splat(0.0).sub(u);
    let residual = neg_u.mul_add(d, e_hi).add(e_lo.sub(u.mul(d_err.add(e_lo))));
    let u_err = residual.div(d);
    let u2 = u.mul(u);
    let q = estrin(u2, u2.mul(u2), &ATANH_COEFFS);
    // 2 (u + u^3 q): 2u is exact; the rest is below a tenth of it.
    let (hi, lo) = fast_two_sum(two.mul(u), two.mul(u_err).add(two.mul(u).mul(u2).mul(q)));
    // Below 2^-60: log1p(e) = e - e^2 / 2 + O(e^3), where e / (2 + e) would lose subnormal bits.
    let tiny = e_hi.lt(V::splat(f64::from_bits(0x3c30_0000_0000_0000)));
    let tiny_lo = e_lo.sub(V::splat(0.5).mul(e_hi).mul(e_hi));
    (V::select(tiny, e_hi, hi), V::select(tiny, tiny_lo, lo))
}

/// Margins below this leave a sigmoid under 2^-3318, which even times the largest target and
/// the largest factor (2^2048) is below half the smallest subnormal: the gradient is a zero
/// there for any finite factor, and an infinity for an infinite one.
const FAR: f64 = -2300.0;

/// The scale of the sigmoid in the lanes below [`FAR`]: far below anything a gradient can show.
const FAR_SCALE: f64 = -8000.0;

/// The derivative `-y sigmoid(-y x)` of one lane, unrounded: `-y (s_hi + s_lo) 2^k` with the
/// sigmoid's double-double `s_hi + s_lo` in about [0.35, 1.42] (1 and 0 for the limits of an
/// infinite margin, NaN for a NaN one) and `k` integral, so that a factor can enter before the
/// one rounding.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Slope<V> {
    neg_y: V,
    s_hi: V,
    s_lo: V,
    k: V,
}

/// `v 2^k` for integral `k` of any size, with `|v|` in about [2^-2, 2^3] (or 0): exact where
/// the result is normal, one rounding where it is subnormal, an infinity where it overflows.
#[inline(always)]
fn ldexp_any<V: Vector>(v: V, k: V) -> V {
    let zero = V::splat(0.0);
    // k1 = min(max(k, -1000), 1023); the rest is below 0 for large negative k, above for large
    // positive k (where the result overflows well before 2^1023 more).
    let k1 = zero.sub(zero.sub(k.max(V::splat(-1000.0))).max(V::splat(-1023.0)));
    let rest = k.sub(k1);
    let up = zero.sub(zero.sub(rest.max(zero)).max(V::splat(-1023.0)));
    let down = pow2_any(zero.sub(zero.sub(rest).max(zero)));
    v.mul(k1.exp2_int())
        .mul(V::select(rest.ge(zero), up.exp2_int(), down))
}

impl<V: Vector> Slope<V> {
    /// `-y sigmoid(-y x) f` as `(q + q_lo) 2^e`, `q + q_lo` to about 2^-104 relative and in
    /// size within [2^-2, 2^3], so that nothing overflows or underflows before the scaling
    /// (for finite operands with a nonzero sigmoid).
    #[inline(always)]
    fn product(self, f: Split<V>) -> (V, V, V) {
        let (y, ey) = self.neg_y.frexp();
        let (p, p_err) = two_prod(y, self.s_hi);
        let p_lo = y.mul_add(self.s_lo, p_err);
        let (q, q_err) = two_prod(p, f.hi);
        let q_lo = p.mul_add(f.lo, p_lo.mul_add(f.hi, q_err));
        (q, q_lo, self.k.add(ey).add(f.e))
    }

    /// The unrounded gradient `-y sigmoid(-y x) f` as a factor for another product, for finite
    /// operands with a nonzero sigmoid (the second derivative's larger sigmoid; others are not
    /// asked for).
    #[inline(always)]
    pub(crate) fn times_split(self, f: Split<V>) -> Split<V> {
        let (q, q_lo, e) = self.product(f);
        let (hi, lo) = fast_two_sum(q, q_lo);
        // hi in [2^-2, 2^3]: brought to [1, 2) by its exponent, exactly, with lo.
        let (hi, eh) = hi.frexp();
        let scale = V::splat(0.0).sub(eh).exp2_int();
        Split {
            hi,
            lo: lo.mul(scale),
            e: e.add(eh),
        }
    }

    /// The gradient `-y sigmoid(-y x) f`, rounded once (twice at most where subnormal): an
    /// infinity only where the exact value overflows, NaN only where it is undefined (a zero
    /// sigmoid or target times an infinite factor, an infinite target times a zero factor) or
    /// an operand is NaN.
    #[inline(always)]
    pub(crate) fn times(self, f: Split<V>) -> V {
        let Slope { neg_y, s_hi, .. } = self;
        let (q, q_lo, e) = self.product(f);
        let g = ldexp_any(q.add(q_lo), e);
        // An infinite target or factor: the product's infinity (or NaN), whose error terms are
        // NaN and whose scaling could be inf * 0.
        let g = V::select(is_finite(q), g, q);
        // The limit 0 of an infinite margin: a zero of the product's sign, also for an
        // infinite target (NaN for an infinite factor).
        V::select(s_hi.eq(V::splat(0.0)), neg_y.sign().mul(f.hi), g)
    }
}

/// Loss and slope of `f64` lanes `x` (inputs) and `y` (targets), in double-double throughout;
/// branch-free, so that every path computes each lane the same way.
#[inline(always)]
pub(crate) fn point<V: Vector>(x: V, y: V) -> Point<V> {
    let zero = V::splat(0.0);
    let one = V::splat(1.0);
    // The margin -y x exactly: rounded product and error (dropped where it is not finite).
    let (m_hi, m_err) = two_prod(zero.sub(y), x);
    let m_lo = V::select(is_finite(m_err), m_err, zero);
    let positive = m_hi.ge(zero);
    // a = -|m|; e = exp(a) = (e_hi + e_lo) 2^k, and its value (ev_hi + ev_lo).
    let a_hi = V::select(positive, zero.sub(m_hi), m_hi);
    let a_lo = V::select(positive, zero.sub(m_lo), m_lo);
    // Below FAR, exp(a) is held as 1 times 2^FAR_SCALE: 0 in any sum, and far below anything a
    // gradient can show, but not 0 times an infinite factor.
    let far = a_hi.lt(V::splat(FAR));
    let (e_hi, e_lo, k) = exp_neg(V::select(far, zero, a_hi), V::select(far, zero, a_lo));
    let k = V::select(far, V::splat(FAR_SCALE), k);
    let (ev_hi, ev_lo) = scaled(e_hi, e_lo, k);

    // softplus(m) = max(m, 0) + log1p(e).
    let (l_hi, l_lo) = log1p_unit(ev_hi, ev_lo);
    let (sum, sum_err) = two_sum(m_hi, l_hi);
    let loss_hi = V::select(positive, sum, l_hi);
    let loss_lo = V::select(positive, sum_err.add(m_lo.add(l_lo)), l_lo);
    let (loss, loss_err) = fast_two_sum(loss_hi, loss_lo);

    // sigmoid(m) = n / (1 + e) with n = 1 for m >= 0; for m < 0, n = e, kept unscaled (2^k
    // applied after the product with y, so that a huge target still sees a tiny sigmoid).
    let (d_hi, d_err) = fast_two_sum(one, ev_hi);
    let d_lo = d_err.add(ev_lo);
    let n_hi = V::select(positive, one, e_hi);
    let n_lo = V::select(positive, zero, e_lo);
    let k = V::select(positive, zero, k);
    let s_hi = n_hi.div(d_hi);
    let s_lo = zero
        .sub(s_hi)
        .mul_add(d_hi, n_hi)
        .add(n_lo.sub(s_hi.mul(d_lo)))
        .div(d_hi);

    // An infinite margin gives the limits: a loss of +inf or 0, a sigmoid of 1 (as computed:
    // 1 / (1 + 0)) or 0. A margin of finite inputs that overflowed to -inf keeps the far
    // sigmoid instead: tiny but not 0, as the exact one. NaN stays NaN.
    let finite = is_finite(m_hi);
    let nan = m_hi.is_nan();
    let quiet = V::splat(f64::NAN);
    let limit_loss = V::select(positive, V::splat(f64::INFINITY), zero);
    let finite_inputs = V::and(is_finite(x), is_finite(y));
    let s_hi = V::select(finite_inputs, s_hi, V::select(positive, s_hi, zero));
    Point {
        loss: V::select(nan, quiet, V::select(finite, loss, limit_loss)),
        loss_err: V::select(finite, loss_err, zero),
        slope: Slope {
            neg_y: zero.sub(y),
            s_hi: V::select(nan, quiet, s_hi),
            s_lo,
            k,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::portable::Scalar;

    /// The loss, its rounding error and the slope (rounded) of one `f64` element.
    struct PointF64 {
        loss: f64,
        slope: f64,
    }

    fn point_f64(x: f64, y: f64) -> PointF64 {
        let p = point(Scalar(x), Scalar(y));
        PointF64 {
            loss: p.loss.0,
            slope: p.slope.times(Split::one()).0,
        }
    }

    #[test]
    fn pytorch_overflow_case_is_finite() {
        // PyTorch computes log1p(exp(100)) = inf and exp(100)/(1+exp(100)) = NaN here.
        let p = point_f64(-100.0, 1.0);
        assert_eq!((p.loss as f32, p.slope as f32), (100.0, -1.0));
        let p = point_f64(-1000.0, 1.0);
        assert_eq!(p.loss, 1000.0);
        assert_eq!(p.slope, -1.0);
    }

    #[test]
    fn exp_and_log1p_match_known_values() {
        let s = Scalar;
        // exp(-1) = 0.367879441171442321595523770161460867..., whose nearest double is
        // 0.36787944117144233402... : the tail is -1.2428753672788363e-17. The kernel promises
        // about 2^-55 relative, so the tail is right to within 2^-54 of the value.
        let (hi, lo, k) = exp_neg(s(-1.0), s(0.0));
        let (hi, lo) = scaled(hi, lo, k);
        assert_eq!(hi.0, 0.367_879_441_171_442_33);
        let tail = -1.242_875_367_278_836_3e-17;
        assert!((lo.0 - tail).abs() < 0.37 * 2f64.powi(-54), "{lo:?}");
        // log1p(1) = ln 2 = 0.6931471805599453 + 2.3190468138462996e-17.
        let (hi, lo) = log1p_unit(s(1.0), s(0.0));
        assert_eq!(hi.0, std::f64::consts::LN_2);
        let tail = 2.319_046_813_846_299_6e-17;
        assert!((lo.0 - tail).abs() < 0.7 * 2f64.powi(-54), "{lo:?}");
        // exp(-745) is the smallest subnormal, 2^-1074 (exp(-745) = 2^-1074.8, rounds up).
        let (hi, lo, k) = exp_neg(s(-745.0), s(0.0));
        let (hi, lo) = scaled(hi, lo, k);
        assert_eq!((hi.0, lo.0), (f64::from_bits(1), 0.0));
    }

    #[test]
    fn powers_of_two_reach_the_subnormals() {
        let s = Scalar;
        assert_eq!(pow2_any(s(-1074.0)).0, f64::from_bits(1));
        assert_eq!(pow2_any(s(-1023.0)).0, f64::from_bits(1 << 51));
        assert_eq!(pow2_any(s(-1075.0)).0, 0.0);
        assert_eq!(pow2_any(s(0.0)).0, 1.0);
        assert_eq!(ldexp(s(1.5), s(-1074.0)).0, f64::from_bits(2));
        assert_eq!(ldexp(s(3.0), s(-2000.0)).0, 0.0);
        assert_eq!(ldexp(s(3.0), s(-10.0)).0, 3.0 / 1024.0);
    }

    #[test]
    fn infinite_margins_give_the_limits() {
        for y in [1.0f64, -1.0, 0.5, 3.0] {
            let far = f64::INFINITY.copysign(y);
            // Margin -> -inf: loss 0, slope 0.
            let p = point_f64(far, y);
            assert_eq!((p.loss, p.slope), (0.0, 0.0));
            // Margin -> +inf: loss inf, slope -y.
            let p = point_f64(-far, y);
            assert_eq!((p.loss, p.slope), (f64::INFINITY, -y));
        }
        // Infinite target, finite input: margin -inf gives slope 0, not inf * 0.
        let p = point_f64(2.0, f64::INFINITY);
        assert_eq!((p.loss, p.slope), (0.0, 0.0));
        let p = point_f64(-2.0, f64::INFINITY);
        assert_eq!((p.loss, p.slope), (f64::INFINITY, f64::NEG_INFINITY));
    }

    #[test]
    fn nan_propagates() {
        for (x, y) in [(f64::NAN, 1.0), (1.0, f64::NAN), (f64::NAN, f64::NAN)] {
            let p = point_f64(x, y);
            assert!(p.loss.is_nan() && p.slope.is_nan());
        }
    }
}
